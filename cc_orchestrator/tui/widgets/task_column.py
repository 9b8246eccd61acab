"""One column of the task board: the cards of one status, keyed by task id."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import DataTable

from cc_orchestrator.core.models import Priority, Task, TaskStatus
from cc_orchestrator.tui import checks

BOARD = list(TaskStatus)
PRIORITY_STYLES = {Priority.HIGH: "bold red", Priority.MEDIUM: "yellow", Priority.LOW: "dim"}
SOURCES = {"manual": "manual", "github": "GitHub", "jira": "Jira"}
SOURCE_STYLE = "italic #7aa2c8"
CARD = "card"


def card(task: Task, tone: Style | None = None) -> Text:
    """Two lines: priority, id and title; then markers, the checks badge, dependencies and where
    it came from. `tone` colours the whole card (padded to the column's width).

    The source comes last: a long "owner/repo#12" is cut off before BLOCKED is.
    """
    text = Text(no_wrap=True, overflow="ellipsis", justify="left", style=tone or "")
    text.append(task.priority.value[0], PRIORITY_STYLES[task.priority])
    text.append(f" #{task.id} ", "dim")
    text.append(task.title)
    marks: list[tuple[str, str]] = []
    if task.blocked and task.status is not TaskStatus.DONE:
        marks.append(("BLOCKED", "bold red"))
    if badge := checks.badge(task):
        marks.append(badge)
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

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | set(checks.TONES.values())

    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="tasks.down", show=False),
        Binding("k", "cursor_up", "Up", id="tasks.up", show=False),
    ]

    def __init__(self, status: TaskStatus) -> None:
        super().__init__(id=f"column-{status.value.lower()}", cursor_type="row", show_header=False)
        self.status = status
        self.border_title = status.value
        self._shown: dict[int, Task] = {}
        self._width = 20

    def on_mount(self) -> None:
        self.add_column("card", key=CARD, width=self._width)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cursor_left", "cursor_right", "select_cursor"):
            return False  # the board's bindings (with ids) have these keys
        return super().check_action(action, parameters)

    @property
    def selected(self) -> Task | None:
        if not self.row_count:
            return None
        return self._shown.get(int(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or 0))

    def show(self, tasks: list[Task]) -> None:
        """Diff by task: a card is rebuilt only when its task changed (equal frozen dataclasses)."""
        wanted = {t.id: t for t in tasks}
        for task_id in [k for k in self._shown if k not in wanted]:
            self.remove_row(str(task_id))
            del self._shown[task_id]
        for task_id, task in wanted.items():
            old = self._shown.get(task_id)
            if old is None:
                self.add_row(self.card(task), key=str(task_id), height=2)
            elif old != task:
                self.update_cell(str(task_id), CARD, self.card(task))
            self._shown[task_id] = task
        title = f"{self.status.value} ({len(wanted)})"
        if self.border_title != title:
            self.border_title = title

    def on_resize(self, event: Resize) -> None:
        """Cards are as wide as the column: the column is made again at the new width (DataTable
        has no public way to resize one), its rows and cursor stay."""
        width = max(8, self.scrollable_content_region.width - 2 * self.cell_padding)
        if width == self._width:
            return
        self._width = width
        self.remove_column(CARD)
        self.add_column("card", key=CARD, width=width)
        for task_id, task in self._shown.items():
            self.update_cell(str(task_id), CARD, self.card(task))

    def card(self, task: Task) -> Text:
        """The task's card, coloured by its checks as app.tcss says."""
        tone = checks.tone(task)
        return card(task, self.get_component_rich_style(tone) if tone else None)
