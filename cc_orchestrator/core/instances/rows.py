"""Instance rows in and out: lookup by id or prefix, conversion to the domain dataclass."""

from __future__ import annotations

import json
import secrets

from cc_orchestrator.core.events import aware
from cc_orchestrator.core.models import LOCAL_HOST, Instance, InstanceStatus, ResourceUsage
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.errors import InvalidInput, NotFound

LIVE_STATUSES = [s.value for s in InstanceStatus if s.is_live]


def to_instance(row: InstanceRow, usage: ResourceUsage | None = None, unreachable: dict | None = None) -> Instance:
    """`unreachable`: host name -> since when it has not answered (`unreachable_hosts()`)."""
    status, waiting_for = InstanceStatus(row.status), row.waiting_for
    if row.attention and status is InstanceStatus.IDLE:  # the agent idles, but a person is needed
        status, waiting_for = InstanceStatus.WAITING_INPUT, row.attention
    since = (unreachable or {}).get(row.host) if status.is_live else None
    if since is not None:
        status = InstanceStatus.UNREACHABLE
    return Instance(
        id=row.id,
        task_id=row.task_id,
        worktree_path=row.worktree_path,
        tmux_session=row.tmux_session,
        status=status,
        pid=row.pid,
        created_at=aware(row.created_at),
        last_activity=aware(row.last_activity),
        resource_usage=usage or ResourceUsage(),
        repo=row.repo,
        branch=row.branch,
        worktree_id=row.worktree_id,
        agent_command=tuple(json.loads(row.agent_command or "[]")),
        layout=row.layout,
        exit_status=row.exit_status,
        status_message=row.status_message,
        pending_prompt=bool(row.pending_prompt),
        agent=row.agent,
        waiting_for=waiting_for,
        tokens_in=row.tokens_in,
        tokens_out=row.tokens_out,
        model=row.model,
        held_until=aware(row.held_until),
        restarts=row.restarts,
        session_id=row.session_id,
        host=row.host or LOCAL_HOST,
        unreachable_since=aware(since),
    )


def unreachable_hosts() -> dict:
    """Host name -> since when it has not answered, for every host that does not now."""
    from cc_orchestrator.core.store.tables import HostRow

    query = HostRow.select(HostRow.name, HostRow.unreachable_since).where(HostRow.unreachable_since.is_null(False))
    return {name: since for name, since in query.tuples()}


def is_local(host: str | None) -> bool:
    """Whether `host` (an instance row's) is this machine."""
    return not host or host == LOCAL_HOST


def usage_key(host: str | None, pid: int | None):
    """Where a process's figures are kept: by pid here, by (host, pid) for another machine."""
    return pid if not host or host == LOCAL_HOST else (host, pid)


def find_row(ref: str) -> InstanceRow:
    """An instance by id or unique id prefix."""
    ref = str(ref).strip()
    if not ref:
        raise InvalidInput("an instance id is required")
    if len(ref) > 64 or not ref.isascii() or not ref.replace("-", "").isalnum():
        raise NotFound(f"no instance {ref[:40]!r}")  # ids are six hex digits: this names none
    row = InstanceRow.get_or_none(InstanceRow.id == ref)
    if row is not None:
        return row
    matches = list(InstanceRow.select().where(InstanceRow.id.startswith(ref)).limit(6))
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(m.id for m in matches[:5])
        raise InvalidInput(f"instance id {ref!r} is ambiguous: {ids}")
    raise NotFound(f"no instance {ref!r}")


def new_instance_id() -> str:
    """Six hex digits: short to type, and unlikely to meet another database's ids on one tmux."""
    while True:
        candidate = secrets.token_hex(3)
        if not candidate.isdigit() and InstanceRow.get_or_none(InstanceRow.id == candidate) is None:
            return candidate


def slots_taken(host: str | None = LOCAL_HOST) -> int:
    """Instances holding one of a host's slots (`max_instances` here, the host's own there;
    `host` None: every host's): the live ones, except those whose task is DONE (finished work
    may idle until someone stops it; it never keeps new work out)."""
    from cc_orchestrator.core.store.tables import TaskRow

    done = TaskRow.select(TaskRow.id).where(TaskRow.status == "DONE")
    holding = InstanceRow.task.is_null() | InstanceRow.task.not_in(done)
    query = InstanceRow.select().where(InstanceRow.status.in_(LIVE_STATUSES), holding)
    if host is not None:
        query = query.where(InstanceRow.host == host)
    return query.count()
