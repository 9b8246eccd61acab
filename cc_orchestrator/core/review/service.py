"""The review loop as the faces see it: one step per round of a long-lived face (the TUI,
`serve`, `cco run`), and what a task's checks are and did.

A step checks the turns that ended (the gate), fills free slots with ready tasks (auto-assign)
and hands work whose checks passed to the merge queue (auto-merge). The queue runs its own
checks, which may take minutes, so it runs on a thread of its own, one pass at a time; the
face's rounds go on meanwhile.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from cc_orchestrator.core.models import CheckRun, ChecksState, Level, Task, TaskStatus
from cc_orchestrator.core.review import runs
from cc_orchestrator.core.review.checks import Checks, resolve
from cc_orchestrator.errors import message_of

MERGEABLE = (ChecksState.PASSED.value, ChecksState.NO_CHECKS.value)


class ReviewService:
    def __init__(self, orchestrator) -> None:
        self.orch = orchestrator
        self.auto_assign: bool | None = None  # None: the setting decides (`cco run` says True)
        self.auto_merge: bool | None = None
        self._started = False
        self._lock = threading.Lock()
        self._merger: threading.Thread | None = None
        self._again = False

    @cached_property
    def gate(self):
        from cc_orchestrator.core.review.gate import Gate

        return Gate(self.orch)

    def step(self, sweep: bool = False) -> list:
        """Turn ends checked, finished runs acted on, free slots filled, passed work merged;
        the instances it started. The first step also finds turns a crash left unchecked."""
        settings = self.orch.settings
        if not self._started:
            self._started = True
            self.gate.scan()
        self.gate.step(sweep)
        started = []
        if settings.auto_assign if self.auto_assign is None else self.auto_assign:
            started = self.orch.auto_assign()
        if (settings.review_auto_merge if self.auto_merge is None else self.auto_merge) and self._mergeable():
            self.kick_merges()
        return started

    def _mergeable(self) -> bool:
        from cc_orchestrator.core.store.tables import TaskRow

        query = TaskRow.select(TaskRow.id).where(
            TaskRow.status == TaskStatus.REVIEW.value, TaskRow.checks.in_(MERGEABLE)
        )
        return self.orch.store.read(query.exists)

    def kick_merges(self) -> None:
        """Run the merge queue on its thread (again, if a pass is under way)."""
        with self._lock:
            self._again = True
            if self._merger is not None and self._merger.is_alive():
                return
            self._merger = threading.Thread(target=self._merge_passes, name="cc-orchestrator-merges", daemon=True)
            self._merger.start()

    def _merge_passes(self) -> None:
        while True:
            with self._lock:
                if not self._again:
                    self._merger = None
                    return
                self._again = False
            try:
                self.merge_ready()
            except Exception as exc:  # logged; the next kick tries again
                self.orch.events.log(f"merge queue: {message_of(exc)}", level=Level.ERROR)

    def merge_ready(self) -> list:
        """The merge queue, once, here (its checks run synchronously)."""
        return self.orch.merges.merge_ready()

    def checks(self, task: Task) -> Checks:
        """The command that checks this task's work, and where it came from."""
        return resolve(Path(task.repo) if task.repo else Path.cwd(), self.orch.settings.review_checks)

    def runs(self, task_id: int) -> list[CheckRun]:
        return runs.of_task(self.orch.store, task_id)
