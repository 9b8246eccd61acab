"""When to ask git where a worktree stands (changed files, ahead/behind): a process or two each.

Never on a timer and never all at once: the highlighted worktree at once; the others one at a
time, `gap` seconds apart, once each; after that a worktree again only when its agent has been
active since the last look (at most every `min_gap` seconds), or when the user asks. So start-up
makes no burst, and an idle dashboard runs no git at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from cc_orchestrator.tui.view import View


class ReportSchedule:
    def __init__(self, min_gap: float = 30.0, gap: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_gap = min_gap
        self.gap = gap
        self.clock = clock
        self._seen: dict[str, tuple[float, object]] = {}  # worktree id -> (when, activity mark)
        self._asked: list[str] = []
        self._last = float("-inf")  # when the last report not asked for was made

    @property
    def asked(self) -> list[str]:
        """The worktrees the user asked about, not inspected yet."""
        return self._asked

    def ask(self, worktree_ids: Iterable[str]) -> None:
        """Inspect these next, whatever their age (the user asked)."""
        self._asked.extend(w for w in worktree_ids if w not in self._asked)

    def due(self, view: View, highlighted: str | None = None) -> str | None:
        """The worktree to inspect now, if any."""
        marks = self.marks(view)
        for wid in self._asked:
            if wid in marks:
                return wid
        if highlighted in marks and self._stale(highlighted, marks[highlighted]):
            return highlighted
        if self.clock() - self._last < self.gap:
            return None
        never = next((wid for wid in marks if wid not in self._seen), None)
        if never is not None:
            return never
        return next((wid for wid, mark in marks.items() if self._stale(wid, mark)), None)

    def waiting(self, view: View) -> float | None:
        """Seconds until a worktree not seen yet is due (None: none is waiting)."""
        if all(wid in self._seen for wid in self.marks(view)):
            return None
        return max(0.0, self._last + self.gap - self.clock())

    def done(self, view: View, worktree_id: str) -> None:
        now = self.clock()
        if worktree_id in self._asked:
            self._asked.remove(worktree_id)
        else:
            self._last = now
        self._seen[worktree_id] = (now, self.marks(view).get(worktree_id))

    def _stale(self, wid: str, mark: object) -> bool:
        seen = self._seen.get(wid)
        return seen is None or (seen[1] != mark and self.clock() - seen[0] >= self.min_gap)

    @staticmethod
    def marks(view: View) -> dict[str, object]:
        """What changes when work happens in a worktree: its agent's last activity, its commit."""
        activity = {i.id: i.last_activity for i in view.instances}
        return {w.id: (activity.get(w.instance_id or ""), w.last_commit) for w in view.worktrees if w.exists}
