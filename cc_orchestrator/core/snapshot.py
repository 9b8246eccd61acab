"""Journey 3's result: one consistent view of everything a face shows, built in one place.

`Orchestrator.snapshot(after_event_id)` reads instances, tasks, worktrees, overlaps and the
events after `after_event_id` inside one read transaction (SQLite's WAL gives it one point in
time), so an instance never names a task the same snapshot lacks. Every face consumes it: the
TUI and `serve` from `Live`, which pushes a new snapshot whenever something changed, and the
CLI's `monitor` and followers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from cc_orchestrator.core.models import Event, Host, Instance, Overlap, Task, Worktree


@dataclass(frozen=True)
class Snapshot:
    instances: tuple[Instance, ...] = ()
    tasks: tuple[Task, ...] = ()
    worktrees: tuple[Worktree, ...] = ()
    overlaps: tuple[Overlap, ...] = ()
    events: tuple[Event, ...] = ()  # after the id asked for, oldest first
    hosts: tuple[Host, ...] = ()  # `local` first, then the remote hosts, each with its health
    last_event_id: int = 0  # the newest event when it was read: ask for events after this next
    live: bool = False  # False: from the store alone, before tmux was asked
    taken_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def instance(self, instance_id: str | None) -> Instance | None:
        return next((i for i in self.instances if i.id == instance_id), None)

    def task(self, task_id: int | None) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def worktree(self, worktree_id: str | None) -> Worktree | None:
        return next((w for w in self.worktrees if w.id == worktree_id), None)


EVENTS_PER_SNAPSHOT = 1000  # a longer backlog is read by the next snapshot


def read_snapshot(orchestrator, after_event_id: int, live: bool, usage: dict | None = None) -> Snapshot:
    """Everything from the store in one read transaction; `usage` (pid -> ResourceUsage) from
    the last process sample. No tmux, no git: the refresh, if any, ran before."""
    from cc_orchestrator.core.git.worktrees import stored_worktrees
    from cc_orchestrator.core.hosts.service import stored_hosts
    from cc_orchestrator.core.instances.rows import to_instance, unreachable_hosts, usage_key
    from cc_orchestrator.core.review.overlaps import stored_overlaps
    from cc_orchestrator.core.store.tables import InstanceRow

    usage = usage or {}
    store = orchestrator.store

    def read() -> Snapshot:
        rows = list(InstanceRow.select().order_by(InstanceRow.created_at, InstanceRow.id))
        events = orchestrator.events.since(after_event_id, limit=EVENTS_PER_SNAPSHOT)
        newest = events[-1].id if len(events) == EVENTS_PER_SNAPSHOT else orchestrator.events.latest_id()
        away = unreachable_hosts()
        instances = tuple(to_instance(r, usage.get(usage_key(r.host, r.pid)) if r.pid else None, away) for r in rows)
        worktrees = tuple(stored_worktrees(store))
        return Snapshot(
            instances=instances,
            tasks=tuple(orchestrator.tasks.list()),
            worktrees=worktrees,
            overlaps=tuple(stored_overlaps(worktrees, instances)),
            events=tuple(events),
            hosts=tuple(stored_hosts()),
            last_event_id=max(newest, after_event_id),
            live=live,
        )

    return store.read_consistent(read)
