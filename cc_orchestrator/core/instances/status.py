"""The one way an instance's status changes: compare-and-set, one event, worktree in step.

Hooks, the screen and the process table all report through here, from any process, so a
change is recorded once however many observers saw it.
"""

from __future__ import annotations

from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.models import EventKind, InstanceStatus, Level
from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow


def set_status(
    events: EventLog,
    row: InstanceRow,
    status: InstanceStatus,
    message: str = "",
    *,
    pid: int | None = None,
    exit_status: int | None = None,
    waiting_for: str = "",
    source: str = "process",
) -> bool:
    """Inside the caller's transaction. False when another process changed it first."""
    values = {
        InstanceRow.status: status.value,
        InstanceRow.status_message: message,
        InstanceRow.waiting_for: waiting_for if status is InstanceStatus.WAITING_INPUT else "",
        InstanceRow.last_activity: utcnow(),
    }
    if status is not InstanceStatus.IDLE:
        values[InstanceRow.attention] = None  # working again (or gone): the gate's question is answered
    if status.is_live:
        if pid is not None:
            values[InstanceRow.pid] = pid
    else:
        values[InstanceRow.pid] = None
        values[InstanceRow.exit_status] = exit_status
        values[InstanceRow.pending_prompt] = None
        values[InstanceRow.delivering] = None
    updated = InstanceRow.update(values).where(InstanceRow.id == row.id, InstanceRow.status == row.status).execute()
    if not updated:
        return False
    if row.worktree_id:
        WorktreeRow.update(status="ACTIVE" if status.is_live else "IDLE").where(
            WorktreeRow.id == row.worktree_id
        ).execute()
    level = Level.ERROR if status is InstanceStatus.ERROR else Level.INFO
    detail = waiting_for or message
    events.add(
        EventKind.INSTANCE_STATUS,
        f"instance {row.id} {status.value}" + (f": {detail}" if detail else ""),
        level=level,
        instance_id=row.id,
        task_id=row.task_id,
        data={"status": status.value, "previous": row.status, "pid": pid, "source": source},
    )
    row.status = status.value  # the caller's row now matches the database
    return True
