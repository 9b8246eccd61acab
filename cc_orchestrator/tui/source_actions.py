"""The task board's ties to GitHub and Jira, as the user asks for them: importing, opening a
task's issue or pull request in the browser, and opening a pull request now.

Every call that waits on the network runs in a worker thread through `call_service`.
"""

from __future__ import annotations

import os
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from cc_orchestrator.tui.live import Loaded

if TYPE_CHECKING:
    from cc_orchestrator.tui.app import OrchestratorApp
    from cc_orchestrator.tui.screens.import_form import ImportForm

    _Base = OrchestratorApp
else:
    _Base = object


def desktop_browser() -> bool:
    """Whether a browser would open beside the terminal: over SSH without a display, Python's
    webbrowser falls back to lynx or w3m, which would take this terminal from the app."""
    if os.environ.get("BROWSER") or sys.platform in ("darwin", "win32"):
        return True  # the user's own choice (a VS Code remote helper, say), or a desktop anyway
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class SourceRequests(_Base):
    def request_tasks_open_link(self, task_id: int, _: Any) -> None:
        """The issue the task came from in the browser (else its pull request)."""
        task = self.snapshot.task(task_id)
        url = (task.source_url or task.pr_url) if task else ""
        if not url:
            self.notify(f"task {task_id} has no issue or pull request to open", severity="warning", timeout=3)
            return
        self.request_tasks_open_url(url, None)

    def request_tasks_open_url(self, url: str, _: Any) -> None:
        if not desktop_browser():
            self.notify(f"no desktop browser to open it from this terminal: {url}", severity="warning", timeout=10)
            return
        self.notify(f"opening {url}", timeout=2)
        self.run_worker(partial(self.open_url, url), thread=True, group="browser", exit_on_error=False)

    def request_tasks_pull_request(self, task_id: int, _: Any) -> None:
        """Push the branch and open the pull request now: the retry when opening it on REVIEW failed."""
        from cc_orchestrator.core.models import TaskStatus
        from cc_orchestrator.tui.screens.modals import ConfirmScreen

        task = self.snapshot.task(task_id)
        if task is None:
            return
        if task.status is not TaskStatus.REVIEW:
            self.notify(
                f"task {task_id} is {task.status.value}: pull requests are for tasks in REVIEW", severity="warning"
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(
                    "pull request",
                    lambda: self.orch.integrations.open_pull_request(task_id),
                    lambda outcome: outcome.message,
                )

        body = (
            f"#{task_id} {task.title}\n"
            "Its branch is pushed, then a pull request is opened on GitHub (or the open one found)."
        )
        if task.pr_url:
            body += f"\nIt has one already: {task.pr_url}"
        self.push_screen(ConfirmScreen(f"Open a pull request for task {task_id}?", body, yes="Open"), answered)

    def request_tasks_import(self, _: Any, __: Any) -> None:
        from cc_orchestrator.tui.screens.import_form import ImportForm

        form = ImportForm(self.last_import)
        self.push_screen(form)
        self.run_worker(partial(self._import_setup, form), thread=True, group="import-form", exit_on_error=False)

    def _import_setup(self, form: ImportForm) -> None:
        """What is configured: the settings load lazily, so not on the event loop."""
        try:
            configured = self.orch.integrations.configured()
        except Exception:
            return  # the import itself will say what is wrong
        self.post_message(Loaded(form.show_configured, configured))

    def on_import_form_submitted(self, message: ImportForm.Submitted) -> None:
        request, form = message.request, message.form
        self.last_import = request
        if request.source == "github":
            call = lambda: self.orch.integrations.import_github(  # noqa: E731
                request.repository, request.labels, request.state, repo=self.repo
            )
        else:
            call = lambda: self.orch.integrations.import_jira(request.jql, repo=self.repo)  # noqa: E731

        def done(result) -> str:
            if form in self.screen_stack:
                form.imported()
            return f"Imported from {request.where}: {result.summary()}"

        def failed(reason: str) -> None:
            self.notify(reason, title="import refused", severity="error")
            if form in self.screen_stack:
                form.failed(reason)

        self.call_service("import", call, done, failed)
