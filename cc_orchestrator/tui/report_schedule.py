"""When to ask git about a worktree (dirty files, ahead/behind): about 9 git processes each.

Never on a timer per refresh: a worktree is inspected when it is new, when its agent has been
active since the last look (at most every `min_gap` seconds), when the user asks, and all of
them every `full_every` seconds for changes made by hand. So an idle dashboard runs no git.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from cc_orchestrator.tui.live import Snapshot


class ReportSchedule:
    def __init__(
        self, min_gap: float = 30.0, full_every: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.min_gap = min_gap
        self.full_every = full_every
        self.clock = clock
        self._seen: dict[str, tuple[float, object]] = {}  # worktree id -> (when, activity mark)
        self._asked: set[str] = set()

    def ask(self, worktree_ids: Iterable[str]) -> None:
        """Inspect these at the next chance, whatever their age."""
        self._asked.update(worktree_ids)

    def due(self, snapshot: Snapshot, limit: int = 1) -> list[str]:
        """Worktrees to inspect now: all the user asked for and all never seen (a new worktree,
        or the first paint), plus up to `limit` whose agent has been active."""
        now, marks = self.clock(), self.marks(snapshot)
        found = [wid for wid in marks if wid in self._asked or wid not in self._seen]
        for wid, mark in marks.items():
            if limit <= 0:
                break
            seen = self._seen.get(wid)
            if seen is None or wid in found:
                continue
            if now - seen[0] >= self.full_every or (seen[1] != mark and now - seen[0] >= self.min_gap):
                found.append(wid)
                limit -= 1
        return found

    def done(self, snapshot: Snapshot, worktree_ids: Iterable[str]) -> None:
        now, marks = self.clock(), self.marks(snapshot)
        for wid in worktree_ids:
            self._seen[wid] = (now, marks.get(wid))
            self._asked.discard(wid)

    @staticmethod
    def marks(snapshot: Snapshot) -> dict[str, object]:
        """What changes when work happens in a worktree: its agent's last activity, its commit."""
        activity = {i.id: i.last_activity for i in snapshot.instances}
        return {w.id: (activity.get(w.instance_id or ""), w.last_commit) for w in snapshot.worktrees if w.exists}
