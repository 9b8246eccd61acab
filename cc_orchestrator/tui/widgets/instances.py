"""The Instances pane: one row per instance, keyed by its id and updated cell by cell."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input

from cc_orchestrator.core.models import Instance, InstanceStatus
from cc_orchestrator.tui import humanize
from cc_orchestrator.tui.widgets.fields import TextInput
from cc_orchestrator.tui.widgets.pane import Pane

STATE_STYLES = {
    InstanceStatus.STARTING: "magenta",
    InstanceStatus.RUNNING: "bold green",
    InstanceStatus.WAITING_INPUT: "bold black on yellow",
    InstanceStatus.IDLE: "cyan",
    InstanceStatus.ERROR: "bold white on red",
    InstanceStatus.STOPPED: "dim",
}
# key, label, width (None: as wide as its content)
COLUMNS = [
    ("id", "ID", 6),
    ("state", "STATE", 15),
    ("task", "TASK", 28),
    ("branch", "BRANCH", 26),
    ("cpu", "CPU", 4),
    ("mem", "MEM", 5),
    ("tokens", "TOKENS", 6),
    ("age", "AGE", 4),
    ("active", "ACTIVE", 6),
]
_ATTENTION = [
    InstanceStatus.WAITING_INPUT,
    InstanceStatus.ERROR,
    InstanceStatus.RUNNING,
    InstanceStatus.STARTING,
    InstanceStatus.IDLE,
    InstanceStatus.STOPPED,
]
SORTS: dict[str, Callable[[Instance], object]] = {
    "started": lambda i: i.created_at,
    "state": lambda i: (_ATTENTION.index(i.status), i.created_at),
    "cpu": lambda i: -i.resource_usage.cpu_percent,
    "memory": lambda i: -i.resource_usage.memory_mb,
    "tokens": lambda i: -(i.tokens_in + i.tokens_out),
    "activity": lambda i: -i.last_activity.timestamp(),
}


def state_cell(instance: Instance) -> Text:
    label = instance.status.value
    if instance.pending_prompt and instance.status.is_live:
        label += "*"
    return Text(f" {label} ", style=STATE_STYLES[instance.status])


def row_cells(instance: Instance, title: str | None, now: datetime) -> tuple:
    usage = instance.resource_usage
    live = instance.status.is_live
    return (
        instance.id,
        state_cell(instance),
        title or "-",
        instance.branch or "-",
        humanize.cpu(usage.cpu_percent) if live else "-",
        humanize.memory(usage.memory_mb) if live else "-",
        humanize.count(instance.tokens_in + instance.tokens_out),
        humanize.ago(instance.created_at, now),
        humanize.ago(instance.last_activity, now),
    )


class InstanceTable(DataTable):
    """Rows keyed by instance id; `show` diffs, so the cursor and scroll stay put."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="instances.down", show=False),
        Binding("k", "cursor_up", "Up", id="instances.up", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="instance-table", cursor_type="row", zebra_stripes=True)
        self.sort_by = "started"
        self.filter_text = ""
        self._shown: dict[str, tuple] = {}
        self._items: dict[str, Instance] = {}
        self._titles: dict[int, str] = {}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            return False  # Enter is the pane's "instances.jump" binding, so it can be remapped
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def show(self, instances: Iterable[Instance], titles: dict[int, str], now: datetime) -> None:
        self._items = {i.id: i for i in instances}
        self._titles = titles
        self._apply(now)

    def refilter(self, now: datetime) -> None:
        self._apply(now)

    def _matches(self, instance: Instance) -> bool:
        if not self.filter_text:
            return True
        title = self._titles.get(instance.task_id, "") if instance.task_id is not None else ""
        haystack = " ".join((instance.id, instance.status.value, title, instance.branch or "", instance.agent))
        return self.filter_text.lower() in haystack.lower()

    def _apply(self, now: datetime) -> None:
        selected = self.selected_id
        wanted = {
            i.id: row_cells(i, self._titles.get(i.task_id) if i.task_id is not None else None, now)
            for i in self._items.values()
            if self._matches(i)
        }
        for key in [k for k in self._shown if k not in wanted]:
            self.remove_row(key)
            del self._shown[key]
        for key, cells in wanted.items():
            old = self._shown.get(key)
            if old is None:
                self.add_row(*cells, key=key)
            elif old != cells:
                for (column, _, _), before, after in zip(COLUMNS, old, cells, strict=True):
                    if before != after:
                        self.update_cell(key, column, after)
            self._shown[key] = cells
        self._order(selected)

    def _order(self, selected: str | None) -> None:
        """Re-sort only when the order changed, then put the cursor back on the same instance."""
        sort_key = SORTS[self.sort_by]
        wanted = sorted(self._shown, key=lambda k: (sort_key(self._items[k]), k))
        if [row.key.value for row in self.ordered_rows] == wanted:
            return
        position = {key: n for n, key in enumerate(wanted)}
        self.sort("id", key=lambda instance_id: position[instance_id])
        if selected in self._shown:
            self.move_cursor(row=self.get_row_index(selected), animate=False)


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
        Binding("escape", "clear_filter", "Clear filter", id="instances.clear_filter", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another instance (None: the table is empty)."""

        def __init__(self, instance_id: str | None) -> None:
            super().__init__()
            self.instance_id = instance_id

    def __init__(self) -> None:
        super().__init__(id="instances")
        self.table = InstanceTable()
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield self.table  # the filter box is mounted on first use: an Input costs start-up time

    @property
    def main(self) -> InstanceTable:
        return self.table

    @property
    def selected_id(self) -> str | None:
        return self.table.selected_id

    def show(self, instances: tuple[Instance, ...], titles: dict[int, str], now: datetime) -> None:
        self._now = now
        self.table.show(instances, titles, now)
        self._retitle()

    def _retitle(self) -> None:
        note = f"sorted by {self.table.sort_by}" if self.table.sort_by != "started" else ""
        if self.table.filter_text:
            note = f"/{self.table.filter_text}  {note}".strip()
        self.set_count(self.table.row_count, len(self.table._items), note)

    @on(DataTable.RowHighlighted, "#instance-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.post_message(self.Highlighted(event.row_key.value))

    @on(DataTable.RowSelected, "#instance-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.request("instances.jump", event.row_key.value)

    @on(Input.Changed, "#instance-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.filter_text = event.value.strip()
        if self._now is not None:
            self.table.refilter(self._now)
        self._retitle()

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
        self.table.sort_by = names[(names.index(self.table.sort_by) + 1) % len(names)]
        if self._now is not None:
            self.table.refilter(self._now)
        self._retitle()

    def action_jump(self) -> None:
        self.request("instances.jump", self.selected_id)

    def action_details(self) -> None:
        self.request("instances.details", self.selected_id)

    def action_prompt(self) -> None:
        self.request("instances.prompt", self.selected_id)

    def action_approve(self) -> None:
        self.request("instances.approve", self.selected_id)

    def action_reject(self) -> None:
        self.request("instances.reject", self.selected_id)

    def action_interrupt(self) -> None:
        self.request("instances.interrupt", self.selected_id)

    def action_stop(self) -> None:
        self.request("instances.stop", self.selected_id)

    def action_restart(self) -> None:
        self.request("instances.restart", self.selected_id)
