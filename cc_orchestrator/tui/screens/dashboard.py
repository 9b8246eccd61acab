"""The main screen: a summary line, the four panes, and the footer of the focused pane's keys."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from cc_orchestrator.core.models import InstanceStatus, TaskStatus
from cc_orchestrator.tui.live import Snapshot
from cc_orchestrator.tui.widgets.instances import STATE_STYLES, InstancesPane
from cc_orchestrator.tui.widgets.key_bar import KeyBar
from cc_orchestrator.tui.widgets.log_view import LogPane
from cc_orchestrator.tui.widgets.pane import Pane
from cc_orchestrator.tui.widgets.task_board import TaskBoard
from cc_orchestrator.tui.widgets.worktree_map import WorktreeMap, short_path

if TYPE_CHECKING:
    from cc_orchestrator.core.models import WorktreeReport


def summary(snapshot: Snapshot, warning: str = "") -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" cc-orchestrator ", "bold reverse")
    text.append(f"  {short_path(snapshot.repo)}" if snapshot.repo else "  (no repository)", "dim")
    states = Counter(i.status for i in snapshot.instances)
    live = sum(n for status, n in states.items() if status.is_live)
    text.append(f"   {live} live")
    for status in (InstanceStatus.WAITING_INPUT, InstanceStatus.RUNNING, InstanceStatus.IDLE, InstanceStatus.ERROR):
        if states[status]:
            text.append("  ")
            text.append(f"{states[status]} {status.value}", STATE_STYLES[status])
    ready = sum(1 for t in snapshot.tasks if t.status is TaskStatus.PENDING and not t.blocked)
    done = sum(1 for t in snapshot.tasks if t.status is TaskStatus.DONE)
    text.append(f"   tasks: {ready} ready, {done}/{len(snapshot.tasks)} done", "dim")
    if not snapshot.live:
        text.append("   connecting to tmux...", "dim italic")
    if warning:
        text.append(f"   ! {warning}", "bold yellow")
    return text


class Dashboard(Screen):
    warning: reactive[str] = reactive("")  # one line in the summary, e.g. an untested agent version

    BINDINGS = [
        Binding("tab", "pane(1)", "Next pane", id="dashboard.next_pane", show=False),
        Binding("shift+tab", "pane(-1)", "Previous pane", id="dashboard.previous_pane", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="dashboard")
        self.instances = InstancesPane()
        self.tasks = TaskBoard()
        self.worktrees = WorktreeMap()
        self.logs = LogPane()
        self._summary: Text | None = None
        self._snapshot: Snapshot | None = None

    @property
    def panes(self) -> list[Pane]:
        return [self.instances, self.tasks, self.worktrees, self.logs]

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        with Grid(id="panes"):
            yield from self.panes
        yield KeyBar()

    def on_mount(self) -> None:
        self.instances.focus_main()

    def show(self, snapshot: Snapshot, reports: dict[str, WorktreeReport], now: datetime) -> None:
        titles = {t.id: t.title for t in snapshot.tasks}
        self.instances.show(snapshot.instances, titles, now)
        self.tasks.show(snapshot.tasks)
        self.worktrees.show(snapshot.worktrees, reports)
        self.logs.show_events(snapshot.events, now)
        self._snapshot = snapshot
        self._show_summary()

    def watch_warning(self) -> None:
        if self._snapshot is not None:
            self._show_summary()

    def _show_summary(self) -> None:
        line = summary(self._snapshot, self.warning)
        shown = self.query("#summary")  # empty while the app shuts down
        if line != self._summary and shown:
            self._summary = line
            shown.first(Static).update(line)

    def show_reports(self, snapshot: Snapshot, reports: dict[str, WorktreeReport]) -> None:
        self.worktrees.show(snapshot.worktrees, reports)

    def focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        return node

    def action_pane(self, step: int) -> None:
        current = self.focused_pane()
        index = self.panes.index(current) if current in self.panes else -step
        self.panes[(index + step) % len(self.panes)].focus_main()

    def on_instances_pane_highlighted(self, message: InstancesPane.Highlighted) -> None:
        self.logs.select_instance(message.instance_id)
