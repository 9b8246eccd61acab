"""/api/instances: start, list, watch, talk to and stop agent instances.

Reads answer from the newest snapshot the core's Live pushed (`svc.feed`): no tmux per request.
A request that changes something calls the instance service (in a worker thread: a start, git
worktree + tmux session, takes about a second, never the event loop), then `_acted` asks Live
to look now and waits for the snapshot that shows the change, so the next read sees it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cc_orchestrator.core.models import LOCAL_HOST, InstanceStatus, parse_enum
from cc_orchestrator.errors import Conflict, InvalidInput
from cc_orchestrator.web.api.deps import Pages, Services, Svc
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


def _acted(svc: Services, instance) -> InstanceOut:
    svc.feed.settle()
    return _out(instance)


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
    host: Annotated[str | None, Query(max_length=100, description="only instances on this host (`local`)")] = None,
):
    wanted = parse_enum(InstanceStatus, status, "status") if status else None
    on = svc.host(host) if host is not None else None
    found = [
        i
        for i in svc.feed.instances()
        if (wanted is None or i.status is wanted)
        and (live is None or i.status.is_live == live)
        and (repo is None or i.repo == repo)
        and (task_id is None or i.task_id == task_id)
        and (on is None or i.host == on)
    ]
    page = pages.page(found)
    return Page[InstanceOut](
        items=[_out(i) for i in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


@router.post("", status_code=201, response_model=InstanceOut, summary="Start an instance")
def start_instance(svc: Svc, body: InstanceCreate):
    """A new worktree and branch, a tmux session, and the agent running in it. With `task_id`
    (or `prompt`) the agent gets that as its first prompt once it is ready."""
    on = {"host": svc.host(body.host)} if body.host is not None else {}  # the core's default when not given
    repo = svc.repo(body.repo) if "host" not in on or on["host"] == LOCAL_HOST else body.repo  # a path there
    command = _check_command(body.command)
    instance = svc.orchestrator.instances.start(
        repo,
        **on,
        task_id=body.task_id,
        branch=body.branch,
        base=body.base,
        command=command,
        layout=body.layout,
        prompt=body.prompt,
        agent=body.agent,
    )
    return _acted(svc, instance)


@router.get("/{instance_id}", response_model=InstanceOut, summary="Get an instance")
def get_instance(svc: Svc, instance_id: InstanceId):
    return _out(svc.feed.get(instance_id))


@router.put("/{instance_id}", response_model=InstanceOut, summary="Stop or restart an instance")
def update_instance(svc: Svc, instance_id: InstanceId, body: InstanceUpdate):
    instances = svc.orchestrator.instances
    current = svc.feed.get(instance_id)
    if body.status == "STOPPED":
        if current.status is InstanceStatus.STOPPED:
            return _out(current)
        return _acted(svc, instances.stop(current.id))
    if current.status.is_live:
        raise Conflict(
            f"instance {current.id} is {current.status.value}; only a stopped or failed one can be restarted"
        )
    return _acted(svc, instances.restart(current.id))


@router.delete("/{instance_id}", response_model=InstanceOut, summary="Stop an instance and remove its worktree")
def delete_instance(
    svc: Svc,
    instance_id: InstanceId,
    force: Annotated[bool, Query(description="also remove a worktree with unsaved work")] = False,
    remove_worktree: Annotated[bool, Query(description="false: stop it (if live) and keep its worktree")] = True,
    keep_worktree: Annotated[bool | None, Query(include_in_schema=False)] = None,
):
    """Stop the instance if it is live, and remove its worktree (also of one stopped already).
    Refused (409) before anything stops when removal would lose work (uncommitted files,
    hand-made ignored files, commits no other ref holds; the refusal lists them), unless `force`."""
    if keep_worktree is not None:  # the old name: refuse it rather than ignore it and remove
        raise InvalidInput(
            f"keep_worktree is now remove_worktree: pass remove_worktree={str(not keep_worktree).lower()}"
        )
    instance = svc.feed.get(instance_id)
    return _acted(svc, svc.orchestrator.instances.remove(instance.id, remove_worktree=remove_worktree, force=force))


@router.post("/{instance_id}/stop", response_model=InstanceOut, summary="Stop an instance")
def stop_instance(svc: Svc, instance_id: InstanceId, body: StopRequest | None = None):
    body = body or StopRequest()
    instances = svc.orchestrator.instances
    return _acted(svc, instances.stop(instance_id, remove_worktree=body.remove_worktree, force=body.force))


@router.post("/{instance_id}/send", response_model=InstanceOut, summary="Send a prompt")
def send_prompt(svc: Svc, instance_id: InstanceId, body: SendRequest):
    return _acted(svc, svc.orchestrator.instances.send(instance_id, body.text, enter=body.enter))


def _action(name: str, summary: str):
    def act(svc: Svc, instance_id: InstanceId):
        method = getattr(svc.orchestrator.instances, name)
        return _acted(svc, method(instance_id))

    act.__name__ = f"{name}_instance"
    act.__doc__ = summary
    router.add_api_route(f"/{{instance_id}}/{name}", act, methods=["POST"], response_model=InstanceOut, summary=summary)


_action("approve", "Approve the question the agent shows (a permission prompt)")
_action("reject", "Reject the question the agent shows")
_action("interrupt", "Interrupt what the agent is doing (it stays alive)")
_action("restart", "Restart a dead agent in its worktree")


@router.get("/{instance_id}/logs", response_model=LogTail, summary="The agent's recent screen output")
def instance_logs(svc: Svc, instance_id: InstanceId, lines: Annotated[int, Query(ge=1, le=5000)] = 200):
    instance = svc.feed.get(instance_id)  # the id comes from the snapshot or store, never the request
    return LogTail(instance_id=instance.id, lines=svc.orchestrator.instances.logs.tail(instance.id, lines))


@router.get("/{instance_id}/metrics", response_model=InstanceMetrics, summary="CPU and memory over time")
def instance_metrics(svc: Svc, instance_id: InstanceId):
    instance = svc.feed.get(instance_id)
    samples = [MetricSample(timestamp=t, cpu_percent=c, memory_mb=m) for t, c, m in svc.feed.history(instance.id)]
    return InstanceMetrics(instance_id=instance.id, samples=samples)
