"""Live logs: the orchestrator's events (all, or the selected instance's), the agent's output
log, or its screen as text; with a level filter and a search, following the tail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.widgets import Input, RichLog

from cc_orchestrator.core.models import Event, Level
from cc_orchestrator.tui import humanize
from cc_orchestrator.tui.following import follow
from cc_orchestrator.tui.reads import Reads
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

    showing: var[str] = var("events", init=False)  # one of VIEWS
    instance_id: var[str | None] = var(None, init=False)  # the instance selected in the Instances pane
    all_instances: var[bool] = var(True, init=False)
    min_level: var[Level] = var(Level.INFO, init=False)
    search: var[str] = var("", init=False)
    following: var[bool] = var(True, init=False)
    text: var[tuple[str, ...]] = var((), init=False)  # the agent's output or screen, once loaded
    title: var[str] = var("")

    def __init__(self, reads: Reads) -> None:
        super().__init__(id="logs")
        self.reads = reads
        self.log_widget = LogView(id="log", max_lines=2000, wrap=False, markup=False)
        self._events: tuple[Event, ...] = ()
        self._last_id = 0
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield self.log_widget  # the search box is mounted on first use

    @property
    def main(self) -> RichLog:
        return self.log_widget

    def show_events(self, events: tuple[Event, ...], now: datetime) -> None:
        self._events, self._now = events, now
        if self.showing == "events":
            self._write_events(e for e in events if e.id > self._last_id)

    # -- what is shown follows the reactives -----------------------------------------------

    def compute_title(self) -> str:
        scope = "all" if self.all_instances and self.showing == "events" else (self.instance_id or "-")
        parts = [self.showing, scope]
        if self.showing == "events":
            parts.append(f">= {self.min_level.value}")
        if self.search:
            parts.append(f"/{self.search}")
        if not self.following:
            parts.append("paused")
        return f"{self.TITLE}: " + "  ".join(parts)

    def watch_title(self, title: str) -> None:
        self.border_title = title

    def watch_showing(self) -> None:
        self._load_text()

    def watch_instance_id(self) -> None:
        if self.showing != "events":
            self._load_text()
        elif not self.all_instances:
            self._rebuild()

    def watch_all_instances(self) -> None:
        self._rebuild()

    def watch_min_level(self) -> None:
        self._rebuild()

    def watch_search(self) -> None:
        self._rebuild()

    def watch_text(self) -> None:
        self._rebuild()

    def watch_following(self, following: bool) -> None:
        self.log_widget.auto_scroll = following
        if following:
            self.log_widget.scroll_end(animate=False)

    def _load_text(self) -> None:
        """Start following the selected instance's output or screen (or stop, for events)."""
        self.workers.cancel_group(self, "log-text")
        self.set_reactive(LogPane.text, ())
        self._rebuild()
        if self.showing != "events" and self.instance_id is not None:
            self._follow(self.showing, self.instance_id)

    @work(thread=True, group="log-text", exit_on_error=False)
    def _follow(self, showing: str, instance_id: str) -> None:
        follow(
            partial(self.reads.output_mark, instance_id),
            partial(self._read, showing, instance_id),
            partial(self.call_later, self._loaded, showing, instance_id),
        )

    def _read(self, showing: str, instance_id: str) -> tuple[str, ...]:
        try:
            if showing == "screen":
                return tuple(self.reads.screen(instance_id).splitlines())
            return tuple(self.reads.output(instance_id))
        except Exception as exc:
            return (f"cannot read the {showing} of instance {instance_id}: {getattr(exc, 'message', exc)}",)

    def _loaded(self, showing: str, instance_id: str, lines: tuple[str, ...]) -> None:
        if (showing, instance_id) == (self.showing, self.instance_id):
            self.text = lines

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

    def _rebuild(self) -> None:
        self.log_widget.clear()
        self._last_id = 0
        if self.showing == "events":
            self._write_events(self._events)
            return
        if self.instance_id is None:
            self.log_widget.write(Text("select an instance to see its " + self.showing, "dim"))
            return
        for line in self.text:
            if not self.search or self.search.lower() in line.lower():
                self.log_widget.write(self._highlight(Text(line, no_wrap=True)))

    # -- keys --------------------------------------------------------------------------------

    @on(Input.Changed, "#log-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value.strip()

    @on(Input.Submitted, "#log-search")
    def _search_kept(self) -> None:
        self.log_widget.focus()

    def action_view(self) -> None:
        self.showing = VIEWS[(VIEWS.index(self.showing) + 1) % len(VIEWS)]

    def action_scope(self) -> None:
        self.all_instances = not self.all_instances

    def action_level(self) -> None:
        self.min_level = LEVELS[(LEVELS.index(self.min_level) + 1) % len(LEVELS)]

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
        self.following = not self.following
