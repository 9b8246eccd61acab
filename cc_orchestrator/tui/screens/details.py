"""Detail views: an instance (its screen live, its diff against the base branch, its events)
and a task (its fields, dependencies and events). The app loads their data in workers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import RichLog, Static, TabbedContent, TabPane

from cc_orchestrator.core.models import Event, Instance, Task
from cc_orchestrator.tui import humanize
from cc_orchestrator.tui.live import Snapshot
from cc_orchestrator.tui.widgets.instances import state_cell
from cc_orchestrator.tui.widgets.key_bar import KeyBar
from cc_orchestrator.tui.widgets.log_view import event_line
from cc_orchestrator.tui.widgets.pane import Pane
from cc_orchestrator.tui.widgets.task_board import PRIORITY_STYLES, SOURCES
from cc_orchestrator.tui.widgets.worktree_map import short_path

if TYPE_CHECKING:
    from cc_orchestrator.core.models import WorktreeReport


def fields(pairs: list[tuple[str, str | Text]], width: int = 60) -> Text:
    """Name/value pairs in two aligned columns."""
    text = Text()
    for n, (name, value) in enumerate(pairs):
        text.append(f"{name:>10} ", "dim")
        value = Text(value) if isinstance(value, str) else value.copy()
        if n % 2 == 0:
            value.truncate(width, overflow="ellipsis", pad=True)
        text.append_text(value)
        text.append("\n" if n % 2 else " ")
    return text


def _diff_style(line: str) -> str:
    if line.startswith(("diff ", "+++", "---", "index ")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    return "green" if line.startswith("+") else "red" if line.startswith("-") else ""


class EventsLog(RichLog):
    """Events of one instance or task, oldest first, appended as they come."""

    def __init__(self, id: str) -> None:
        super().__init__(id=id, max_lines=1000, wrap=False)
        self._events: dict[int, Event] = {}

    def add(self, events: list[Event], now: datetime) -> None:
        fresh = {e.id: e for e in events if e.id not in self._events}
        if not fresh:
            return
        last = max(self._events, default=0)
        self._events.update(fresh)
        if min(fresh) < last:  # older history arrived after newer events: write all in order
            self.clear()
            fresh = self._events
        for event_id in sorted(fresh):
            self.write(event_line(self._events[event_id], now))


class InstanceDetail(Screen):
    BINDINGS = [
        Binding("escape", "close", "Back", id="detail.close"),
        Binding("enter", "ask('instances.jump')", "Jump in", id="detail.jump"),
        Binding("p", "ask('instances.prompt')", "Prompt", id="detail.prompt"),
        Binding("a", "ask('instances.approve')", "Approve", id="detail.approve"),
        Binding("x", "ask('instances.stop')", "Stop", id="detail.stop"),
        Binding("r", "ask('instances.reload')", "Reload diff", id="detail.reload"),
    ]

    def __init__(self, instance_id: str, snapshot: Snapshot, now: datetime) -> None:
        super().__init__(classes="detail")
        self.instance_id = instance_id
        self._first = (snapshot, now)

    def on_mount(self) -> None:
        self.show(*self._first)
        self.post_message(Pane.Requested("instances.load_detail", self.instance_id))

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

    def show(self, snapshot: Snapshot, now: datetime) -> None:
        instance = snapshot.instance(self.instance_id)
        if instance is None:
            return
        task = snapshot.task(instance.task_id)
        self.query_one("#detail-head", Static).update(self._head(instance, task, now))
        mine = [e for e in snapshot.events if e.instance_id == self.instance_id]
        self.query_one(EventsLog).add(mine, now)

    def _head(self, instance: Instance, task: Task | None, now: datetime) -> Text:
        usage = instance.resource_usage
        title = Text.assemble((f" Instance {instance.id} ", "bold reverse"), "  ", state_cell(instance))
        if instance.waiting_for:
            title.append(f"  {instance.waiting_for.splitlines()[0]}", "yellow")
        title.append("\n\n")
        return title + fields(
            [
                ("task", f"#{task.id} {task.title}" if task else "-"),
                ("agent", instance.agent),
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

    def show_screen(self, text: str) -> None:
        log = self.query_one("#detail-screen", RichLog)
        if getattr(log, "_text", None) == text:
            return
        log._text = text  # type: ignore[attr-defined]
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

    def show_history(self, events: list[Event], now: datetime) -> None:
        self.query_one(EventsLog).add(events, now)

    def action_close(self) -> None:
        self.dismiss()

    def action_ask(self, action: str) -> None:
        self.post_message(Pane.Requested(action, self.instance_id))


class TaskDetail(Screen):
    BINDINGS = [
        Binding("escape", "close", "Back", id="task_detail.close"),
        Binding("e", "ask('tasks.edit')", "Edit", id="task_detail.edit"),
        Binding("s", "ask('tasks.start')", "Start instance", id="task_detail.start"),
        Binding("delete", "ask('tasks.delete')", "Delete", id="task_detail.delete"),
        Binding("o", "ask('tasks.open_link')", "Open in browser", id="task_detail.open_link"),
        Binding("P", "ask('tasks.pull_request')", "Open pull request", id="task_detail.pull_request"),
    ]

    def __init__(self, task_id: int, snapshot: Snapshot, now: datetime) -> None:
        super().__init__(classes="detail")
        self.task_id = task_id
        self._first = (snapshot, now)

    def on_mount(self) -> None:
        self.show(*self._first)
        self.post_message(Pane.Requested("tasks.load_history", self.task_id))

    def show_history(self, events: list[Event], now: datetime) -> None:
        """The task's older events (the live snapshot keeps only the newest of all)."""
        self.query_one(EventsLog).add(events, now)

    def compose(self) -> ComposeResult:
        yield Static(id="detail-head")
        description = Static(id="task-description", markup=False)
        description.border_title = "Description"
        yield description
        events = EventsLog(id="task-events")
        events.border_title = "Events"
        yield events
        yield KeyBar()

    def show(self, snapshot: Snapshot, now: datetime) -> None:
        task = snapshot.task(self.task_id)
        if task is None:
            return
        by_id = {t.id: t for t in snapshot.tasks}
        deps = Text()
        for dep in task.dependencies:
            other = by_id.get(dep)
            deps.append(
                f"#{dep} {other.status.value if other else '?'}  ",
                "green" if other and other.status.value == "DONE" else "yellow",
            )
        head = Text.assemble((f" Task {task.id} ", "bold reverse"), "  ", (task.title, "bold"), "\n\n")
        head += fields(
            [
                ("status", task.status.value),
                ("priority", Text(task.priority.value, PRIORITY_STYLES[task.priority])),
                ("source", source_text(task)),
                ("PR", link(task.pr_url, task.pr_url) if task.pr_url else "-"),
                ("instance", task.assigned_instance or "-"),
                ("repo", short_path(task.repo) if task.repo else "-"),
                ("depends on", deps if task.dependencies else "-"),
                ("blocked", "yes" if task.blocked else "no"),
                ("created", f"{humanize.ago(task.created_at, now)} ago"),
                ("updated", f"{humanize.ago(task.updated_at, now)} ago"),
            ]
        )
        self.query_one("#detail-head", Static).update(head)
        self.query_one("#task-description", Static).update(task.description or "(no description)")
        self.query_one(EventsLog).add([e for e in snapshot.events if e.task_id == self.task_id], now)

    def action_close(self) -> None:
        self.dismiss()

    def action_ask(self, action: str) -> None:
        self.post_message(Pane.Requested(action, self.task_id))

    def action_open_url(self, url: str) -> None:
        """A click on a link: the terminal may not follow OSC 8 links while the app has the mouse."""
        self.post_message(Pane.Requested("tasks.open_url", url))


def link(words: str, url: str) -> Text:
    """`words` linking to `url`: a terminal hyperlink, and a click the app itself answers
    (Textual draws it with the theme's link style)."""
    return Text(words, Style(link=url) + Style.on(click=("screen.open_url", (url,))))


def source_text(task: Task) -> Text:
    """ "GitHub acme/web#12" with the label linking to the issue; "manual" for a hand-made task."""
    if task.source == "manual":
        return Text("manual")
    text = Text(f"{SOURCES.get(task.source, task.source)} ")
    text.append_text(link(task.source_label, task.source_url) if task.source_url else Text(task.source_label))
    return text
