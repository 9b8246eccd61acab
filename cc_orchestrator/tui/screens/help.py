"""`?`: every key, by where it works, with the binding id to remap it in the `keymap` setting."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from cc_orchestrator.tui.keys import effective, sections


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
    from dataclasses import replace

    return replace(binding, key=key.strip())
