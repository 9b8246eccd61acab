"""/api/instances: start, list, watch, talk to and stop agent instances.

Every call into the instance service goes through the board's lock (`board.call`); a start
(git worktree + tmux session) takes a worker thread for about a second, never the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cc_orchestrator.core.models import InstanceStatus, parse_enum
from cc_orchestrator.errors import Conflict, InvalidInput
from cc_orchestrator.web.api.deps import Pages, Svc
from cc_orchestrator.web.models import (
    InstanceCreate,
    InstanceMetrics,
    InstanceOut,
    InstanceUpdate,
    LogTail,
    MetricSample,
    Page,
    SendRequest,
    StopRequest,
)

router = APIRouter(prefix="/api/instances", tags=["instances"])

InstanceId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="id or unique prefix")]


def _out(instance) -> InstanceOut:
    return InstanceOut.model_validate(instance)


def _check_command(command: list[str] | None) -> list[str] | None:
    if command is None:
        return None
    if not command or not command[0].strip():
        raise InvalidInput("command must name a program")
    for arg in command:
        if "\x00" in arg:
            raise InvalidInput("command arguments may not contain NUL characters")
        if arg.endswith(";"):  # tmux would read it as the end of its own command
            raise InvalidInput(f"command argument {arg!r} may not end with ';'")
    return list(command)


@router.get("", response_model=Page[InstanceOut], summary="List instances")
def list_instances(
    svc: Svc,
    pages: Pages,
    status: Annotated[str | None, Query(description="STARTING, RUNNING, WAITING_INPUT, IDLE, ERROR or STOPPED")] = None,
    live: Annotated[bool | None, Query(description="only live (true) or only ended (false) instances")] = None,
    repo: str | None = None,
    task_id: int | None = None,
):
    wanted = parse_enum(InstanceStatus, status, "status") if status else None
    found = [
        i
        for i in svc.board.instances()
        if (wanted is None or i.status is wanted)
        and (live is None or i.status.is_live == live)
        and (repo is None or i.repo == repo)
        and (task_id is None or i.task_id == task_id)
    ]
    page = pages.page(found)
    return Page[InstanceOut](
        items=[_out(i) for i in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


@router.post("", status_code=201, response_model=InstanceOut, summary="Start an instance")
def start_instance(svc: Svc, body: InstanceCreate):
    """A new worktree and branch, a tmux session, and the agent running in it. With `task_id`
    (or `prompt`) the agent gets that as its first prompt once it is ready."""
    repo = svc.repo(body.repo)
    command = _check_command(body.command)
    instances = svc.orchestrator.instances
    instance = svc.board.call(
        lambda: instances.start(
            repo,
            task_id=body.task_id,
            branch=body.branch,
            base=body.base,
            command=command,
            layout=body.layout,
            prompt=body.prompt,
            agent=body.agent,
        )
    )
    svc.hub.poke()
    return _out(instance)


@router.get("/{instance_id}", response_model=InstanceOut, summary="Get an instance")
def get_instance(svc: Svc, instance_id: InstanceId):
    return _out(svc.board.get(instance_id))


@router.put("/{instance_id}", response_model=InstanceOut, summary="Stop or restart an instance")
def update_instance(svc: Svc, instance_id: InstanceId, body: InstanceUpdate):
    instances = svc.orchestrator.instances
    current = svc.board.get(instance_id)
    if body.status == "STOPPED":
        if current.status is InstanceStatus.STOPPED:
            return _out(current)
        result = svc.board.call(lambda: instances.stop(current.id))
    elif current.status.is_live:
        raise Conflict(
            f"instance {current.id} is {current.status.value}; only a stopped or failed one can be restarted"
        )
    else:
        result = svc.board.call(lambda: instances.restart(current.id))
    svc.hub.poke()
    return _out(result)


@router.delete("/{instance_id}", response_model=InstanceOut, summary="Stop an instance and remove its worktree")
def delete_instance(
    svc: Svc,
    instance_id: InstanceId,
    force: Annotated[bool, Query(description="also remove a worktree with unsaved work")] = False,
    keep_worktree: bool = False,
):
    """Refused (409) before anything stops when the worktree has uncommitted files or unpushed
    commits, unless `force`."""
    orch = svc.orchestrator
    current = svc.board.get(instance_id)

    def remove():
        if current.status is not InstanceStatus.STOPPED:
            return orch.instances.stop(current.id, remove_worktree=not keep_worktree, force=force)
        if current.worktree_id and not keep_worktree:
            orch.worktrees.remove(current.worktree_id, force=force)
        return orch.instances.get(current.id, refresh=False)

    result = svc.board.call(remove)
    svc.hub.poke()
    return _out(result)


@router.post("/{instance_id}/stop", response_model=InstanceOut, summary="Stop an instance")
def stop_instance(svc: Svc, instance_id: InstanceId, body: StopRequest | None = None):
    body = body or StopRequest()
    instances = svc.orchestrator.instances
    result = svc.board.call(lambda: instances.stop(instance_id, remove_worktree=body.remove_worktree, force=body.force))
    svc.hub.poke()
    return _out(result)


@router.post("/{instance_id}/send", response_model=InstanceOut, summary="Send a prompt")
def send_prompt(svc: Svc, instance_id: InstanceId, body: SendRequest):
    instances = svc.orchestrator.instances
    result = svc.board.call(lambda: instances.send(instance_id, body.text, enter=body.enter))
    svc.hub.poke()
    return _out(result)


def _action(name: str, summary: str):
    def act(svc: Svc, instance_id: InstanceId):
        method = getattr(svc.orchestrator.instances, name)
        result = svc.board.call(lambda: method(instance_id))
        svc.hub.poke()
        return _out(result)

    act.__name__ = f"{name}_instance"
    act.__doc__ = summary
    router.add_api_route(f"/{{instance_id}}/{name}", act, methods=["POST"], response_model=InstanceOut, summary=summary)


_action("approve", "Approve the question the agent shows (a permission prompt)")
_action("reject", "Reject the question the agent shows")
_action("interrupt", "Interrupt what the agent is doing (it stays alive)")
_action("restart", "Restart a dead agent in its worktree")


@router.get("/{instance_id}/logs", response_model=LogTail, summary="The agent's recent screen output")
def instance_logs(svc: Svc, instance_id: InstanceId, lines: Annotated[int, Query(ge=1, le=5000)] = 200):
    instance = svc.board.get(instance_id)  # the id comes from the store, never the request
    return LogTail(instance_id=instance.id, lines=svc.orchestrator.instances.logs.tail(instance.id, lines))


@router.get("/{instance_id}/metrics", response_model=InstanceMetrics, summary="CPU and memory over time")
def instance_metrics(svc: Svc, instance_id: InstanceId):
    instance = svc.board.get(instance_id)
    samples = [MetricSample(timestamp=t, cpu_percent=c, memory_mb=m) for t, c, m in svc.board.history(instance.id)]
    return InstanceMetrics(instance_id=instance.id, samples=samples)
