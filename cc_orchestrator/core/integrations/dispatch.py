"""Follow the events table and do upstream what each change asks for.

A task moving to REVIEW opens its pull request, to DONE closes out its GitHub issue, any move
of a Jira task transitions its issue; an instance waiting for a person, failing, or finishing
its turn on a task sends a Slack notice. Every process that runs a face may dispatch: a shared
cursor, advanced inside a write transaction, hands each event to exactly one of them. An event
older than `STALE` (no face or command ran since) is skipped, not acted on late.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from cc_orchestrator.core.integrations.merged import PullWatch
from cc_orchestrator.core.integrations.service import IntegrationService, Outcome
from cc_orchestrator.core.models import Event, EventKind, InstanceStatus, Level, Task, TaskStatus
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.errors import NotFound, OrchestratorError

CURSOR = "integrations"
STALE = timedelta(minutes=10)
_BATCH = 200
_KINDS = (EventKind.TASK_UPDATE, EventKind.INSTANCE_STATUS)


def has_news(store: Store, name: str = CURSOR) -> bool:
    """Whether any event came after the cursor (one read; a face asks this every tick)."""
    from cc_orchestrator.core.events import cursor_positions

    cursor, newest = store.read(lambda: cursor_positions(name))
    return cursor is None or newest > cursor


def claim(service: IntegrationService, name: str = CURSOR) -> list[Event]:
    """The events after the shared cursor, which moves past them: no other process gets them."""
    return service.events.claim(name, _KINDS, batch=_BATCH)


class Dispatcher:
    """The integrations' follower of the events table, owned by the Orchestrator: each pass
    acts on the events since the shared cursor, once, whichever face runs it."""

    def __init__(self, service: IntegrationService) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._background: threading.Thread | None = None
        self.pulls = PullWatch(service)  # pull requests merged on GitHub, asked once a minute

    def dispatch(self) -> list[Outcome]:
        """Act on the events since the last pass (any process's). Cheap when nothing happened:
        one read. Also says when a change asked for something an unset integration would do."""
        with self._lock:
            return _Pass(self.service).run()

    def kick(self) -> None:
        """Run `dispatch` on a background thread when there are new events (or pull requests
        to ask about) and no pass is running (long-lived faces call this on each sweep, so
        network waits never hold up a refresh)."""
        if self._background is not None and self._background.is_alive():
            return
        if not has_news(self.service.store) and not self.pulls.due():
            return
        self._background = threading.Thread(target=self._dispatch_quietly, name="cco-integrations", daemon=True)
        self._background.start()

    def _dispatch_quietly(self) -> None:
        try:
            self.dispatch()
            if self.pulls.due():
                with self._lock:
                    self.pulls.poll()
        except Exception as exc:  # an unexpected failure must not kill the face; it is logged
            self.service.events.log(f"integrations: {type(exc).__name__}: {exc}"[:300], level=Level.ERROR)


class _Pass:
    """One pass over the new events, with the settings of that moment."""

    def __init__(self, service: IntegrationService) -> None:
        self.service = service
        self.settings = service.settings
        self.configured = service.configured()

    def run(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        now = datetime.now(UTC)
        for event in claim(self.service):
            if now - event.created_at > STALE:
                continue
            try:
                outcomes.extend(o for o in self.handle(event) if o is not None)
            except OrchestratorError as exc:
                outcomes.append(self._failed(event, str(exc)))
        return outcomes

    def handle(self, event: Event) -> list[Outcome | None]:
        if event.kind is EventKind.TASK_UPDATE and "previous" in event.data and event.task_id:
            return self._task_moved(event)
        if event.kind is EventKind.INSTANCE_STATUS:
            return [self._notice(event)]
        return []

    # -- tasks ----------------------------------------------------------------------------

    def _task_moved(self, event: Event) -> list[Outcome | None]:
        try:
            task = self.service.tasks.get(event.task_id)
        except NotFound:
            return []  # removed since
        status = TaskStatus(event.data.get("status"))
        if task.status is not status:
            return []  # moved on again; the later event acts
        outcomes: list[Outcome | None] = []
        if task.source == "jira":
            if self.configured["jira"]:
                outcomes.append(self.service.move_jira_issue(task))
            elif self.settings.jira_statuses.get(status.value.lower()):
                outcomes.append(
                    self._unset(
                        task,
                        f"{task.source_id} was not moved: Jira is not set up (jira_url, CC_ORCHESTRATOR_JIRA_TOKEN)",
                    )
                )
        if task.source == "github":
            wants_pull = status is TaskStatus.REVIEW and self.settings.github_pull_requests
            if wants_pull and self.configured["github"]:
                # Back in review after more work: the push updates the pull request already open.
                outcomes.append(self.service.open_pull_request(task.id))
            elif wants_pull:
                outcomes.append(
                    self._unset(
                        task,
                        f"no pull request was opened: set CC_ORCHESTRATOR_GITHUB_TOKEN, then `cco tasks pr {task.id}`",
                    )
                )
            elif status is TaskStatus.DONE and self.configured["github"]:
                outcomes.append(self.service.close_out_issue(task))
        return outcomes

    def _unset(self, task: Task, why: str) -> Outcome:
        message = f"task {task.id}: {why}"
        self.service.events.log(message, level=Level.WARNING, task_id=task.id)
        return Outcome(Level.WARNING, message, task.id)

    # -- Slack ----------------------------------------------------------------------------

    def _notice(self, event: Event) -> Outcome | None:
        if not self.configured["slack"]:
            return None
        text = self._notice_text(event)
        if text is None:
            return None
        slack = self.service.slack()
        try:
            slack.post(text)
        finally:
            slack.close()
        return Outcome(Level.DEBUG, f"sent a Slack notice: {text}", event.task_id)

    def _notice_text(self, event: Event) -> str | None:
        status = event.data.get("status")
        previous = event.data.get("previous")
        detail = event.message.partition(": ")[2]
        who = f"Instance `{event.instance_id}`" + self._task_words(event.task_id)
        s = self.settings
        if status == InstanceStatus.WAITING_INPUT and s.slack_on_waiting:
            return f":raising_hand: {who} is waiting for you" + (f": {detail}" if detail else "")
        if status == InstanceStatus.ERROR and s.slack_on_error:
            return f":x: {who} failed" + (f": {detail}" if detail else "")
        if (
            status == InstanceStatus.IDLE
            and previous == InstanceStatus.RUNNING
            and event.task_id
            and s.slack_on_finished
        ):
            return f":white_check_mark: {who} finished its turn and is idle"
        return None

    def _task_words(self, task_id: int | None) -> str:
        if not task_id:
            return ""
        try:
            task = self.service.tasks.get(task_id)
        except NotFound:
            return f" (task {task_id})"
        source = f", {task.source_label}" if task.source != "manual" else ""
        return f" (task {task.id} “{task.title[:80]}”{source})"

    def _failed(self, event: Event, why: str) -> Outcome:
        subject = f"task {event.task_id}" if event.kind is EventKind.TASK_UPDATE else "a Slack notice"
        message = f"{subject}: {why}"
        self.service.events.log(message, level=Level.WARNING, task_id=event.task_id)
        return Outcome(Level.WARNING, message, event.task_id)
