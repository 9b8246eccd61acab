"""What a merge starts from: a task's branch, its base, and where they stand."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cc_orchestrator.core.git import merging
from cc_orchestrator.core.review.checks import Checks


@dataclass
class Plan:
    """A task's branch, its base and where they stand, as found before anything changes."""

    task_id: int
    title: str
    worktree_id: str
    path: Path
    repo: Path
    branch: str
    base: str
    instance_id: str | None
    tip: str = ""
    base_tip: str = ""
    checks: Checks | None = None

    @property
    def moved(self) -> bool:
        """Whether the base got commits since the branch left it (its checks did not see them)."""
        return not merging.is_ancestor(self.repo, self.base_tip, self.tip)
