"""The review loop as the faces see it: one step per round of a long-lived face (the TUI,
`serve`, `cco run`), and what a task's checks are and did."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from cc_orchestrator.core.models import CheckRun, Task
from cc_orchestrator.core.review import runs
from cc_orchestrator.core.review.checks import Checks, resolve


class ReviewService:
    def __init__(self, orchestrator) -> None:
        self.orch = orchestrator
        self._started = False

    @cached_property
    def gate(self):
        from cc_orchestrator.core.review.gate import Gate

        return Gate(self.orch)

    def step(self, sweep: bool = False) -> None:
        """Turn ends checked, finished runs acted on; on the first step, turns a crash left
        unchecked are found too."""
        if not self._started:
            self._started = True
            self.gate.scan()
        self.gate.step(sweep)

    def merge_ready(self) -> list:
        """The merge queue, once (its own checks run synchronously: call it off a UI thread)."""
        merges = getattr(self.orch, "merges", None)
        return merges.merge_ready() if merges is not None else []

    def checks(self, task: Task) -> Checks:
        """The command that checks this task's work, and where it came from."""
        return resolve(Path(task.repo) if task.repo else Path.cwd(), self.orch.settings.review_checks)

    def runs(self, task_id: int) -> list[CheckRun]:
        return runs.of_task(self.orch.store, task_id)
