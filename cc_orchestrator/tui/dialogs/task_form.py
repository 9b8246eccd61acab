"""Add or edit a task: title, description, priority and dependencies, validated as you type.

The form checks what it can see (a title, ids that exist, no self-dependency); the service has
the last word (cycles, moves), and its refusal is shown in the form, which stays open. The form
saves through the service itself, in a worker of its own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Function, ValidationResult, Validator
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from cc_orchestrator.core.models import Priority, Task
from cc_orchestrator.core.tasks import MAX_TITLE
from cc_orchestrator.tui.widgets.fields import TextInput

if TYPE_CHECKING:
    from cc_orchestrator.tui.services import Services


class TextBox(TextArea):
    """A text area whose cursor blinks only in a live app (as `fields.TextInput`)."""

    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "blink", True)


@dataclass(frozen=True)
class TaskDraft:
    title: str
    description: str
    priority: Priority
    dependencies: tuple[int, ...]


class DependencyIds(Validator):
    """Task ids separated by commas or spaces; each must exist and not be the task itself."""

    def __init__(self, known: Collection[int], own_id: int | None) -> None:
        super().__init__()
        self.known, self.own_id = known, own_id

    def validate(self, value: str) -> ValidationResult:
        words = value.replace(",", " ").split()
        if bad := [w for w in words if not w.lstrip("#").isdigit()]:
            return self.failure(f"not a task id: {bad[0]}")
        ids = [int(w.lstrip("#")) for w in words]
        if self.own_id in ids:
            return self.failure("a task cannot depend on itself")
        if missing := [i for i in ids if i not in self.known]:
            return self.failure(f"no task {missing[0]}")
        return self.success()


def parse_ids(value: str) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(w.lstrip("#")) for w in value.replace(",", " ").split()))


class TaskForm(ModalScreen[None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="task_form.save"),
        Binding("escape", "cancel", "Cancel", id="task_form.cancel"),
    ]

    def __init__(self, services: Services, task: Task | None, known_ids: Collection[int]) -> None:
        """`task`: the task to edit, or None for a new one."""
        super().__init__(classes="dialog-screen")
        self.services = services
        self.editing = task
        self.known_ids = set(known_ids)

    def compose(self) -> ComposeResult:
        task = self.editing
        not_blank = Function(lambda text: bool(text.strip()), "the title must not be empty")
        short = Function(lambda text: len(text.strip()) <= MAX_TITLE, f"at most {MAX_TITLE} characters")
        priorities = [(p.value.title(), p) for p in Priority]
        with Vertical(classes="dialog", id="task-form"):
            yield Label(f"Edit task {task.id}" if task else "New task", classes="dialog-title")
            yield Label("Title")
            yield TextInput(task.title if task else "", id="title", validators=[not_blank, short], valid_empty=False)
            yield Label("Description (the agent's first prompt)")
            yield TextBox(task.description if task else "", id="description", soft_wrap=True)
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Priority")
                    yield Select(
                        priorities, value=task.priority if task else Priority.MEDIUM, allow_blank=False, id="priority"
                    )
                with Vertical():
                    yield Label("Depends on (task ids)")
                    deps = " ".join(map(str, task.dependencies)) if task else ""
                    yield TextInput(
                        deps,
                        id="dependencies",
                        placeholder="e.g. 3 7",
                        validators=[DependencyIds(self.known_ids, task.id if task else None)],
                    )
            yield Static("", id="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def _error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        result = event.validation_result
        self._error("" if result is None or result.is_valid else result.failure_descriptions[0])

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        title, deps = self.query_one("#title", Input), self.query_one("#dependencies", Input)
        for box in (title, deps):
            result = box.validate(box.value)
            if result is not None and not result.is_valid:
                self._error(f"{box.id}: {result.failure_descriptions[0]}")
                box.focus()
                return
        draft = TaskDraft(
            title=title.value.strip(),
            description=self.query_one("#description", TextArea).text,
            priority=self.query_one("#priority", Select).value,  # type: ignore[arg-type]
            dependencies=parse_ids(deps.value),
        )
        self.query_one("#save", Button).disabled = True
        self._save(draft)

    def _save(self, draft: TaskDraft) -> None:
        """A new task, or the edited one with its whole dependency set replaced in one go."""
        tasks, task = self.services.orch.tasks, self.editing
        if task is None:

            def call() -> Task:
                return tasks.add(
                    draft.title,
                    draft.description,
                    draft.priority,
                    dependencies=list(draft.dependencies),
                    repo=self.services.repo,
                )

            word = "added"
        else:

            def call() -> Task:
                return tasks.update(
                    task.id,
                    title=draft.title,
                    description=draft.description,
                    priority=draft.priority,
                    dependencies=list(draft.dependencies),
                )

            word = "saved"

        def done(saved: Task) -> str:
            self.dismiss(None)
            return f"task {saved.id} {word}"

        self.services.call(self, "save task", call, done, self.failed)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def failed(self, reason: str) -> None:
        self.query_one("#save", Button).disabled = False
        self._error(reason)
