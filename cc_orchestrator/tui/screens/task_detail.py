"""A task in detail: its fields, dependencies, description, checks and history."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from cc_orchestrator.core.models import CheckRun, Event, Task, TaskStatus
from cc_orchestrator.errors import message_of
from cc_orchestrator.tui import checks, humanize
from cc_orchestrator.tui.actions.tasks import TaskActions
from cc_orchestrator.tui.screens.detail_parts import EventsLog, fields, link
from cc_orchestrator.tui.services import Services
from cc_orchestrator.tui.view import View, watch_view
from cc_orchestrator.tui.widgets.checks_panel import ChecksPanel
from cc_orchestrator.tui.widgets.key_bar import KeyBar
from cc_orchestrator.tui.widgets.task_column import PRIORITY_STYLES, SOURCES
from cc_orchestrator.tui.widgets.worktree_tree import short_path


def source_text(task: Task) -> Text:
    """ "GitHub acme/web#12" with the label linking to the issue; "manual" for a hand-made task."""
    if task.source == "manual":
        return Text("manual")
    text = Text(f"{SOURCES.get(task.source, task.source)} ")
    text.append_text(link(task.source_label, task.source_url) if task.source_url else Text(task.source_label))
    return text


def head(task: Task, view: View, now) -> Text:
    deps = Text()
    for dep in task.dependencies:
        other = view.task(dep)
        deps.append(
            f"#{dep} {other.status.value if other else '?'}  ",
            "green" if other and other.status is TaskStatus.DONE else "yellow",
        )
    title = Text.assemble((f" Task {task.id} ", "bold reverse"), "  ", (task.title, "bold"), "\n\n")
    return title + fields(
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
            ("checks", Text(*checks.BADGES[task.checks]) if task.checks else "-"),
        ]
    )


class TaskDetail(Screen):
    BINDINGS = [
        Binding("escape", "close", "Back", id="task_detail.close"),
        Binding("e", "edit", "Edit", id="task_detail.edit"),
        Binding("s", "start", "Start instance", id="task_detail.start"),
        Binding("delete", "delete", "Delete", id="task_detail.delete"),
        Binding("o", "open_link", "Open in browser", id="task_detail.open_link"),
        Binding("P", "pull_request", "Open pull request", id="task_detail.pull_request"),
        Binding("M", "merge", "Merge", id="task_detail.merge"),
    ]

    def __init__(self, task_id: int, services: Services) -> None:
        super().__init__(classes="detail")
        self.task_id = task_id
        self.services = services
        self.actions = TaskActions(self, services)
        self.shown: Task | None = None  # as the newest view has it
        self._known: set[int] = set()
        self._run_news: int | None = None  # the newest event about one of its check runs, when read

    def compose(self) -> ComposeResult:
        yield Static(id="detail-head")
        description = Static(id="task-description", markup=False)
        description.border_title = "Description"
        yield description
        yield ChecksPanel()
        events = EventsLog(id="task-events")
        events.border_title = "Events"
        yield events
        yield KeyBar()

    def on_mount(self) -> None:
        watch_view(self, self._show)
        self._load_history()

    def _show(self, view: View) -> None:
        task = view.task(self.task_id)
        if task is None:
            return
        self.shown, self._known, now = task, {t.id for t in view.tasks}, self.services.clock()
        self.query_one("#detail-head", Static).update(head(task, view, now))
        self.query_one("#task-description", Static).update(task.description or "(no description)")
        self.query_one(EventsLog).add([e for e in view.events if e.task_id == self.task_id], now)
        news = max((e.id for e in view.events if e.task_id == self.task_id and "run" in e.data), default=0)
        if self._run_news is None or news > self._run_news:  # a run started or ended: read them again
            self._run_news = news
            self._load_checks(task)

    @work(thread=True, group="history", exit_on_error=False)
    def _load_history(self) -> None:
        """The task's older events: the view keeps only the newest of all."""
        try:
            events = self.services.reads.task_events(self.task_id)
        except Exception as exc:
            self.call_later(self.notify, getattr(exc, "message", str(exc)), severity="warning")
            return
        self.call_later(self._add_history, events)

    def _add_history(self, events: list[Event]) -> None:
        self.query_one(EventsLog).add(events, self.services.clock())

    @work(thread=True, exclusive=True, group="checks", exit_on_error=False)
    def _load_checks(self, task: Task) -> None:
        """What checks the task (its repository's file) and its runs (the store)."""
        reads = self.services.reads
        try:
            command = reads.checks(task).describe()
        except Exception as exc:  # a broken .cc-orchestrator.toml: say so where the command goes
            command = f"unknown: {message_of(exc)}"
        try:
            runs = reads.check_runs(task.id)
        except Exception as exc:
            self.call_later(self.notify, message_of(exc), severity="warning")
            return
        self.call_later(self._show_checks, command, runs)

    def _show_checks(self, command: str, runs: list[CheckRun]) -> None:
        self.query_one(ChecksPanel).show(command, runs, self.services.clock())

    def action_close(self) -> None:
        self.dismiss()

    def action_edit(self) -> None:
        if self.shown is not None:
            self.actions.edit(self.shown, self._known)

    def action_start(self) -> None:
        if self.shown is not None:
            self.actions.start(self.shown)

    def action_delete(self) -> None:
        if self.shown is not None:
            self.actions.delete(self.shown, then=self.dismiss)

    def action_open_link(self) -> None:
        if self.shown is not None:
            self.actions.open_link(self.shown)

    def action_pull_request(self) -> None:
        if self.shown is not None:
            self.actions.pull_request(self.shown)

    def action_merge(self) -> None:
        if self.shown is not None:
            self.actions.merge(self.shown)

    def action_open_url(self, url: str) -> None:
        """A click on a link: the terminal may not follow OSC 8 links while the app has the mouse."""
        self.actions.open_url(url)
