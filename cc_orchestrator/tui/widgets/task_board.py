"""The task board: five columns of cards, one per status, and what the user asks for."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import DescendantFocus
from textual.message import Message
from textual.widgets import DataTable

from cc_orchestrator.core.models import Task, TaskStatus
from cc_orchestrator.tui.widgets.pane import Pane
from cc_orchestrator.tui.widgets.task_column import BOARD, TaskColumn, next_status


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
        Binding("M", "merge", "Merge", id="tasks.merge", show=False),
        Binding("shift+right,greater_than_sign", "move(1)", "Move right", id="tasks.move_right"),
        Binding("shift+left,less_than_sign", "move(-1)", "Move left", id="tasks.move_left"),
        Binding("right,l", "column(1)", "Next column", id="tasks.next_column", show=False),
        Binding("left,h", "column(-1)", "Previous column", id="tasks.previous_column", show=False),
    ]

    class NewRequested(Message):
        """n: a new task."""

    class ImportRequested(Message):
        """i: import tasks from GitHub or Jira."""

    class Asked(Message):
        """The user asked for something about this task (a subclass says what)."""

        def __init__(self, task: Task) -> None:
            super().__init__()
            self.task = task

    class DetailsRequested(Asked):
        """Enter: its fields, dependencies and history."""

    class EditRequested(Asked):
        """e: edit it in the form."""

    class DeleteRequested(Asked):
        """Delete: delete it (after a confirmation)."""

    class StartRequested(Asked):
        """s: start an instance for it."""

    class OpenLinkRequested(Asked):
        """o: its issue (else its pull request) in the browser."""

    class PullRequestRequested(Asked):
        """P: push its branch and open the pull request now."""

    class MergeRequested(Asked):
        """M: merge its branch into its base (a REVIEW card)."""

    class MoveRequested(Asked):
        """Shift+arrow: move it to another column."""

        def __init__(self, task: Task, status: TaskStatus) -> None:
            super().__init__(task)
            self.status = status

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
    def selected(self) -> Task | None:
        return self.main.selected

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
        event.stop()  # a click on the card under the cursor
        self._ask(self.DetailsRequested)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if isinstance(event.widget, TaskColumn):
            self._active = event.widget.status

    def _ask(self, request: type[Asked]) -> None:
        """Post the request for the selected task; with none, ring the bell."""
        task = self.selected
        if task is None:
            self.app.bell()
            return
        self.post_message(request(task))

    def action_column(self, step: int) -> None:
        index = (BOARD.index(self._active) + step) % len(BOARD)
        self.columns[BOARD[index]].focus()

    def action_move(self, step: int) -> None:
        task = self.selected
        if task is None:
            self.app.bell()
            return
        target = next_status(task, step)
        if target is None:
            self.notify(
                f"task {task.id} cannot move {'right' if step > 0 else 'left'} from {task.status}", severity="warning"
            )
            return
        self.post_message(self.MoveRequested(task, target))

    def action_new(self) -> None:
        self.post_message(self.NewRequested())

    def action_import(self) -> None:
        self.post_message(self.ImportRequested())

    def action_details(self) -> None:
        self._ask(self.DetailsRequested)

    def action_edit(self) -> None:
        self._ask(self.EditRequested)

    def action_delete(self) -> None:
        self._ask(self.DeleteRequested)

    def action_start(self) -> None:
        self._ask(self.StartRequested)

    def action_open_link(self) -> None:
        self._ask(self.OpenLinkRequested)

    def action_pull_request(self) -> None:
        self._ask(self.PullRequestRequested)

    def action_merge(self) -> None:
        self._ask(self.MergeRequested)
