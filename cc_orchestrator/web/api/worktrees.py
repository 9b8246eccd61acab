"""/api/worktrees: addressed by id only. The core also accepts a folder path as a reference;
this API never passes one on, so no request can point removal at a folder of its choosing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cc_orchestrator.core.models import WorktreeStatus, parse_enum
from cc_orchestrator.errors import NotFound
from cc_orchestrator.web.api.deps import Pages, Svc
from cc_orchestrator.web.models import Page, WorktreeCreate, WorktreeOut, WorktreeReportOut

router = APIRouter(prefix="/api/worktrees", tags=["worktrees"])

WorktreeId = Annotated[str, Path(pattern=r"^[0-9a-f]{2,40}$", description="id or unique id prefix")]


def _out(worktree) -> WorktreeOut:
    return WorktreeOut.model_validate(worktree)


def _resolve(svc: Svc, worktree_id: str):
    """The worktree whose id is (or starts with) `worktree_id`; never a lookup by path."""
    worktree = svc.orchestrator.worktrees.get(worktree_id)
    if not worktree.id.startswith(worktree_id):  # the core fell back to a folder path
        raise NotFound(f"no worktree {worktree_id!r}")
    return worktree


@router.get("", response_model=Page[WorktreeOut], summary="List worktrees")
def list_worktrees(
    svc: Svc,
    pages: Pages,
    repo: str | None = None,
    status: Annotated[str | None, Query(description="ACTIVE, IDLE, STALE or CLEANUP_PENDING")] = None,
    inspect: Annotated[bool, Query(description="ask git about unsaved changes (slower)")] = False,
):
    wanted = parse_enum(WorktreeStatus, status, "status") if status else None
    found = svc.orchestrator.worktrees.list(repo, inspect=inspect)
    found = [w for w in found if wanted is None or w.status is wanted]
    page = pages.page(found)
    return Page[WorktreeOut](
        items=[_out(w) for w in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


@router.post("", status_code=201, response_model=WorktreeOut, summary="Create a worktree")
def create_worktree(svc: Svc, body: WorktreeCreate):
    worktree = svc.orchestrator.worktrees.create(svc.repo(body.repo), body.branch, body.base)
    svc.feed.settle(kick=False)
    return _out(worktree)


@router.post("/prune", response_model=list[WorktreeOut], summary="Forget worktrees whose folder is gone")
def prune_worktrees(svc: Svc, repo: str | None = None):
    pruned = svc.orchestrator.worktrees.prune(repo)
    svc.feed.settle(kick=False)
    return [_out(w) for w in pruned]


@router.get("/{worktree_id}", response_model=WorktreeOut, summary="Get a worktree")
def get_worktree(svc: Svc, worktree_id: WorktreeId):
    return _out(_resolve(svc, worktree_id))


@router.get("/{worktree_id}/report", response_model=WorktreeReportOut, summary="What removal would lose")
def worktree_report(svc: Svc, worktree_id: WorktreeId):
    worktree = _resolve(svc, worktree_id)
    return WorktreeReportOut.model_validate(svc.orchestrator.worktrees.inspect(worktree.id))


LOST = "uncommitted files, hand-made ignored files and commits no other branch, tag or remote holds"


@router.delete("/{worktree_id}", response_model=WorktreeOut, summary="Remove a worktree")
def remove_worktree(
    svc: Svc,
    worktree_id: WorktreeId,
    force: Annotated[bool, Query(description=f"also delete {LOST}")] = False,
    keep_branch: bool = False,
):
    """Refused (409) while a live instance uses it, and without `force` while removal would
    lose uncommitted files, hand-made ignored files (not caches or build outputs) or commits
    that no other branch, tag or remote holds; the refusal lists them."""
    worktree = _resolve(svc, worktree_id)
    removed = svc.orchestrator.worktrees.remove(worktree.id, force=force, keep_branch=keep_branch)
    svc.feed.settle(kick=False)
    return _out(removed)
