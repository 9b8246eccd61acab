"""The blocking reads screens make besides the pushed views, through the services. Each runs in
a worker thread; tests and screenshots serve fixed data in their place (tests/tui/demo.py)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cc_orchestrator.core.git.reports import Standing, Standings
    from cc_orchestrator.core.models import CheckRun, Event, Task, Worktree, WorktreeReport
    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.core.review.checks import Checks


class Reads:
    def __init__(self, orch: Orchestrator) -> None:
        self.orch = orch
        self._standings: Standings | None = None

    def screen(self, instance_id: str) -> str:
        """The agent's screen as text (one tmux call)."""
        return self.orch.instances.screen(instance_id)

    def output(self, instance_id: str, lines: int = 500) -> list[str]:
        """The tail of the agent's output log (written by tmux pipe-pane)."""
        return self.orch.instances.logs.tail(instance_id, lines)

    def output_mark(self, instance_id: str) -> object:
        """Changes whenever the agent writes to its terminal (its output log grows): a stat, no
        subprocess, so a view of its screen re-reads only when there is something new."""
        try:
            info = os.stat(self.orch.instances.logs.path(instance_id))
        except OSError:
            return None
        return info.st_size, info.st_mtime_ns

    def standing(self, worktree: Worktree, fresh: bool = False) -> Standing | None:
        """What the worktree map shows of a worktree: changed files, ahead/behind (one or two git
        processes; `fresh`: the branches' tips read again too); None if it is gone."""
        if self._standings is None:
            from cc_orchestrator.core.git.reports import Standings

            self._standings = Standings()
        return self._standings.of(worktree, fresh)

    def report(self, worktree_id: str) -> WorktreeReport | None:
        """git's full report on a worktree (unpushed commits too: several git processes); None
        if it is gone meanwhile."""
        from cc_orchestrator.errors import OrchestratorError

        try:
            return self.orch.worktrees.inspect(worktree_id)
        except OrchestratorError:
            return None

    def diff(self, worktree_id: str) -> str | None:
        """The worktree's diff against its base: commits and working tree."""
        return self.orch.worktrees.diff(worktree_id)

    def instance_events(self, instance_id: str, limit: int = 300) -> list[Event]:
        return self.orch.events.tail(limit=limit, instance_id=instance_id)

    def task_events(self, task_id: int, limit: int = 300) -> list[Event]:
        return self.orch.events.tail(limit=limit, task_id=task_id)

    def checks(self, task: Task) -> Checks:
        """The command that checks the task's work and where it came from (reads the
        repository's `.cc-orchestrator.toml`, or looks at its files)."""
        return self.orch.review.checks(task)

    def check_runs(self, task_id: int) -> list[CheckRun]:
        """The task's check runs on record, oldest first."""
        return self.orch.review.runs(task_id)
