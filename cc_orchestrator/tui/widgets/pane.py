"""A titled dashboard pane: a bordered box whose title carries a count, e.g. "Instances (12)"."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget


class Pane(Vertical):
    """Base of the four panes. `main` is the widget Tab lands on."""

    TITLE = ""

    class Requested(Message):
        """The user asked for an action on a target; `action` is the binding id ("instances.stop")."""

        def __init__(self, action: str, target: Any = None, value: Any = None) -> None:
            super().__init__()
            self.action = action
            self.target = target
            self.value = value

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = self.TITLE

    def set_count(self, shown: int, total: int | None = None, note: str = "") -> None:
        counted = f"{shown}" if total is None or total == shown else f"{shown}/{total}"
        title = f"{self.TITLE} ({counted})" + (f"  {note}" if note else "")
        if self.border_title != title:  # setting it repaints the pane, even unchanged
            self.border_title = title

    @property
    def main(self) -> Widget:
        raise NotImplementedError

    def focus_main(self) -> None:
        self.main.focus()

    def request(self, action: str, target: Any, value: Any = None) -> None:
        """Ask the app for `action`; with nothing selected, just ring the bell."""
        if target is None:
            self.app.bell()
            return
        self.post_message(self.Requested(action, target, value))
