"""The task board: five columns of cards, one per status, keyed by task id."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import DataTable

from cc_orchestrator.core.models import Priority, Task, TaskStatus
from cc_orchestrator.tui.widgets.pane import Pane

BOARD = list(TaskStatus)
PRIORITY_STYLES = {Priority.HIGH: "bold red", Priority.MEDIUM: "yellow", Priority.LOW: "dim"}
SOURCES = {"manual": "manual", "github": "GitHub", "jira": "Jira"}
SOURCE_STYLE = "italic #7aa2c8"
CARD = "card"


def card(task: Task) -> Text:
    """Two lines: priority, id and title; then markers, dependencies and where it came from.

    The source comes last: a long "owner/repo#12" is cut off before BLOCKED is.
    """
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(task.priority.value[0], PRIORITY_STYLES[task.priority])
    text.append(f" #{task.id} ", "dim")
    text.append(task.title)
    marks: list[tuple[str, str]] = []
    if task.blocked and task.status is not TaskStatus.DONE:
        marks.append(("BLOCKED", "bold red"))
    if task.assigned_instance and task.status is not TaskStatus.DONE:
        marks.append((f"@{task.assigned_instance}", "cyan"))
    if task.dependencies:
        marks.append((f"deps {','.join(map(str, task.dependencies))}", "dim"))
    if task.source != "manual":
        marks.append((task.source_label, SOURCE_STYLE))
    text.append("\n  ")
    text.append_text(Text("  ").join(Text(words, style) for words, style in marks))
    return text


def next_status(task: Task, step: int) -> TaskStatus | None:
    """The nearest column in direction `step` the task may move to by hand.

    ASSIGNED is skipped: only starting an instance puts a task there.
    """
    from cc_orchestrator.core.tasks import TRANSITIONS  # peewee: not needed for the first paint

    index = BOARD.index(task.status) + step
    while 0 <= index < len(BOARD):
        status = BOARD[index]
        if status is not TaskStatus.ASSIGNED and status in TRANSITIONS[task.status]:
            return status
        index += step
    return None


class TaskColumn(DataTable):
    """One status column. Left/right belong to the board (it moves between columns)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="tasks.down", show=False),
        Binding("k", "cursor_up", "Up", id="tasks.up", show=False),
    ]

    def __init__(self, status: TaskStatus) -> None:
        super().__init__(id=f"column-{status.value.lower()}", cursor_type="row", show_header=False)
        self.status = status
        self.border_title = status.value
        self._shown: dict[int, Task] = {}

    def on_mount(self) -> None:
        self.add_column("card", key=CARD, width=20)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cursor_left", "cursor_right", "select_cursor"):
            return False  # the board's bindings (with ids) have these keys
        return super().check_action(action, parameters)

    @property
    def selected_id(self) -> int | None:
        if not self.row_count:
            return None
        return int(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def show(self, tasks: list[Task]) -> None:
        """Diff by task: a card is rebuilt only when its task changed (equal frozen dataclasses)."""
        wanted = {t.id: t for t in tasks}
        for task_id in [k for k in self._shown if k not in wanted]:
            self.remove_row(str(task_id))
            del self._shown[task_id]
        for task_id, task in wanted.items():
            old = self._shown.get(task_id)
            if old is None:
                self.add_row(card(task), key=str(task_id), height=2)
            elif old != task:
                self.update_cell(str(task_id), CARD, card(task))
            self._shown[task_id] = task
        title = f"{self.status.value} ({len(wanted)})"
        if self.border_title != title:
            self.border_title = title

    def on_resize(self, event: Resize) -> None:
        """Cards are as wide as the column; Textual has no public way to resize a column."""
        width = max(8, self.scrollable_content_region.width - 2 * self.cell_padding)
        column = self.columns.get(CARD)  # type: ignore[call-overload]
        if column is not None and column.width != width:
            column.width = width
            self._require_update_dimensions = True
            self._update_count += 1
            self.refresh()


class TaskBoard(Pane):
    TITLE = "Tasks"
    BINDINGS = [
        Binding("enter", "details", "Details", id="tasks.details"),
        Binding("n", "new", "New", id="tasks.new"),
        Binding("i", "import", "Import", id="tasks.import"),
        Binding("e", "edit", "Edit", id="tasks.edit"),
        Binding("delete", "delete", "Delete", id="tasks.delete"),
        Binding("s", "start", "Start instance", id="tasks.start"),
        Binding("o", "open_link", "Open in browser", id="tasks.open_link", show=False),
        Binding("P", "pull_request", "Open pull request", id="tasks.pull_request", show=False),
        Binding("shift+right,greater_than_sign", "move(1)", "Move right", id="tasks.move_right"),
        Binding("shift+left,less_than_sign", "move(-1)", "Move left", id="tasks.move_left"),
        Binding("right,l", "column(1)", "Next column", id="tasks.next_column", show=False),
        Binding("left,h", "column(-1)", "Previous column", id="tasks.previous_column", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="tasks")
        self.columns = {status: TaskColumn(status) for status in BOARD}
        self._active = TaskStatus.PENDING
        self._tasks: dict[int, Task] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="board-columns"):
            yield from self.columns.values()

    @property
    def main(self) -> TaskColumn:
        return self.columns[self._active]

    @property
    def selected_id(self) -> int | None:
        return self.main.selected_id

    def show(self, tasks: Iterable[Task]) -> None:
        self._tasks = {t.id: t for t in tasks}
        by_status: dict[TaskStatus, list[Task]] = {s: [] for s in BOARD}
        for task in self._tasks.values():
            by_status[task.status].append(task)
        for status, column in self.columns.items():
            column.show(by_status[status])
        blocked = sum(1 for t in self._tasks.values() if t.blocked and t.status is not TaskStatus.DONE)
        self.set_count(len(self._tasks), note=f"{blocked} blocked" if blocked else "")

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.request("tasks.details", int(event.row_key.value))

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, TaskColumn):
            self._active = event.widget.status

    def action_column(self, step: int) -> None:
        index = (BOARD.index(self._active) + step) % len(BOARD)
        self.columns[BOARD[index]].focus()

    def action_move(self, step: int) -> None:
        task = self._tasks.get(self.selected_id) if self.selected_id is not None else None
        if task is None:
            self.app.bell()
            return
        target = next_status(task, step)
        if target is None:
            self.notify(
                f"task {task.id} cannot move {'right' if step > 0 else 'left'} from {task.status}", severity="warning"
            )
            return
        self.request("tasks.move", task.id, target)

    def action_details(self) -> None:
        self.request("tasks.details", self.selected_id)

    def action_new(self) -> None:
        self.post_message(self.Requested("tasks.new"))

    def action_edit(self) -> None:
        self.request("tasks.edit", self.selected_id)

    def action_delete(self) -> None:
        self.request("tasks.delete", self.selected_id)

    def action_start(self) -> None:
        self.request("tasks.start", self.selected_id)

    def action_import(self) -> None:
        self.post_message(self.Requested("tasks.import"))

    def action_open_link(self) -> None:
        self.request("tasks.open_link", self.selected_id)

    def action_pull_request(self) -> None:
        self.request("tasks.pull_request", self.selected_id)
