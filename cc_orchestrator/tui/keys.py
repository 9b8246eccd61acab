"""Every key binding by where it works: the help screen and the command palette read this.

Bindings carry ids ("instances.stop") so users can remap them with the `keymap` setting
(binding id -> key, or several keys separated by commas).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from textual.binding import Binding


def sections() -> list[tuple[str, str | None, list[Binding]]]:
    """(title, dashboard pane attribute or None, bindings) for each place keys work."""
    from cc_orchestrator.tui.app import OrchestratorApp
    from cc_orchestrator.tui.screens.dashboard import Dashboard
    from cc_orchestrator.tui.screens.details import InstanceDetail, TaskDetail
    from cc_orchestrator.tui.widgets.instances import InstancesPane
    from cc_orchestrator.tui.widgets.log_view import LogPane
    from cc_orchestrator.tui.widgets.task_board import TaskBoard
    from cc_orchestrator.tui.widgets.worktree_map import WorktreeMap

    everywhere = [*OrchestratorApp.BINDINGS, *Dashboard.BINDINGS]
    return [
        ("Everywhere", None, [b for b in everywhere if isinstance(b, Binding)]),
        ("Instances", "instances", InstancesPane.BINDINGS),
        ("Task board", "tasks", TaskBoard.BINDINGS),
        ("Worktrees", "worktrees", WorktreeMap.BINDINGS),
        ("Logs", "logs", LogPane.BINDINGS),
        ("Instance detail", None, InstanceDetail.BINDINGS),
        ("Task detail", None, TaskDetail.BINDINGS),
    ]  # type: ignore[list-item]


def effective(binding: Binding, keymap: Mapping[str, str]) -> Binding:
    """The binding with the user's keys when the keymap remaps its id."""
    if binding.id and binding.id in keymap:
        return replace(binding, key=keymap[binding.id])
    return binding
