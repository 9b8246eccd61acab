"""Text fields whose cursor blinks only in a live app: pictures and snapshots hold still."""

from __future__ import annotations

from textual.widgets import Input, TextArea


class TextInput(Input):
    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "blink", True)


class TextBox(TextArea):
    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "blink", True)
