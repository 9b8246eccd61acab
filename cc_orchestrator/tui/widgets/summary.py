"""The summary line above the panes: the repository, instances by state, tasks, the remote
hosts' health, and a warning."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static

from cc_orchestrator.core.models import InstanceStatus, TaskStatus
from cc_orchestrator.tui import humanize
from cc_orchestrator.tui.view import View
from cc_orchestrator.tui.widgets.instance_table import STATE_STYLES
from cc_orchestrator.tui.widgets.worktree_tree import short_path

S = InstanceStatus


def summary(view: View, warning: str = "") -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" cc-orchestrator ", "bold reverse")
    text.append(f"  {short_path(view.repo)}" if view.repo else "  (no repository)", "dim")
    states = Counter(i.status for i in view.instances)
    live = sum(n for status, n in states.items() if status.is_live)
    text.append(f"   {live} live")
    for status in (S.WAITING_INPUT, S.RUNNING, S.IDLE, S.ERROR):  # UNREACHABLE: in the hosts part
        if states[status]:
            text.append("  ")
            text.append(f"{states[status]} {status.value}", STATE_STYLES[status])
    ready = sum(1 for t in view.tasks if t.status is TaskStatus.PENDING and not t.blocked)
    done = sum(1 for t in view.tasks if t.status is TaskStatus.DONE)
    text.append(f"   tasks: {ready} ready, {done}/{len(view.tasks)} done", "dim")
    hosts_health(text, view)
    if not view.live:
        text.append("   connecting to tmux...", "dim italic")
    if warning:
        text.append(f"   ! {warning}", "bold yellow")
    return text


def hosts_health(text: Text, view: View) -> None:
    """`hosts: box ✓ 7ms · gpu ✗ 3m`: each remote host, answering (with its latency) or not
    (since how long, as of the snapshot). Nothing when there are none."""
    remote = [h for h in view.hosts if not h.is_local]
    if not remote:
        return
    text.append("   hosts:", "dim")
    for n, host in enumerate(remote):
        text.append(" · " if n else " ", "dim")
        if host.reachable:
            latency = f" {host.latency_ms:.0f}ms" if host.latency_ms is not None else ""
            text.append(f"{host.name} ✓{latency}", "green")
        else:
            gone = humanize.ago(host.unreachable_since, view.snapshot.taken_at)
            text.append(f"{host.name} ✗ {gone}", STATE_STYLES[S.UNREACHABLE])


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
