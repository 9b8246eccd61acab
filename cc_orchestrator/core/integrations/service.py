"""The integrations as one service every face calls: imports in, finished work out.

Imports fetch everything first and then write in one transaction, so a failed import changes
nothing. What finished work does upstream (a pull request, a Jira transition, an issue comment,
a Slack notice) follows the events table (see `dispatch`), so it happens once, whichever face
or process made the change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cc_orchestrator.core.events import EventLog
from cc_orchestrator.core.models import ImportResult, Level, Task
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.tasks import TaskService
from cc_orchestrator.errors import Conflict


@dataclass(frozen=True)
class Outcome:
    """What one upstream action did, for the person who caused it: one line."""

    level: Level
    message: str
    task_id: int | None = None
    url: str = ""


class IntegrationService:
    def __init__(
        self,
        store: Store,
        events: EventLog,
        tasks: TaskService,
        settings: Callable[[], Any],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.events = events
        self.tasks = tasks
        self._settings = settings  # read on each use: `config set` elsewhere takes effect
        self.sleep = sleep

    @property
    def settings(self) -> Any:
        return self._settings()

    def configured(self) -> dict[str, bool]:
        s = self.settings
        return {
            "github": bool(s.github_token),
            "jira": bool(s.jira_url and s.jira_token),
            "slack": bool(s.slack_webhook_url),
        }

    # -- clients --------------------------------------------------------------------------

    def github(self):
        from cc_orchestrator.core.integrations.github import GitHub

        return GitHub.from_settings(self.settings, sleep=self.sleep)

    def jira(self):
        from cc_orchestrator.core.integrations.jira import Jira

        return Jira.from_settings(self.settings, sleep=self.sleep)

    def slack(self):
        from cc_orchestrator.core.integrations.slack import Slack

        return Slack.from_settings(self.settings, sleep=self.sleep)

    # -- imports --------------------------------------------------------------------------

    def import_github(
        self, repository: str, labels: list[str] | tuple[str, ...] = (), state: str = "open", repo: str | None = None
    ) -> ImportResult:
        """Issues of OWNER/REPO (pull requests left out) as tasks of the local `repo`."""
        client = self.github()
        try:
            issues, skipped = client.issues(repository, list(labels), state)
        finally:
            client.close()
        result = self.tasks.import_issues(issues, repo)
        result = ImportResult("github", result.created, result.updated, result.unchanged, skipped)
        self._log_import(f"GitHub {issues[0].source_project if issues else repository}", result)
        return result

    def import_jira(self, jql: str, repo: str | None = None) -> ImportResult:
        client = self.jira()
        try:
            issues = client.search(jql)
        finally:
            client.close()
        result = self.tasks.import_issues(issues, repo)
        result = ImportResult("jira", result.created, result.updated, result.unchanged)
        self._log_import("Jira", result)
        return result

    def _log_import(self, where: str, result: ImportResult) -> None:
        self.events.log(f"imported tasks from {where}: {result.summary()}")

    # -- finished work --------------------------------------------------------------------

    def open_pull_request(
        self, task_id: int | str, repository: str | None = None, draft: bool | None = None
    ) -> Outcome:
        """Push the task's branch and open (or find) its pull request; record it on the task.

        It goes to `repository` when given, else to the GitHub repository the task came from,
        else to the one the push remote points at.
        """
        from cc_orchestrator.core.integrations import pulls
        from cc_orchestrator.core.integrations.github import parse_repository, repository_from_remote

        settings = self.settings
        task = self.tasks.get(task_id)
        branch = pulls.task_branch(self.store, task)
        if repository:
            target = parse_repository(repository)
        elif task.source == "github" and task.source_project:
            target = task.source_project
        else:
            target = repository_from_remote(pulls.remote_url(branch, settings.github_remote)) or ""
            if not target:
                raise Conflict(
                    f"cannot tell which GitHub repository remote {settings.github_remote!r} is; "
                    "name it (OWNER/REPO: --github in the CLI, repository in the API)"
                )
        client = self.github()
        try:
            client.require_token("open a pull request")
            notes = pulls.push(branch, settings.github_remote)
            pull = client.open_pull_request(
                target,
                head=branch.branch,
                base=branch.base,
                title=task.title,
                body=_pull_body(task, target, branch.instance_id),
                draft=settings.github_draft if draft is None else draft,
            )
        finally:
            client.close()
        self.tasks.set_pull_request(task.id, pull.url)
        verb = "opened" if pull.created else "found the open"
        message = f"task {task.id}: pushed {branch.branch} to {settings.github_remote}, {verb} pull request {pull.url}"
        if notes:
            message += f" ({'; '.join(notes)})"
        self.events.log(message, task_id=task.id, level=Level.WARNING if notes else Level.INFO)
        return Outcome(Level.WARNING if notes else Level.INFO, message, task.id, pull.url)

    def close_out_issue(self, task: Task) -> Outcome | None:
        """A DONE task's GitHub issue gets the comment or closing `github_on_done` asks for."""
        how = self.settings.github_on_done
        if how == "none" or task.source != "github":
            return None
        client = self.github()
        try:
            note = f"Done in {task.pr_url}" if task.pr_url else "Marked done in cc-orchestrator."
            client.comment(task.source_project, task.source_id, note)
            if how == "close":
                client.close_issue(task.source_project, task.source_id)
        finally:
            client.close()
        done = "commented on and closed" if how == "close" else "commented on"
        return self._done(task, f"task {task.id}: {done} {task.source_label}")

    def move_jira_issue(self, task: Task) -> Outcome | None:
        """Move a Jira task's issue to the status `jira_statuses` names for the task's status."""
        if task.source != "jira":
            return None
        target = self.settings.jira_statuses.get(task.status.value.lower(), "")
        if not target:
            return None
        client = self.jira()
        try:
            reached = client.transition(task.source_id, target, task.status.value.lower())
        finally:
            client.close()
        if reached is None:
            message = (
                f"task {task.id}: Jira's workflow has no way from {task.source_id}'s current status to "
                f"{target!r}; left it as it is"
            )
            self.events.log(message, task_id=task.id, level=Level.WARNING)
            return Outcome(Level.WARNING, message, task.id)
        return self._done(task, f"task {task.id}: moved {task.source_id} to {reached}")

    def _done(self, task: Task, message: str) -> Outcome:
        self.events.log(message, task_id=task.id)
        return Outcome(Level.INFO, message, task.id, task.source_url)


def _pull_body(task: Task, target: str, instance_id: str) -> str:
    parts = []
    if task.source == "github" and task.source_project == target:
        parts.append(f"Closes #{task.source_id}")
    elif task.source_url:
        parts.append(f"For {task.source_label}: {task.source_url}")
    if task.description:
        text = task.description if len(task.description) <= 3000 else task.description[:3000] + "…"
        parts.append(text)
    parts.append(f"_Opened by cc-orchestrator for task {task.id} (instance {instance_id})._")
    return "\n\n".join(parts)
