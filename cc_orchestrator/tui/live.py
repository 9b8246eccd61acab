"""What the dashboard shows, and the blocking reads that produce it (run in worker threads).

A poll builds one immutable `Snapshot` and posts it to the app; widgets diff it against what
they show. Snapshots are complete (events are a window of the newest ones, not a delta), so a
newer one may replace an older one still queued without losing anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.message import Message

from cc_orchestrator.core.models import Event, Instance, Task, Worktree

if TYPE_CHECKING:
    from cc_orchestrator.core.models import WorktreeReport
    from cc_orchestrator.core.orchestrator import Orchestrator

EVENTS_KEPT = 1000


@dataclass(frozen=True)
class Snapshot:
    instances: tuple[Instance, ...] = ()
    tasks: tuple[Task, ...] = ()
    worktrees: tuple[Worktree, ...] = ()
    events: tuple[Event, ...] = ()  # the newest EVENTS_KEPT events, oldest first
    repo: str | None = None  # the repository new instances start in
    live: bool = False  # False for the first, store-only snapshot (no tmux state yet)

    def instance(self, instance_id: str | None) -> Instance | None:
        return next((i for i in self.instances if i.id == instance_id), None)

    def task(self, task_id: int | None) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def worktree(self, worktree_id: str | None) -> Worktree | None:
        return next((w for w in self.worktrees if w.id == worktree_id), None)


class SnapshotReady(Message):
    """A poll finished; the newest snapshot supersedes any still queued."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class PollFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class Loaded(Message):
    """A worker's result, shown on the event loop: post_message is thread-safe and never blocks
    (unlike call_from_thread, which would hang a worker finishing while the app quits)."""

    def __init__(self, show: Callable[..., None], *args: Any) -> None:
        super().__init__()
        self.show = show
        self.args = args


class Poller:
    """Every read the dashboard makes, through the services. Not thread-safe: one poll at a time."""

    def __init__(self, orch: Orchestrator, repo: str | None = None) -> None:
        self.orch = orch
        self.repo = repo
        self._events: deque[Event] = deque(maxlen=EVENTS_KEPT)

    def first(self) -> Snapshot:
        """From the store alone (no tmux, no git), so the first paint comes at once."""
        self._events.extend(self.orch.events.tail(limit=EVENTS_KEPT))
        instances, worktrees = self.orch.stored_view()
        return self._snapshot(instances, live=False, worktrees=worktrees)

    def poll(self) -> Snapshot:
        """One round: ingest, refresh, health (one tmux call at idle), then the store."""
        instances = self.orch.tick()
        return self._snapshot(instances, live=True)

    def _snapshot(self, instances: Iterable[Instance], live: bool, worktrees=None) -> Snapshot:
        after = self._events[-1].id if self._events else 0
        while True:
            batch = self.orch.events.since(after, limit=500)
            self._events.extend(batch)
            if len(batch) < 500:
                break
            after = batch[-1].id
        return Snapshot(
            instances=tuple(instances),
            tasks=tuple(self.orch.tasks.list()),
            worktrees=tuple(self.orch.worktrees.list(inspect=False) if worktrees is None else worktrees),
            events=tuple(self._events),
            repo=self.repo,
            live=live,
        )

    def reports(self, worktree_ids: Iterable[str]) -> dict[str, WorktreeReport]:
        """git's report per worktree; a worktree that vanished meanwhile is left out."""
        from cc_orchestrator.errors import OrchestratorError

        found = {}
        for wid in worktree_ids:
            try:
                found[wid] = self.orch.worktrees.inspect(wid)
            except OrchestratorError:
                continue
        return found

    def screen(self, instance_id: str) -> str:
        """The agent's screen as text."""
        return self.orch.instances.screen(instance_id)

    def output(self, instance_id: str, lines: int = 500) -> list[str]:
        """The tail of the agent's output log (written by tmux pipe-pane)."""
        return self.orch.instances.logs.tail(instance_id, lines)

    def diff(self, worktree_id: str) -> str | None:
        """The worktree's diff against its base: commits and working tree."""
        return self.orch.worktrees.diff(worktree_id)

    def instance_events(self, instance_id: str, limit: int = 300) -> list[Event]:
        return self.orch.events.tail(limit=limit, instance_id=instance_id)

    def task_events(self, task_id: int, limit: int = 300) -> list[Event]:
        return self.orch.events.tail(limit=limit, task_id=task_id)


def default_repo(repo: str | None) -> str | None:
    """--repo, else the repository holding the current folder, else None (tasks carry theirs)."""
    from cc_orchestrator.core.orchestrator import Orchestrator

    found = Orchestrator.repo(repo, required=False)
    return str(found) if found else None


def local_now() -> datetime:
    return datetime.now(UTC).astimezone()
