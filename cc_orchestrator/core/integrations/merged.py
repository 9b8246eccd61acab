"""Pull requests merged on GitHub: their REVIEW tasks become DONE.

Asked on the integrations' own thread (the Dispatcher's), at most once a minute across every
process (a shared clock in the cursors table), and with the ETag of the last answer
(If-None-Match): an unchanged pull request is a 304, which costs nothing against GitHub's
rate limit. ETags live in memory; a process that starts pays one full answer per pull request.
"""

from __future__ import annotations

import time

from cc_orchestrator.core.integrations.service import IntegrationService, Outcome
from cc_orchestrator.core.models import Level, Task, TaskStatus
from cc_orchestrator.core.store.tables import CursorRow
from cc_orchestrator.errors import OrchestratorError

EVERY = 60.0  # seconds between two looks at the open pull requests
CLOCK = "github_pulls"  # cursors row: when any process last looked (Unix time)


class PullWatch:
    def __init__(self, service: IntegrationService, every: float = EVERY) -> None:
        self.service = service
        self.every = every
        self.etags: dict[str, str] = {}  # pull request URL -> the ETag of its last answer
        self._next = 0.0  # time.monotonic() of this process's next look
        self._failure = ""  # the last failure said

    def due(self) -> bool:
        """Cheap, in memory: whether this process should look (a face asks on every sweep)."""
        return time.monotonic() >= self._next

    def poll(self, force: bool = False) -> list[Outcome]:
        """Ask GitHub about the pull request of every REVIEW task that has one; a merged one's
        task becomes DONE. Unless `force`, at most once per `every` seconds, any process."""
        self._next = time.monotonic() + self.every
        service = self.service
        if not service.settings.github_pull_requests or not service.configured()["github"]:
            return []
        waiting = [task for task in service.tasks.list(status=TaskStatus.REVIEW) if task.pr_url]
        if not waiting or not (force or service.store.write(self._claim)):
            return []
        outcomes: list[Outcome] = []
        client = service.github()
        try:
            for task in waiting:
                outcomes += self._ask(client, task)
        except OrchestratorError as exc:  # said once, not every minute while GitHub is away
            if exc.message != self._failure:
                service.events.log(f"pull requests: {exc.message}", level=Level.WARNING)
            self._failure = exc.message
            return [Outcome(Level.WARNING, exc.message)]
        finally:
            client.close()
        self._failure = ""
        return outcomes

    def _ask(self, client, task: Task) -> list[Outcome]:
        """One pull request: the task DONE if it was merged (and the task still waits in REVIEW)."""
        from cc_orchestrator.core.integrations.github import pull_of

        service, where = self.service, pull_of(task.pr_url)
        if where is None:
            return []
        pull, self.etags[task.pr_url] = client.pull_request(*where, etag=self.etags.get(task.pr_url, ""))
        if pull is None or not pull.get("merged") or service.tasks.get(task.id).status is not TaskStatus.REVIEW:
            return []
        service.tasks.set_status(task.id, TaskStatus.DONE)
        message = f"task {task.id}: pull request {task.pr_url} was merged on GitHub"
        service.events.log(message, task_id=task.id, data={"merged_pull": task.pr_url})
        return [Outcome(Level.INFO, message, task.id, task.pr_url)]

    def _claim(self) -> bool:
        """Inside a write: take the shared clock if a minute has passed since anyone looked."""
        now = int(time.time())
        row = CursorRow.get_or_none(CursorRow.name == CLOCK)
        if row is not None and now - row.value < self.every:
            return False
        CursorRow.insert(name=CLOCK, value=now).on_conflict_replace().execute()
        return True
