"""Import tasks from GitHub issues or a Jira query: the dialog behind `i` on the task board.

The dialog runs the import itself, in a worker of its own. A refusal (bad credentials, no such
repository) leaves the dialog open with what was typed, so one fix and Enter tries again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TabbedContent, TabPane

from cc_orchestrator.tui.widgets.fields import TextInput

if TYPE_CHECKING:
    from cc_orchestrator.tui.services import Services

STATES = [("Open", "open"), ("Closed", "closed"), ("All", "all")]


@dataclass(frozen=True)
class ImportRequest:
    source: str  # "github" or "jira"
    repository: str = ""  # OWNER/REPO
    labels: tuple[str, ...] = ()  # issues must carry all of them
    state: str = "open"
    jql: str = ""

    @property
    def where(self) -> str:
        """How the result toast names the source: "GitHub acme/web" or "Jira"."""
        return f"GitHub {self.repository}" if self.source == "github" else "Jira"


def parse_labels(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(word.strip() for word in value.split(",") if word.strip()))


class ImportForm(ModalScreen[None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import_form.cancel")]

    def __init__(
        self,
        services: Services,
        last: ImportRequest | None = None,
        remember: Callable[[ImportRequest], None] | None = None,
    ) -> None:
        """`last`: the previous import, filled in again (re-importing is how tasks stay in sync);
        `remember` is told each import tried, to offer it next time."""
        super().__init__(classes="dialog-screen")
        self.services = services
        self.last = last or ImportRequest("github")
        self.remember = remember

    def compose(self) -> ComposeResult:
        last = self.last
        with Vertical(classes="dialog", id="import-form"):
            yield Label("Import tasks", classes="dialog-title")
            with TabbedContent(initial=f"from-{last.source}", id="import-source"):
                with TabPane("GitHub issues", id="from-github"):
                    yield Label("Repository (OWNER/REPO)")
                    yield TextInput(last.repository, id="repository", placeholder="e.g. acme/web")
                    with Horizontal(classes="form-row"):
                        with Vertical():
                            yield Label("Labels (comma-separated, all must match)")
                            yield TextInput(", ".join(last.labels), id="labels", placeholder="optional, e.g. bug, ui")
                        with Vertical(id="state-box"):
                            yield Label("State")
                            yield Select(STATES, value=last.state, allow_blank=False, id="state")
                    yield Static("", id="github-note", classes="dialog-hint")
                with TabPane("Jira query", id="from-jira"):
                    yield Label("JQL")
                    yield TextInput(last.jql, id="jql", placeholder="e.g. project = WEB AND statusCategory != Done")
                    yield Static("", id="jira-note", classes="dialog-hint")
            yield Static("Re-importing updates the tasks it made before, never duplicates them.", classes="dialog-hint")
            yield Static("", id="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import (enter)", id="import", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self._focus_first()
        self._check_configured()

    @work(thread=True, group="configured", exit_on_error=False)
    def _check_configured(self) -> None:
        """What is set up: the settings load lazily, so not on the event loop."""
        try:
            configured = self.services.orch.integrations.configured()
        except Exception:
            return  # the import itself will say what is wrong
        self.call_later(self.show_configured, configured)

    def _focus_first(self) -> None:
        self.query_one("#repository" if self.source == "github" else "#jql", Input).focus()

    @property
    def source(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("from-") or self.last.source

    def show_configured(self, configured: Mapping[str, bool]) -> None:
        """What is set up (read in a worker): say what an import can reach before it is tried."""
        if not configured.get("github"):
            self.query_one("#github-note", Static).update("No GitHub token set: public repositories only.")
        if not configured.get("jira"):
            self.query_one("#jira-note", Static).update(
                "Jira is not set up: set jira_url, jira_email and CC_ORCHESTRATOR_JIRA_TOKEN."
            )

    def _error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(text)

    @on(TabbedContent.TabActivated)
    def _switched(self) -> None:
        self._error("")

    @on(Input.Submitted)
    @on(Button.Pressed, "#import")
    def action_submit(self) -> None:
        if self.query_one("#import", Button).disabled:
            return  # an import is under way
        if self.source == "github":
            box = self.query_one("#repository", Input)
            repository = box.value.strip()
            if "/" not in repository:
                self._error("name the repository as OWNER/REPO")
                box.focus()
                return
            labels = parse_labels(self.query_one("#labels", Input).value)
            state = str(self.query_one("#state", Select).value)
            request = ImportRequest("github", repository=repository, labels=labels, state=state)
        else:
            box = self.query_one("#jql", Input)
            if not box.value.strip():
                self._error("write a JQL query, e.g. project = WEB")
                box.focus()
                return
            request = ImportRequest("jira", jql=box.value.strip())
        self._error("")
        self.query_one("#import", Button).disabled = True
        self.query_one("#import", Button).label = "Importing..."
        if self.remember is not None:
            self.remember(request)
        self._run(request)

    def _run(self, request: ImportRequest) -> None:
        integrations, repo = self.services.orch.integrations, self.services.repo
        if request.source == "github":

            def call():
                return integrations.import_github(request.repository, request.labels, request.state, repo=repo)
        else:

            def call():
                return integrations.import_jira(request.jql, repo=repo)

        def done(result) -> str:
            self.dismiss(None)
            return f"Imported from {request.where}: {result.summary()}"

        self.services.call(self, "import", call, done, self.failed)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def failed(self, reason: str) -> None:
        self.notify(reason, title="import refused", severity="error")
        button = self.query_one("#import", Button)
        button.disabled, button.label = False, "Import (enter)"
        self._error(reason)
        self._focus_first()  # the likely fix is there (or in the settings); Enter tries again
