"""Small dialogs: confirm an action (saying what would be lost), and send a prompt."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Function
from textual.widgets import Button, Input, Label, Static

from cc_orchestrator.tui.widgets.fields import TextInput


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no. With `danger`, the safe answer has the focus."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes", danger: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.body, self.yes, self.danger = title, body, yes, danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error" if self.danger else "primary")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PromptScreen(ModalScreen[str | None]):
    """One line of text for an agent; Enter sends it, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, instance_id: str) -> None:
        super().__init__(classes="dialog-screen")
        self.instance_id = instance_id

    def compose(self) -> ComposeResult:
        not_blank = Function(lambda text: bool(text.strip()), "the prompt is empty")
        with Vertical(classes="dialog"):
            yield Label(f"Send a prompt to instance {self.instance_id}", classes="dialog-title")
            yield TextInput(placeholder="what should the agent do?", id="prompt-text", validators=[not_blank])
            yield Static("Enter sends, Esc cancels", classes="dialog-hint")

    @on(Input.Submitted, "#prompt-text")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.validation_result is not None and not event.validation_result.is_valid:
            self.query_one(".dialog-hint", Static).update(event.validation_result.failure_descriptions[0])
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
