"""An instance in detail: its screen live, its diff against the base branch, its events."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import RichLog, Static, TabbedContent, TabPane

from cc_orchestrator.core.models import LOCAL_HOST, CheckRun, Event, Instance, Overlap, Task, WorktreeReport
from cc_orchestrator.errors import message_of
from cc_orchestrator.tui import humanize
from cc_orchestrator.tui.actions.instances import InstanceActions
from cc_orchestrator.tui.checks import latest_line
from cc_orchestrator.tui.following import follow
from cc_orchestrator.tui.screens.detail_parts import EventsLog, fields
from cc_orchestrator.tui.services import Services
from cc_orchestrator.tui.view import View, watch_view
from cc_orchestrator.tui.widgets.instance_table import overlap_lines, state_cell
from cc_orchestrator.tui.widgets.key_bar import KeyBar


def _diff_style(line: str) -> str:
    if line.startswith(("diff ", "+++", "---", "index ")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    return "green" if line.startswith("+") else "red" if line.startswith("-") else ""


def head(
    instance: Instance,
    task: Task | None,
    now,
    overlaps: tuple[Overlap, ...] = (),
    latest: CheckRun | None = None,
) -> Text:
    """Its state, fields, its worktree's overlaps, and (when its task has check runs) the
    latest run's state."""
    usage = instance.resource_usage
    title = Text.assemble((f" Instance {instance.id} ", "bold reverse"), "  ", state_cell(instance, now))
    if instance.waiting_for:
        title.append(f"  {instance.waiting_for.splitlines()[0]}", "yellow")
    title.append("\n\n")
    text = title + fields(
        [
            ("task", f"#{task.id} {task.title}" if task else "-"),
            ("agent", instance.agent),
            *([("host", instance.host)] if instance.host != LOCAL_HOST else []),
            ("branch", instance.branch or "-"),
            ("worktree", instance.worktree_path or "-"),
            ("pid", str(instance.pid or "-")),
            ("cpu / mem", f"{humanize.cpu(usage.cpu_percent)} / {humanize.memory(usage.memory_mb)}"),
            ("tokens", f"{humanize.count(instance.tokens_in)} in, {humanize.count(instance.tokens_out)} out"),
            ("model", instance.model or "-"),
            ("started", f"{humanize.ago(instance.created_at, now)} ago"),
            ("active", f"{humanize.ago(instance.last_activity, now)} ago"),
            ("message", instance.status_message or "-"),
            ("restarts", str(instance.restarts)),
        ]
    )
    text.append_text(overlaps_text(overlaps, instance.worktree_id))
    if latest is not None:
        if overlaps:
            text.append("\n")
        text.append(f"{'checks':>10} ", "dim")
        text.append_text(latest_line(latest, now))
        text.append("\n")
    return text


def overlaps_text(overlaps: tuple[Overlap, ...], worktree_id: str | None) -> Text:
    """A line per overlap of its worktree: with whom, and in which files."""
    text = Text()
    for overlap, line in zip(overlaps, overlap_lines(overlaps, worktree_id), strict=True):
        text.append(f"\n{'overlaps':>10} ", "dim")
        text.append(line, "bold red" if overlap.conflicts else "yellow")
    return text


class InstanceDetail(Screen):
    BINDINGS = [
        Binding("escape", "close", "Back", id="detail.close"),
        Binding("enter", "jump", "Jump in", id="detail.jump"),
        Binding("p", "prompt", "Prompt", id="detail.prompt"),
        Binding("a", "approve", "Approve", id="detail.approve"),
        Binding("x", "stop", "Stop", id="detail.stop"),
        Binding("r", "reload", "Reload diff", id="detail.reload"),
    ]

    screen_text: var[str | None] = var(None, init=False)  # the agent's screen, as last read

    def __init__(self, instance_id: str, services: Services) -> None:
        super().__init__(classes="detail")
        self.instance_id = instance_id
        self.services = services
        self.actions = InstanceActions(self, services)
        self.instance: Instance | None = None
        self._view = View()  # the newest view shown
        self.latest_run: CheckRun | None = None  # its task's, once read
        self._run_news: int | None = None  # the newest event about one of its task's runs, when read

    def compose(self) -> ComposeResult:
        yield Static(id="detail-head")
        with TabbedContent(id="detail-tabs"):
            with TabPane("Screen", id="tab-screen"):
                yield RichLog(id="detail-screen", wrap=False, max_lines=2000)
            with TabPane("Diff", id="tab-diff"):
                yield RichLog(id="detail-diff", wrap=False, max_lines=5000)
            with TabPane("Events", id="tab-events"):
                yield EventsLog(id="detail-events")
        yield KeyBar()

    def on_mount(self) -> None:
        watch_view(self, self._show)
        self.services.focus(self.instance_id)  # its CPU and memory every second while shown
        self._load_history()
        self._load_diff()
        self._follow_screen()

    def on_unmount(self) -> None:
        self.services.focus(None)

    def _show(self, view: View) -> None:
        instance = view.instance(self.instance_id)
        if instance is None:
            return
        self.instance, self._view = instance, view
        self._show_head()
        self.query_one(EventsLog).add(
            [e for e in view.events if e.instance_id == self.instance_id], self.services.clock()
        )
        task_id = instance.task_id
        if task_id is not None:
            news = max((e.id for e in view.events if e.task_id == task_id and "run" in e.data), default=0)
            if self._run_news is None or news > self._run_news:  # a run started or ended
                self._run_news = news
                self._load_latest_run(task_id)

    def _show_head(self) -> None:
        if self.instance is None:
            return
        task = self._view.task(self.instance.task_id)
        overlaps = self._view.overlaps_by_instance().get(self.instance.id, ())
        text = head(self.instance, task, self.services.clock(), overlaps, self.latest_run)
        self.query_one("#detail-head", Static).update(text)

    # -- loading (workers of this screen: they end when it closes) ---------------------------

    @work(thread=True, group="history", exit_on_error=False)
    def _load_history(self) -> None:
        """The instance's older events: the view keeps only the newest of all."""
        try:
            events = self.services.reads.instance_events(self.instance_id)
        except Exception as exc:
            self.call_later(self.notify, getattr(exc, "message", str(exc)), severity="warning")
            return
        self.call_later(self._add_history, events)

    def _add_history(self, events: list[Event]) -> None:
        self.query_one(EventsLog).add(events, self.services.clock())

    @work(thread=True, exclusive=True, group="checks", exit_on_error=False)
    def _load_latest_run(self, task_id: int) -> None:
        """Its task's newest check run (one query; when the view says a run started or ended)."""
        try:
            runs = self.services.reads.check_runs(task_id)
        except Exception as exc:
            self.call_later(self.notify, message_of(exc), severity="warning")
            return
        self.call_later(self._latest_run_read, runs[-1] if runs else None)

    def _latest_run_read(self, run: CheckRun | None) -> None:
        self.latest_run = run
        self._show_head()

    @work(thread=True, exclusive=True, group="diff", exit_on_error=False)
    def _load_diff(self) -> None:
        """git's report on the worktree and its diff (several git processes: on open and `r`)."""
        reads, wid = self.services.reads, self.instance.worktree_id if self.instance else None
        try:
            report = reads.report(wid) if wid else None
            diff = reads.diff(wid) if report else None
        except Exception as exc:
            self.call_later(self.notify, getattr(exc, "message", str(exc)), severity="warning")
            return
        self.call_later(self.show_diff, report, diff)

    @work(thread=True, group="screen", exit_on_error=False)
    def _follow_screen(self) -> None:
        """The agent's screen, read again whenever it writes to its terminal."""
        reads, failed = self.services.reads, []

        def read() -> str | None:
            try:
                return reads.screen(self.instance_id)
            except Exception as exc:  # the session ended: the header says why; say it once
                if not failed:
                    failed.append(exc)
                    self.call_later(self.notify, getattr(exc, "message", str(exc)), severity="warning")
                return None

        follow(partial(reads.output_mark, self.instance_id), read, partial(self.call_later, self._screen_read))

    def _screen_read(self, text: str | None) -> None:
        if text is not None:
            self.screen_text = text

    # -- showing what was loaded -------------------------------------------------------------

    def watch_screen_text(self, text: str) -> None:
        log = self.query_one("#detail-screen", RichLog)
        log.clear()
        log.write(Text(text.rstrip("\n") or "(empty screen)", no_wrap=True))

    def show_diff(self, report: WorktreeReport | None, diff: str | None) -> None:
        log = self.query_one("#detail-diff", RichLog)
        log.clear()
        if report is None:
            log.write(Text("this instance has no worktree", "dim"))
            return
        wt = report.worktree
        log.write(
            Text.assemble(
                (wt.branch, "bold"),
                f" against {wt.base_branch}: ",
                (f"{report.ahead} ahead, {report.behind} behind", "cyan"),
            )
        )
        log.write(Text(f"\nUncommitted files ({len(report.uncommitted_files)})", "bold yellow"))
        for name in report.uncommitted_files or ["(none)"]:
            log.write(f"  {name}")
        log.write(Text(f"\nCommits not on {wt.base_branch} or a remote ({len(report.unpushed_commits)})", "bold cyan"))
        for line in report.unpushed_commits or ["(none)"]:
            log.write(f"  {line}")
        if diff:
            log.write("")
            for line in diff.splitlines():
                log.write(Text(line, _diff_style(line)))

    # -- keys ----------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self._load_diff()

    def action_jump(self) -> None:
        if self.instance is not None:
            self.actions.jump(self.instance)

    def action_prompt(self) -> None:
        if self.instance is not None:
            self.actions.prompt(self.instance)

    def action_approve(self) -> None:
        if self.instance is not None:
            self.actions.approve(self.instance)

    def action_stop(self) -> None:
        if self.instance is not None:
            self.actions.stop(self.instance)
