"""/api/overlaps: active worktrees that change the same files, and branches that no longer
merge, as the newest snapshot shows them (the core computes them from what moved; no git here)."""

from __future__ import annotations

from fastapi import APIRouter

from cc_orchestrator.web.api.deps import Svc
from cc_orchestrator.web.models import OverlapOut

router = APIRouter(prefix="/api/overlaps", tags=["worktrees"])


@router.get("", response_model=list[OverlapOut], summary="Overlapping and conflicting worktrees")
def list_overlaps(svc: Svc, repo: str | None = None):
    """Conflicts first: two worktrees whose branches no longer merge with each other, or one that
    no longer merges into its base's tip (`base` names it); then pairs that change the same files."""
    found = svc.feed.snapshot.overlaps
    return [OverlapOut.model_validate(o) for o in found if repo is None or o.repo == repo]
