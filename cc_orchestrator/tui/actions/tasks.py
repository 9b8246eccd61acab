"""Actions on tasks: the form, deleting, starting an instance, moving a card, and the ties to
GitHub and Jira (importing, opening the issue or pull request, opening a pull request now)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from cc_orchestrator.core.models import Task, TaskStatus
from cc_orchestrator.tui import browser

if TYPE_CHECKING:
    from textual.screen import Screen

    from cc_orchestrator.tui.dialogs.import_form import ImportRequest
    from cc_orchestrator.tui.services import Services


class TaskActions:
    def __init__(self, owner: Screen, services: Services) -> None:
        self.owner = owner
        self.services = services
        self.last_import: ImportRequest | None = None  # the import dialog offers it again

    def new(self, known_ids: Collection[int]) -> None:
        from cc_orchestrator.tui.dialogs.task_form import TaskForm

        self.owner.app.push_screen(TaskForm(self.services, None, known_ids))

    def edit(self, task: Task, known_ids: Collection[int]) -> None:
        from cc_orchestrator.tui.dialogs.task_form import TaskForm

        self.owner.app.push_screen(TaskForm(self.services, task, known_ids))

    def delete(self, task: Task, then: Callable[[], object] | None = None) -> None:
        """After a confirmation; `then` once it is deleted (a detail view closes)."""
        from cc_orchestrator.tui.dialogs.modals import ConfirmScreen

        def deleted(_) -> str:
            if then is not None:
                then()
            return f"task {task.id} deleted"

        def answered(yes: bool | None) -> None:
            if yes:
                self.services.call(self.owner, "delete task", lambda: self.services.orch.tasks.remove(task.id), deleted)

        body = f"#{task.id} {task.title}\nIts dependency links go too. Instances and worktrees are not touched."
        self.owner.app.push_screen(ConfirmScreen(f"Delete task {task.id}?", body, yes="Delete", danger=True), answered)

    def start(self, task: Task) -> None:
        self.owner.notify(f"starting an instance for task {task.id}...", timeout=2)
        self.services.call(
            self.owner,
            "start",
            lambda: self.services.orch.assign(task.id, self.services.repo, wait=False),
            lambda instance: f"instance {instance.id} started for task {task.id}",
        )

    def move(self, task: Task, status: TaskStatus) -> None:
        self.services.call(
            self.owner,
            "move",
            lambda: self.services.orch.tasks.update(task.id, status=status),
            lambda moved: f"task {moved.id} is {moved.status.value}",
        )

    def merge(self, task: Task) -> None:
        """Merge a REVIEW task's branch into its base, after a confirmation; refusals (checks
        not passed on its HEAD, a conflict, a dirty checkout of the base) come back as a line."""
        from cc_orchestrator.tui.dialogs.modals import ConfirmScreen

        if task.status is not TaskStatus.REVIEW:
            self.owner.notify(f"task {task.id} is {task.status.value}: only tasks in REVIEW merge", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.owner.notify(f"merging task {task.id}...", timeout=2)
                self.services.call(
                    self.owner, "merge", lambda: self.services.orch.merges.merge(task.id), lambda result: result.line()
                )

        body = (
            f"#{task.id} {task.title}\n"
            f"Checks: {task.checks.value or 'not run'}. Its branch is merged into its base "
            f"({self.services.orch.settings.review_merge}); a clean checkout of the base is fast-forwarded."
        )
        self.owner.app.push_screen(ConfirmScreen(f"Merge task {task.id}?", body, yes="Merge"), answered)

    # -- GitHub and Jira -----------------------------------------------------------------

    def open_link(self, task: Task) -> None:
        """The issue the task came from in the browser (else its pull request)."""
        url = task.source_url or task.pr_url
        if not url:
            self.owner.notify(f"task {task.id} has no issue or pull request to open", severity="warning", timeout=3)
            return
        self.open_url(url)

    def open_url(self, url: str) -> None:
        if not browser.desktop_browser():
            self.owner.notify(
                f"no desktop browser to open it from this terminal: {url}", severity="warning", timeout=10
            )
            return
        self.owner.notify(f"opening {url}", timeout=2)
        app = self.owner.app
        self.owner.run_worker(lambda: app.open_url(url), thread=True, group="browser", exit_on_error=False)

    def pull_request(self, task: Task) -> None:
        """Push the branch and open the pull request now: the retry when opening it on REVIEW failed."""
        from cc_orchestrator.tui.dialogs.modals import ConfirmScreen

        if task.status is not TaskStatus.REVIEW:
            self.owner.notify(
                f"task {task.id} is {task.status.value}: pull requests are for tasks in REVIEW", severity="warning"
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.services.call(
                    self.owner,
                    "pull request",
                    lambda: self.services.orch.integrations.open_pull_request(task.id),
                    lambda outcome: outcome.message,
                )

        body = (
            f"#{task.id} {task.title}\n"
            "Its branch is pushed, then a pull request is opened on GitHub (or the open one found)."
        )
        if task.pr_url:
            body += f"\nIt has one already: {task.pr_url}"
        self.owner.app.push_screen(
            ConfirmScreen(f"Open a pull request for task {task.id}?", body, yes="Open"), answered
        )

    def import_tasks(self) -> None:
        from cc_orchestrator.tui.dialogs.import_form import ImportForm

        self.owner.app.push_screen(ImportForm(self.services, self.last_import, self._remember))

    def _remember(self, request: ImportRequest) -> None:
        self.last_import = request
