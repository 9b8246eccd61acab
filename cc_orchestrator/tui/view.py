"""What the dashboard shows: the core's newest snapshot, plus the repository new instances start
in and a window of the newest events (a core snapshot carries only the events since the last).

The app holds the current `View` in a reactive; each screen watches it (`watch_view`) and diffs
it against what it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cc_orchestrator.core.models import Event, Host, Instance, Overlap, Task, Worktree
from cc_orchestrator.core.snapshot import Snapshot

if TYPE_CHECKING:
    from textual.dom import DOMNode

EVENTS_KEPT = 1000


@dataclass(frozen=True)
class View:
    snapshot: Snapshot = field(default_factory=Snapshot)
    events: tuple[Event, ...] = ()  # the newest EVENTS_KEPT events, oldest first
    repo: str | None = None

    @property
    def instances(self) -> tuple[Instance, ...]:
        return self.snapshot.instances

    @property
    def tasks(self) -> tuple[Task, ...]:
        return self.snapshot.tasks

    @property
    def worktrees(self) -> tuple[Worktree, ...]:
        return self.snapshot.worktrees

    @property
    def hosts(self) -> tuple[Host, ...]:
        """`local` first, then the remote hosts, each with its health."""
        return self.snapshot.hosts

    @property
    def overlaps(self) -> tuple[Overlap, ...]:
        return self.snapshot.overlaps

    def overlaps_by_instance(self) -> dict[str, tuple[Overlap, ...]]:
        """Each instance's overlaps, conflicts first (an instance with none is absent)."""
        return marks(self.snapshot.overlaps, lambda o: o.instance_ids)

    def overlaps_by_worktree(self) -> dict[str, tuple[Overlap, ...]]:
        return marks(self.snapshot.overlaps, lambda o: o.worktree_ids)

    @property
    def live(self) -> bool:
        """False for the first, store-only view (no tmux state yet)."""
        return self.snapshot.live

    @property
    def last_event_id(self) -> int:
        return self.events[-1].id if self.events else 0

    def instance(self, instance_id: str | None) -> Instance | None:
        return self.snapshot.instance(instance_id)

    def task(self, task_id: int | None) -> Task | None:
        return self.snapshot.task(task_id)

    def worktree(self, worktree_id: str | None) -> Worktree | None:
        return self.snapshot.worktree(worktree_id)

    def merged(self, snapshot: Snapshot) -> View:
        """This view after a newer snapshot: its rows, and its events added to the window."""
        return View(snapshot, window(self.events, snapshot.events), self.repo)

    def with_events(self, events: Iterable[Event]) -> View:
        return View(self.snapshot, window(self.events, events), self.repo)


def marks(
    overlaps: Iterable[Overlap], keys: Callable[[Overlap], Iterable[str | None]]
) -> dict[str, tuple[Overlap, ...]]:
    found: dict[str, list[Overlap]] = {}
    for overlap in overlaps:  # the core lists conflicts first
        for key in keys(overlap):
            if key:
                found.setdefault(key, []).append(overlap)
    return {k: tuple(v) for k, v in found.items()}


def window(kept: tuple[Event, ...], new: Iterable[Event]) -> tuple[Event, ...]:
    """The newest EVENTS_KEPT of both, oldest first, each once (snapshots may repeat events)."""
    new = tuple(new)
    if not new:
        return kept
    last = kept[-1].id if kept else 0
    if new[0].id > last:  # the usual case: only newer events
        return (kept + new)[-EVENTS_KEPT:]
    by_id = {e.id: e for e in (*kept, *new)}
    return tuple(by_id[i] for i in sorted(by_id)[-EVENTS_KEPT:])


def first_view(orch, repo: str | None) -> View:
    """From the store alone (no settings, tmux or git), so the first frame has its rows."""
    events = tuple(orch.events.tail(limit=EVENTS_KEPT))
    snapshot = orch.snapshot(after_event_id=events[-1].id if events else 0, refresh=False)
    return View(snapshot, window(events, snapshot.events), repo)


def watch_view(node: DOMNode, callback: Callable[[View], None]) -> None:
    """Call `callback` with the app's view now and whenever it changes, while `node` is mounted."""
    node.watch(node.app, "view", callback)


def local_now() -> datetime:
    return datetime.now(UTC).astimezone()
