"""/api/tasks: the task board, paginated and filtered by SQLite (10,000 tasks stay fast)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cc_orchestrator.errors import OrchestratorError
from cc_orchestrator.web.api.deps import Pages, Svc
from cc_orchestrator.web.models import (
    AssignRequest,
    CheckRunOut,
    ChecksOut,
    InstanceOut,
    MergeOut,
    MergeRequest,
    Page,
    TaskCreate,
    TaskOut,
    TaskUpdate,
)

router = APIRouter(prefix="/api/tasks", tags=["tasks"])

TaskId = Annotated[int, Path(ge=1)]


def _out(task) -> TaskOut:
    return TaskOut.model_validate(task)


@router.get("", response_model=Page[TaskOut], summary="List tasks")
def list_tasks(
    svc: Svc,
    pages: Pages,
    status: Annotated[str | None, Query(description="PENDING, ASSIGNED, IN_PROGRESS, REVIEW or DONE")] = None,
    priority: Annotated[str | None, Query(description="HIGH, MEDIUM or LOW")] = None,
    repo: str | None = None,
):
    tasks = svc.orchestrator.tasks
    items = tasks.list(status=status, priority=priority, repo=repo, limit=pages.limit, offset=pages.offset)
    total = tasks.count(status=status, priority=priority, repo=repo)
    return Page[TaskOut](items=[_out(t) for t in items], total=total, limit=pages.limit, offset=pages.offset)


@router.post("", status_code=201, response_model=TaskOut, summary="Create a task")
def create_task(svc: Svc, body: TaskCreate):
    task = svc.orchestrator.tasks.add(
        body.title,
        body.description,
        priority=body.priority,
        dependencies=body.dependencies,
        repo=body.repo,
        host=svc.host(body.host) if body.host is not None else None,
    )
    svc.feed.settle(kick=False)
    return _out(task)


@router.get("/{task_id}", response_model=TaskOut, summary="Get a task")
def get_task(svc: Svc, task_id: TaskId):
    return _out(svc.orchestrator.tasks.get(task_id))


@router.get("/{task_id}/checks", response_model=ChecksOut, summary="A task's checks and their runs")
def task_checks(svc: Svc, task_id: TaskId):
    """The command that checks the task's work and where it came from (the repository's
    `.cc-orchestrator.toml`, the `review_checks` setting, or what was detected), and every run
    of it on record, oldest first, each with the last lines of its output."""
    review = svc.orchestrator.review
    task = svc.orchestrator.tasks.get(task_id)
    try:
        checks = review.checks(task)
        command, source = checks.command, checks.source
    except OrchestratorError as exc:  # a broken .cc-orchestrator.toml: the runs are still worth seeing
        command, source = None, f"unknown: {exc.message}"
    runs = [CheckRunOut.model_validate(r) for r in review.runs(task.id)]
    return ChecksOut(command=command, source=source, runs=runs)


@router.post("/{task_id}/merge", response_model=MergeOut, summary="Merge a REVIEW task's branch into its base")
def merge_task(svc: Svc, task_id: TaskId, body: MergeRequest | None = None):
    """As `cco tasks merge`: refused (409, one line, nothing changed) when its checks have not
    passed on the branch's HEAD, the merge would conflict (the files named), or the base is
    checked out somewhere with uncommitted changes. A base that moved since the checks ran is
    checked again on the merge result first."""
    result = svc.orchestrator.merges.merge(task_id, (body or MergeRequest()).strategy)
    svc.feed.settle(kick=False)
    return MergeOut(**{**result.__dict__, "line": result.line()})


@router.put("/{task_id}", response_model=TaskOut, summary="Change a task")
@router.patch("/{task_id}", response_model=TaskOut, include_in_schema=False)
def update_task(svc: Svc, task_id: TaskId, body: TaskUpdate):
    """Only the fields sent change, in one transaction: a refused move or a dependency cycle
    changes nothing. `dependencies` replaces the whole set."""
    task = svc.orchestrator.tasks.update(
        task_id,
        title=body.title,
        description=body.description,
        priority=body.priority,
        status=body.status,
        dependencies=body.dependencies,
        add_dependencies=body.add_dependencies,
        remove_dependencies=body.remove_dependencies,
    )
    svc.feed.settle(kick=False)
    return _out(task)


@router.delete("/{task_id}", response_model=TaskOut, summary="Delete a task")
def delete_task(svc: Svc, task_id: TaskId):
    """Refused (409) while a live instance works on it. Returns the task as it was."""
    task = svc.orchestrator.tasks.remove(task_id)
    svc.feed.settle(kick=False)
    return _out(task)


@router.post("/{task_id}/assign", status_code=201, response_model=InstanceOut, summary="Start an instance for a task")
def assign_task(svc: Svc, task_id: TaskId, body: AssignRequest | None = None):
    """The task must be ready (PENDING, dependencies DONE) and a slot free. The agent gets the
    task as its first prompt once it is ready."""
    orch = svc.orchestrator
    task = orch.tasks.get(task_id)
    repo = svc.repo((body.repo if body else None) or task.repo)
    on = {"host": svc.host(body.host)} if body and body.host is not None else {}  # the core's default otherwise
    instance = orch.assign(task.id, repo, wait=False, **on)
    svc.feed.settle()
    return InstanceOut.model_validate(instance)
