"""A titled dashboard pane: a bordered box whose title carries a count, e.g. "Instances (12)"."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget


class Pane(Vertical):
    """Base of the four panes. `main` is the widget Tab lands on."""

    TITLE = ""

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
