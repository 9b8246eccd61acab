"""The table of instances: one row per instance, keyed by its id and updated cell by cell."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from cc_orchestrator.core.models import LOCAL_HOST, Instance, InstanceStatus, Overlap
from cc_orchestrator.tui import humanize

STATE_STYLES = {
    InstanceStatus.STARTING: "magenta",
    InstanceStatus.RUNNING: "bold green",
    InstanceStatus.WAITING_INPUT: "bold black on yellow",
    InstanceStatus.IDLE: "cyan",
    InstanceStatus.ERROR: "bold white on red",
    InstanceStatus.STOPPED: "dim",
    InstanceStatus.UNREACHABLE: "bold grey70 on dark_magenta",  # its host does not answer
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
# With remote hosts: a HOST column, and room in STATE for "UNREACHABLE 12m".
HOST_COLUMNS = [("id", "ID", 6), ("state", "STATE", 17), ("host", "HOST", 8), *COLUMNS[2:]]
_ATTENTION = [
    InstanceStatus.WAITING_INPUT,
    InstanceStatus.ERROR,
    InstanceStatus.UNREACHABLE,
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


def state_cell(instance: Instance, now: datetime | None = None) -> Text:
    """The state as a coloured label; UNREACHABLE says for how long ("UNREACHABLE 3m")."""
    label = instance.status.value
    if instance.status is InstanceStatus.UNREACHABLE:
        if now is not None and instance.unreachable_since is not None:
            label += f" {humanize.ago(instance.unreachable_since, now)}"
    elif instance.pending_prompt and instance.status.is_live:
        label += "*"
    return Text(f" {label} ", style=STATE_STYLES[instance.status])


def host_cell(instance: Instance) -> str | Text:
    return Text(instance.host, "dim") if instance.host == LOCAL_HOST else instance.host


def branch_cell(instance: Instance, overlaps: tuple[Overlap, ...] = ()) -> str | Text:
    """The branch, marked `!` when its worktree shares files with another (yellow) or no longer
    merges (red); the tooltip and the detail screen say with whom and where."""
    branch = instance.branch or "-"
    if not overlaps:
        return branch
    style = "bold red" if any(o.conflicts for o in overlaps) else "yellow"
    return Text.assemble(("! ", style), (branch, style))


def overlap_lines(overlaps: tuple[Overlap, ...], worktree_id: str | None) -> list[str]:
    """One line per overlap, from this worktree's side."""
    return [o.summary(worktree_id if worktree_id in o.worktree_ids else o.worktree_ids[0]) for o in overlaps]


def row_cells(
    instance: Instance, title: str | None, now: datetime, overlaps: tuple[Overlap, ...] = (), hosts: bool = False
) -> tuple:
    """The cells of its row; `hosts`: with the HOST column (HOST_COLUMNS, else COLUMNS)."""
    usage = instance.resource_usage
    live = instance.status.is_live and instance.status is not InstanceStatus.UNREACHABLE  # else no fresh figures
    return (
        instance.id,
        state_cell(instance, now),
        *((host_cell(instance),) if hosts else ()),
        title or "-",
        branch_cell(instance, overlaps),
        humanize.cpu(usage.cpu_percent) if live else "-",
        humanize.memory(usage.memory_mb) if live else "-",
        humanize.count(instance.tokens_in + instance.tokens_out),
        humanize.ago(instance.created_at, now),
        humanize.ago(instance.last_activity, now),
    )


def matches(instance: Instance, title: str, words: str) -> bool:
    words_of = (instance.id, instance.status.value, title, instance.branch or "", instance.agent, instance.host)
    haystack = " ".join(words_of)
    return words.lower() in haystack.lower()


class InstanceTable(DataTable):
    """Rows keyed by instance id; `show` diffs, so the cursor and scroll stay put."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="instances.down", show=False),
        Binding("k", "cursor_up", "Up", id="instances.up", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="instance-table", cursor_type="row", zebra_stripes=True)
        self._shown: dict[str, tuple] = {}
        self._items: dict[str, Instance] = {}
        self._overlaps: dict[str, tuple[Overlap, ...]] = {}
        self._columns = COLUMNS

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            return False  # Enter is the pane's "instances.jump" binding, so it can be remapped
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for key, label, width in self._columns:
            self.add_column(label, key=key, width=width)

    def _use_columns(self, columns: list) -> None:
        """Another set of columns (the first remote host came, or the last went): rows are
        drawn again; the cursor goes back to the same instance with the re-sort after."""
        if columns is self._columns:
            return
        self._columns = columns
        self.clear(columns=True)
        self._shown = {}
        self._add_columns()

    @property
    def selected(self) -> Instance | None:
        if not self.row_count:
            return None
        return self._items.get(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or "")

    def show(
        self,
        instances: Iterable[Instance],
        titles: dict[int, str],
        now: datetime,
        sort_by: str,
        overlaps: dict[str, tuple[Overlap, ...]] | None = None,
        hosts: bool = False,
    ) -> None:
        """Exactly these rows (filtered already), in `sort_by` order; `overlaps` by instance id;
        `hosts`: with a HOST column (there are remote hosts)."""
        selected = self.selected
        self._use_columns(HOST_COLUMNS if hosts else COLUMNS)
        self._items = {i.id: i for i in instances}
        self._overlaps = overlaps or {}
        wanted = {
            i.id: row_cells(
                i, titles.get(i.task_id) if i.task_id is not None else None, now, self._overlaps.get(i.id, ()), hosts
            )
            for i in self._items.values()
        }
        for key in [k for k in self._shown if k not in wanted]:
            self.remove_row(key)
            del self._shown[key]
        for key, cells in wanted.items():
            old = self._shown.get(key)
            if old is None:
                self.add_row(*cells, key=key)
            elif old != cells:
                for (column, _, _), before, after in zip(self._columns, old, cells, strict=True):
                    if before != after:
                        self.update_cell(key, column, after)
            self._shown[key] = cells
        self._order(sort_by, selected.id if selected else None)
        self.explain(self.selected)

    def explain(self, instance: Instance | None) -> None:
        """The tooltip: the selected instance's overlaps, with whom and in which files."""
        found = self._overlaps.get(instance.id, ()) if instance is not None else ()
        self.tooltip = "\n".join(overlap_lines(found, instance.worktree_id)) if found else None

    def _order(self, sort_by: str, selected: str | None) -> None:
        """Re-sort only when the order changed; the cursor stays on (or goes back to) the same instance."""
        sort_key = SORTS[sort_by]
        wanted = sorted(self._shown, key=lambda k: (sort_key(self._items[k]), k))
        if [row.key.value for row in self.ordered_rows] != wanted:
            position = {key: n for n, key in enumerate(wanted)}
            self.sort("id", key=lambda instance_id: position[instance_id])
        now = self.selected
        if selected in self._shown and (now is None or now.id != selected):
            self.move_cursor(row=self.get_row_index(selected), animate=False)
