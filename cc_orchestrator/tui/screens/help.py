"""`?`: every key, by where it works, with the binding id to remap it in the `keymap` setting.
The command palette reads the same list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from cc_orchestrator.tui.keys import APP_BINDINGS, effective
from cc_orchestrator.tui.screens.dashboard import Dashboard
from cc_orchestrator.tui.screens.instance_detail import InstanceDetail
from cc_orchestrator.tui.screens.task_detail import TaskDetail
from cc_orchestrator.tui.widgets.instances import InstancesPane
from cc_orchestrator.tui.widgets.log_view import LogPane
from cc_orchestrator.tui.widgets.pane import Pane
from cc_orchestrator.tui.widgets.task_board import TaskBoard
from cc_orchestrator.tui.widgets.worktree_map import WorktreeMap


def sections() -> list[tuple[str, type[Pane] | None, list[Binding]]]:
    """(title, the dashboard pane they belong to or None, bindings) for each place keys work."""
    everywhere = [*APP_BINDINGS, *Dashboard.BINDINGS]
    return [
        ("Everywhere", None, [b for b in everywhere if isinstance(b, Binding)]),
        ("Instances", InstancesPane, InstancesPane.BINDINGS),
        ("Task board", TaskBoard, TaskBoard.BINDINGS),
        ("Worktrees", WorktreeMap, WorktreeMap.BINDINGS),
        ("Logs", LogPane, LogPane.BINDINGS),
        ("Instance detail", None, InstanceDetail.BINDINGS),
        ("Task detail", None, TaskDetail.BINDINGS),
    ]  # type: ignore[list-item]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__(classes="dialog-screen")
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Label("Keys", classes="dialog-title")
            yield DataTable(id="help-keys", cursor_type="none", zebra_stripes=True)
            yield Static(
                "Tab/Shift-Tab move between panes, arrows or j/k inside them; the mouse works too. "
                "Remap a key with the keymap setting: binding id -> key. Esc closes.",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("KEY", "ACTION", "ID")
        for title, _, bindings in sections():
            table.add_row(Text(title, "bold"), "", "")
            for binding in bindings:
                shown = effective(binding, self.keymap)
                keys = ", ".join(self.app.get_key_display(replace_key(shown, k)) for k in shown.key.split(","))
                table.add_row(Text(keys, "bold cyan"), binding.description or binding.action, binding.id or "")
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)


def replace_key(binding: Binding, key: str) -> Binding:
    return replace(binding, key=key.strip())
