"""After a reboot or a killed tmux server: start the lost agents again, one at a time.

Reconciliation marks an instance whose session vanished STOPPED with "session lost". Recovery
restarts each in its worktree with the session id its agent recorded, so the conversation
goes on (Claude Code `--resume ID`, Codex `resume ID`). It waits for each agent's first
screen before starting the next: agents sharing one login can invalidate it when they start
at the same moment (agent-deck's `fleet recover` does the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cc_orchestrator.core.instances import readiness
from cc_orchestrator.core.instances.observe import SESSION_LOST
from cc_orchestrator.core.models import Instance, InstanceStatus
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from cc_orchestrator.core.instances.service import InstanceService

SETTLE_SECONDS = 20.0  # at most, for one agent's first screen before the next starts


@dataclass(frozen=True)
class Recovery:
    instance: Instance
    resumed: bool  # with the agent's own session id (else its continue arguments)
    error: str = ""  # why it could not be started
    seen: str = ""  # what its first screen showed


def candidates(service: InstanceService, everything: bool = False) -> list[InstanceRow]:
    """Instances whose session was lost (with `everything`: every stopped or failed one),
    oldest first, that still have their worktree."""

    def query() -> list[InstanceRow]:
        stopped = InstanceRow.status.in_([InstanceStatus.STOPPED.value, InstanceStatus.ERROR.value])
        rows = InstanceRow.select().where(stopped).order_by(InstanceRow.created_at, InstanceRow.id)
        return [r for r in rows if everything or (r.status_message or "").startswith(SESSION_LOST)]

    service.refresh()  # an agent lost a moment ago is marked now
    return [r for r in service.store.read(query) if r.worktree_path and Path(r.worktree_path).is_dir()]


def recover(
    service: InstanceService, everything: bool = False, on_each=None, settle: float = SETTLE_SECONDS
) -> list[Recovery]:
    """Restart the candidates one after another; `on_each(recovery)` hears each result."""
    done: list[Recovery] = []
    for row in candidates(service, everything):
        resumed = bool(row.session_id and service.profile_for(row).resume_args)
        try:
            instance = service.restart(row.id)
        except OrchestratorError as exc:
            result = Recovery(service.get(row.id, refresh=False), resumed, error=exc.message)
        else:
            fresh = service.store.read(lambda i=row.id: InstanceRow.get_by_id(i))
            state = readiness.wait_until_ready(service, fresh, settle)
            result = Recovery(service.get(instance.id, refresh=False), resumed, seen=state.why)
        done.append(result)
        if on_each is not None:
            on_each(result)
    return done
