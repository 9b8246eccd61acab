"""Live logs: the orchestrator's events (all, or the selected instance's), the agent's output
log, or its screen as text; with a level filter and a search, following the tail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, RichLog

from cc_orchestrator.core.models import Event, Level
from cc_orchestrator.tui import humanize
from cc_orchestrator.tui.widgets.fields import TextInput
from cc_orchestrator.tui.widgets.pane import Pane

LEVELS = list(Level)
LEVEL_STYLES = {Level.DEBUG: "dim", Level.INFO: "", Level.WARNING: "yellow", Level.ERROR: "bold red"}
VIEWS = ("events", "output", "screen")


def event_line(event: Event, now: datetime) -> Text:
    text = Text(no_wrap=True)
    text.append(humanize.clock_time(event.created_at, now) + " ", "dim")
    text.append(f"{event.level.value:<7} ", LEVEL_STYLES[event.level] or "green")
    if event.instance_id:
        text.append(f"{event.instance_id} ", "cyan")
    text.append(event.message, LEVEL_STYLES[event.level])
    return text


class LogView(RichLog):
    BINDINGS = [
        Binding("j", "scroll_down", "Down", id="logs.down", show=False),
        Binding("k", "scroll_up", "Up", id="logs.up", show=False),
    ]


class LogPane(Pane):
    TITLE = "Logs"
    BINDINGS = [
        Binding("v", "view", "Events/output/screen", id="logs.view"),
        Binding("a", "scope", "All/selected", id="logs.scope"),
        Binding("l", "level", "Level", id="logs.level"),
        Binding("slash", "search", "Search", id="logs.search"),
        Binding("f", "follow", "Follow", id="logs.follow"),
        Binding("escape", "clear_search", "Clear search", id="logs.clear_search", show=False),
    ]

    class TextWanted(Message):
        """The pane shows an instance's output or screen and needs its text loaded."""

        def __init__(self, view: str, instance_id: str) -> None:
            super().__init__()
            self.view = view
            self.instance_id = instance_id

    def __init__(self) -> None:
        super().__init__(id="logs")
        self.log_widget = LogView(id="log", max_lines=2000, wrap=False, markup=False)
        self.instance_id: str | None = None  # the instance selected in the Instances pane
        self.view = "events"
        self.all_instances = True
        self.min_level = Level.INFO
        self.search = ""
        self._events: tuple[Event, ...] = ()
        self._last_id = 0
        self._text: list[str] = []
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield self.log_widget  # the search box is mounted on first use

    @property
    def main(self) -> RichLog:
        return self.log_widget

    @property
    def wanted_text(self) -> tuple[str, str] | None:
        """(view, instance id) when the pane shows text that must be loaded."""
        if self.view == "events" or self.instance_id is None:
            return None
        return self.view, self.instance_id

    def show_events(self, events: tuple[Event, ...], now: datetime) -> None:
        self._events, self._now = events, now
        if self.view != "events":
            return
        fresh = [e for e in events if e.id > self._last_id]
        self._write_events(fresh)

    def show_text(self, view: str, instance_id: str, lines: list[str]) -> None:
        if (view, instance_id) != self.wanted_text or lines == self._text:
            return
        self._text = lines
        self._rebuild(load=False)

    def select_instance(self, instance_id: str | None) -> None:
        if instance_id == self.instance_id:
            return
        self.instance_id = instance_id
        self._text = []
        if not self.all_instances or self.view != "events":
            self._rebuild()

    def _matches(self, event: Event) -> bool:
        if LEVELS.index(event.level) < LEVELS.index(self.min_level):
            return False
        if not self.all_instances and event.instance_id != self.instance_id:
            return False
        return not self.search or self.search.lower() in event.message.lower()

    def _write_events(self, events: Iterable[Event]) -> None:
        now = self._now
        for event in events:
            self._last_id = max(self._last_id, event.id)
            if now is not None and self._matches(event):
                self.log_widget.write(self._highlight(event_line(event, now)))

    def _highlight(self, text: Text) -> Text:
        if self.search:
            text.highlight_words([self.search], "reverse", case_sensitive=False)
        return text

    def _rebuild(self, load: bool = True) -> None:
        self.log_widget.clear()
        self._last_id = 0
        self._retitle()
        if self.view == "events":
            self._write_events(self._events)
            return
        if self.instance_id is None:
            self.log_widget.write(Text("select an instance to see its " + self.view, "dim"))
            return
        for line in self._text:
            if not self.search or self.search.lower() in line.lower():
                self.log_widget.write(self._highlight(Text(line, no_wrap=True)))
        if load:
            self.post_message(self.TextWanted(self.view, self.instance_id))

    def _retitle(self) -> None:
        scope = "all" if self.all_instances and self.view == "events" else (self.instance_id or "-")
        parts = [self.view, scope]
        if self.view == "events":
            parts.append(f">= {self.min_level.value}")
        if self.search:
            parts.append(f"/{self.search}")
        if not self.log_widget.auto_scroll:
            parts.append("paused")
        self.border_title = f"{self.TITLE}: " + "  ".join(parts)

    def on_mount(self) -> None:
        self._retitle()

    @on(Input.Changed, "#log-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value.strip()
        self._rebuild()

    @on(Input.Submitted, "#log-search")
    def _search_kept(self) -> None:
        self.log_widget.focus()

    def action_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self._text = []
        self._rebuild()

    def action_scope(self) -> None:
        self.all_instances = not self.all_instances
        self._rebuild()

    def action_level(self) -> None:
        self.min_level = LEVELS[(LEVELS.index(self.min_level) + 1) % len(LEVELS)]
        self._rebuild()

    async def action_search(self) -> None:
        box = next(iter(self.query("#log-search").results(Input)), None)
        if box is None:
            box = TextInput(placeholder="search the log (Esc clears)", id="log-search")
            await self.mount(box, before=self.log_widget)
        box.display = True
        box.focus()

    def action_clear_search(self) -> None:
        for box in self.query("#log-search").results(Input):
            box.value = ""
            box.display = False
        self.log_widget.focus()

    def action_follow(self) -> None:
        self.log_widget.auto_scroll = not self.log_widget.auto_scroll
        if self.log_widget.auto_scroll:
            self.log_widget.scroll_end(animate=False)
        self._retitle()
