"""Adopting an orphaned session: give a live agent nobody tracks an instance row again."""

from __future__ import annotations

import json

from cc_orchestrator.core.events import utcnow
from cc_orchestrator.core.instances.rows import to_instance
from cc_orchestrator.core.models import EventKind, Instance, InstanceStatus, TmuxSession, WorktreeStatus
from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow


def adopt_session(orchestrator, session: TmuxSession) -> Instance:
    """Re-use the stopped row of that id if there is one, else make a new row from tmux's view."""
    pane = orchestrator.tmux.panes().get(session.name)
    lines = orchestrator.tmux.run(
        "display-message",
        "-p",
        "-t",
        pane.pane_id if pane else f"={session.name}",
        "#{pane_current_path}",
        check=False,
    )
    cwd = lines[0] if lines else ""
    status = InstanceStatus.RUNNING if pane is not None and not pane.dead else InstanceStatus.ERROR
    instance_id = session.instance_id

    def write() -> InstanceRow:
        worktree = WorktreeRow.get_or_none(WorktreeRow.path == cwd) if cwd else None
        values = dict(
            status=status.value,
            status_message="adopted from an orphaned tmux session",
            pid=pane.pid if pane is not None and not pane.dead else None,
            worktree_path=cwd,
            worktree_id=worktree.id if worktree else None,
            repo=worktree.repo if worktree else None,
            branch=worktree.branch if worktree else None,
            starter_pid=None,
            last_activity=utcnow(),
        )
        row = InstanceRow.get_or_none(InstanceRow.id == instance_id)
        if row is None:
            row = InstanceRow.create(
                id=instance_id,
                tmux_session=session.name,
                created_at=utcnow(),
                agent_command=json.dumps([]),
                **values,
            )
        else:
            InstanceRow.update(values).where(InstanceRow.id == instance_id).execute()
            row = InstanceRow.get_by_id(instance_id)
        if worktree is not None:
            owned = {"instance_id": instance_id, "status": WorktreeStatus.ACTIVE.value}
            WorktreeRow.update(owned).where(WorktreeRow.id == worktree.id).execute()
        orchestrator.events.add(
            EventKind.INSTANCE_STATUS,
            f"instance {instance_id} {status.value}: adopted orphaned session {session.name}",
            instance_id=instance_id,
            data={"status": status.value, "adopted": True},
        )
        return row

    return to_instance(orchestrator.store.write(write))
