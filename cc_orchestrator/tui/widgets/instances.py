"""The Instances pane: the table, a filter box, a sort order, and what the user asks for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import DataTable, Input

from cc_orchestrator.core.models import LOCAL_HOST, Instance, Overlap
from cc_orchestrator.tui.humanize import ago_changes_in
from cc_orchestrator.tui.widgets.fields import TextInput
from cc_orchestrator.tui.widgets.instance_table import SORTS, InstanceTable, matches
from cc_orchestrator.tui.widgets.pane import Pane

TICK_AT_MOST_EVERY = 30.0  # seconds: an age ("12m") may show up to this late, never stale


class InstancesPane(Pane):
    TITLE = "Instances"
    BINDINGS = [
        Binding("enter", "jump", "Jump in", id="instances.jump"),
        Binding("d", "details", "Details", id="instances.details"),
        Binding("p", "prompt", "Prompt", id="instances.prompt"),
        Binding("a", "approve", "Approve", id="instances.approve"),
        Binding("n", "reject", "Reject", id="instances.reject", show=False),
        Binding("i", "interrupt", "Interrupt", id="instances.interrupt", show=False),
        Binding("x", "stop", "Stop", id="instances.stop"),
        Binding("R", "restart", "Restart", id="instances.restart"),
        Binding("slash", "filter", "Filter", id="instances.filter"),
        Binding("o", "sort", "Sort", id="instances.sort"),
        Binding("h", "host", "Host filter", id="instances.host"),
        Binding("escape", "clear_filter", "Clear filter", id="instances.clear_filter", show=False),
    ]

    sort_by: var[str] = var("started", init=False)
    filter_text: var[str] = var("", init=False)
    host: var[str] = var("", init=False)  # only this host's instances ("": every host's)

    class Highlighted(Message):
        """The cursor moved to another instance (None: the table is empty)."""

        def __init__(self, instance_id: str | None) -> None:
            super().__init__()
            self.instance_id = instance_id

    class Asked(Message):
        """The user asked for something about this instance (a subclass says what)."""

        def __init__(self, instance: Instance) -> None:
            super().__init__()
            self.instance = instance

    class JumpRequested(Asked):
        """Enter: put the terminal in the instance's tmux session."""

    class DetailsRequested(Asked):
        """d: its screen, diff and events."""

    class PromptRequested(Asked):
        """p: type a prompt for it."""

    class ApproveRequested(Asked):
        """a: answer its permission dialog yes."""

    class RejectRequested(Asked):
        """n: answer its permission dialog no."""

    class InterruptRequested(Asked):
        """i: interrupt its current turn."""

    class StopRequested(Asked):
        """x: stop it (after a confirmation)."""

    class RestartRequested(Asked):
        """R: restart its agent."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        """`clock`: "now", for the ages to tick between views (without one, they change with
        the views only)."""
        super().__init__(id="instances")
        self.table = InstanceTable()
        self.clock = clock
        self._instances: tuple[Instance, ...] = ()
        self._titles: dict[int, str] = {}
        self._overlaps: dict[str, tuple[Overlap, ...]] = {}
        self._hosts: tuple[str, ...] = ()  # the remote hosts' names
        self._now: datetime | None = None
        self._tick: Timer | None = None

    def compose(self) -> ComposeResult:
        yield self.table  # the filter box is mounted on first use: an Input costs start-up time

    @property
    def main(self) -> InstanceTable:
        return self.table

    @property
    def selected(self) -> Instance | None:
        return self.table.selected

    def show(
        self,
        instances: tuple[Instance, ...],
        titles: dict[int, str],
        now: datetime,
        overlaps: dict[str, tuple[Overlap, ...]] | None = None,
        hosts: tuple[str, ...] = (),
    ) -> None:
        """`overlaps`: by instance id, for the `!` marks and the tooltip; `hosts`: the remote
        hosts' names (none: no HOST column, no host filter)."""
        self._instances, self._titles, self._now = instances, titles, now
        self._overlaps = overlaps or {}
        if hosts != self._hosts:
            self._hosts = hosts
            self.refresh_bindings()  # `h` shows in the footer only with remote hosts
        self._arrange()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "host":
            return bool(self._hosts or self.host)
        return True

    def watch_sort_by(self) -> None:
        self._arrange()

    def watch_filter_text(self) -> None:
        self._arrange()

    def watch_host(self) -> None:
        self._arrange()

    def _arrange(self) -> None:
        """The table and the title for the data, filter and sort order as they are now."""
        if self._now is None:
            return
        words, titles, host = self.filter_text, self._titles, self.host
        shown = [
            i
            for i in self._instances
            if (not host or i.host == host)
            and (not words or matches(i, titles.get(i.task_id, "") if i.task_id is not None else "", words))
        ]
        remote = bool(self._hosts) or any(i.host != LOCAL_HOST for i in self._instances)
        self.table.show(shown, titles, self._now, self.sort_by, self._overlaps, hosts=remote)
        note = f"sorted by {self.sort_by}" if self.sort_by != "started" else ""
        if host:
            note = f"host {host}  {note}".strip()
        if words:
            note = f"/{words}  {note}".strip()
        self.set_count(self.table.row_count, len(self._instances), note)
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        """Wake when the first AGE or ACTIVE cell would read otherwise (at most every
        TICK_AT_MOST_EVERY): no timer beats faster than the text it shows changes."""
        if self._tick is not None:
            self._tick.stop()
            self._tick = None
        if self.clock is None or self._now is None:
            return
        times = [t for i in self._instances for t in (i.created_at, i.last_activity)]
        waits = [w for w in (ago_changes_in(t, self._now) for t in times) if w is not None]
        if waits:
            self._tick = self.set_timer(max(min(waits) + 0.05, TICK_AT_MOST_EVERY), self._ticked)

    def _ticked(self) -> None:
        self._tick = None
        now = self.clock() if self.clock is not None else None
        if now is not None and now != self._now:  # a fixed clock (tests, pictures) never ticks
            self._now = now
            self._arrange()

    @on(DataTable.RowHighlighted, "#instance-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.table.explain(self.table.selected)
        self.post_message(self.Highlighted(event.row_key.value))

    @on(DataTable.RowSelected, "#instance-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # a click on the row under the cursor
        self._ask(self.JumpRequested)

    @on(Input.Changed, "#instance-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()

    @on(Input.Submitted, "#instance-filter")
    def _filter_kept(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        for box in self.query("#instance-filter").results(Input):
            box.value = ""
            box.display = False
        self.table.focus()

    async def action_filter(self) -> None:
        box = next(iter(self.query("#instance-filter").results(Input)), None)
        if box is None:
            box = TextInput(
                placeholder="filter: id, state, task, branch (Enter keeps it, Esc clears)", id="instance-filter"
            )
            await self.mount(box, before=self.table)
        box.display = True
        box.focus()

    def action_sort(self) -> None:
        names = list(SORTS)
        self.sort_by = names[(names.index(self.sort_by) + 1) % len(names)]

    def action_host(self) -> None:
        """Every host's instances -> local's -> each remote host's in turn -> every host's."""
        choices = ["", LOCAL_HOST, *self._hosts]
        step = choices.index(self.host) + 1 if self.host in choices else 0
        self.host = choices[step % len(choices)]
        self.refresh_bindings()

    def _ask(self, request: type[Asked]) -> None:
        """Post the request for the selected instance; with none, ring the bell."""
        instance = self.selected
        if instance is None:
            self.app.bell()
            return
        self.post_message(request(instance))

    def action_jump(self) -> None:
        self._ask(self.JumpRequested)

    def action_details(self) -> None:
        self._ask(self.DetailsRequested)

    def action_prompt(self) -> None:
        self._ask(self.PromptRequested)

    def action_approve(self) -> None:
        self._ask(self.ApproveRequested)

    def action_reject(self) -> None:
        self._ask(self.RejectRequested)

    def action_interrupt(self) -> None:
        self._ask(self.InterruptRequested)

    def action_stop(self) -> None:
        self._ask(self.StopRequested)

    def action_restart(self) -> None:
        self._ask(self.RestartRequested)
