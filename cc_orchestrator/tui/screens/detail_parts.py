"""Parts of both detail views: aligned fields, an events log, links the app itself answers."""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.widgets import RichLog

from cc_orchestrator.core.models import Event
from cc_orchestrator.tui.widgets.log_view import event_line


def fields(pairs: list[tuple[str, str | Text]], width: int = 60) -> Text:
    """Name/value pairs in two aligned columns."""
    text = Text()
    for n, (name, value) in enumerate(pairs):
        text.append(f"{name:>10} ", "dim")
        value = Text(value) if isinstance(value, str) else value.copy()
        if n % 2 == 0:
            value.truncate(width, overflow="ellipsis", pad=True)
        text.append_text(value)
        text.append("\n" if n % 2 else " ")
    if len(pairs) % 2:  # a last pair alone on its line ends it too
        text.append("\n")
    return text


def link(words: str, url: str) -> Text:
    """`words` linking to `url`: a terminal hyperlink, and a click the app itself answers
    (Textual draws it with the theme's link style)."""
    return Text(words, Style(link=url) + Style.on(click=("screen.open_url", (url,))))


class EventsLog(RichLog):
    """Events of one instance or task, oldest first, appended as they come."""

    def __init__(self, id: str) -> None:
        super().__init__(id=id, max_lines=1000, wrap=False)
        self._events: dict[int, Event] = {}

    def add(self, events: list[Event], now: datetime) -> None:
        fresh = {e.id: e for e in events if e.id not in self._events}
        if not fresh:
            return
        last = max(self._events, default=0)
        self._events.update(fresh)
        if min(fresh) < last:  # older history arrived after newer events: write all in order
            self.clear()
            fresh = self._events
        for event_id in sorted(fresh):
            self.write(event_line(self._events[event_id], now))
