"""A text field whose cursor blinks only in a live app: pictures and snapshots hold still.
(The task form's TextBox lives with it: a TextArea is not needed before the form opens.)"""

from __future__ import annotations

from textual.widgets import Input


class TextInput(Input):
    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "blink", True)
