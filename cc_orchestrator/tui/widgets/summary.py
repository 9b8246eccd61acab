"""The summary line above the panes: the repository, instances by state, tasks, and a warning."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static

from cc_orchestrator.core.models import InstanceStatus, TaskStatus
from cc_orchestrator.tui.view import View
from cc_orchestrator.tui.widgets.instance_table import STATE_STYLES
from cc_orchestrator.tui.widgets.worktree_tree import short_path


def summary(view: View, warning: str = "") -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" cc-orchestrator ", "bold reverse")
    text.append(f"  {short_path(view.repo)}" if view.repo else "  (no repository)", "dim")
    states = Counter(i.status for i in view.instances)
    live = sum(n for status, n in states.items() if status.is_live)
    text.append(f"   {live} live")
    for status in (InstanceStatus.WAITING_INPUT, InstanceStatus.RUNNING, InstanceStatus.IDLE, InstanceStatus.ERROR):
        if states[status]:
            text.append("  ")
            text.append(f"{states[status]} {status.value}", STATE_STYLES[status])
    ready = sum(1 for t in view.tasks if t.status is TaskStatus.PENDING and not t.blocked)
    done = sum(1 for t in view.tasks if t.status is TaskStatus.DONE)
    text.append(f"   tasks: {ready} ready, {done}/{len(view.tasks)} done", "dim")
    if not view.live:
        text.append("   connecting to tmux...", "dim italic")
    if warning:
        text.append(f"   ! {warning}", "bold yellow")
    return text


class Summary(Static):
    view: var[View | None] = var(None, always_update=True, init=False)
    warning: var[str] = var("", init=False)

    def __init__(self) -> None:
        super().__init__(id="summary")
        self._line: Text | None = None

    def watch_view(self) -> None:
        self._update()

    def watch_warning(self) -> None:
        self._update()

    def _update(self) -> None:
        if self.view is None:
            return
        line = summary(self.view, self.warning)
        if line != self._line:  # an update repaints the line, even unchanged
            self._line = line
            self.update(line)
