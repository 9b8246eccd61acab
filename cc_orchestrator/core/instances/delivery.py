"""Delivering a pending prompt, in steps a crash cannot lose.

The prompt stays in the store until it is delivered. A process delivering it first claims it
(`delivering` = its pid; compare-and-set, so one process delivers), pastes it and notes that
it did, presses Enter, then clears it and moves the task to IN_PROGRESS. A delivery whose
process died (a SIGKILL, a closed terminal) or failed after the paste is found by the next
refresh: pasted already, it only needs the Enter (one process presses it: compare-and-set
again), and is never pasted twice; claimed but not pasted, it is delivered again when the
agent is ready.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cc_orchestrator.core.models import EventKind, TaskStatus
from cc_orchestrator.core.processes import same_process, started_at
from cc_orchestrator.core.store.tables import InstanceRow

if TYPE_CHECKING:
    from cc_orchestrator.core.instances.service import InstanceService


def claim(row: InstanceRow, pid: int) -> bool:
    """Inside a write: claim the row's pending prompt for `pid`, unless a live process has it."""
    if not row.pending_prompt:
        return False
    current = _state(row)
    if current and (current.get("pasted") or _alive(current)):
        return False  # being delivered, or pasted and waiting for its Enter (finish_interrupted)
    InstanceRow.update(delivering=_claim(pid, pasted=False)).where(InstanceRow.id == row.id).execute()
    return True


def _claim(pid: int | None, pasted: bool) -> str:
    """The `delivering` value; no pid: nobody's, left for the next refresh to finish."""
    return json.dumps({"pid": pid, "since": started_at(pid) if pid else None, "pasted": pasted})


def _alive(state: dict) -> bool:
    """The delivering process still runs (the same process: a reused pid does not count)."""
    return same_process(state.get("pid"), state.get("since"))


def deliver(service: InstanceService, instance_id: str) -> bool:
    """Claim the pending prompt and deliver it; False when there was none (or another process
    is delivering it)."""
    import os

    row = service.store.write(lambda: _claimed(instance_id, os.getpid()))
    if row is None:
        return False

    done: list[bool] = []

    def pasted() -> None:
        service.store.write(lambda: _set(instance_id, _claim(os.getpid(), pasted=True)))
        done.append(True)

    try:
        service.tmux_for(row.host).send_text(row.tmux_session, row.pending_prompt, pasted=pasted)
    except BaseException:
        # not pasted: the next ready agent gets it; pasted: only its Enter is missing
        service.store.write(lambda: _set(instance_id, _claim(None, pasted=True) if done else None))
        raise
    service.store.write(lambda: _delivered(service, instance_id, row.pending_prompt))
    return True


def finish_interrupted(service: InstanceService, rows: list[InstanceRow]) -> None:
    """Deliveries whose process died (or failed after pasting): Enter for a pasted prompt, a
    fresh start otherwise. Each is taken over by compare-and-set, so one process presses Enter."""
    for row in rows:
        state = _state(row)
        if not state or _alive(state):
            continue
        if state.get("pasted"):
            _press_enter(service, row)
        else:
            service.store.write(lambda r=row: _set(r.id, None, unless_changed_from=r.delivering))


def _press_enter(service: InstanceService, row: InstanceRow) -> None:
    import os

    mine = _claim(os.getpid(), pasted=True)
    if not service.store.write(lambda: _set(row.id, mine, unless_changed_from=row.delivering)):
        return  # another process took it over first
    try:
        service.tmux_for(row.host).send_keys(row.tmux_session, "Enter")
    except BaseException:
        service.store.write(lambda: _set(row.id, _claim(None, pasted=True), unless_changed_from=mine))
        raise
    service.store.write(lambda: _delivered(service, row.id, row.pending_prompt or ""))
    service.events.log(f"finished the interrupted delivery to instance {row.id}", instance_id=row.id)


def _set(instance_id: str, delivering: str | None, unless_changed_from: str | None = None) -> bool:
    """Inside a write: set the row's `delivering`; with `unless_changed_from`, only while it
    still holds that value. Whether it was set."""
    query = InstanceRow.update(delivering=delivering).where(InstanceRow.id == instance_id)
    if unless_changed_from is not None:
        query = query.where(InstanceRow.delivering == unless_changed_from)
    return query.execute() > 0


def _claimed(instance_id: str, pid: int) -> InstanceRow | None:
    row = InstanceRow.get_by_id(instance_id)
    return row if claim(row, pid) else None


def _delivered(service: InstanceService, instance_id: str, text: str) -> None:
    row = InstanceRow.get_by_id(instance_id)
    InstanceRow.update(pending_prompt=None, delivering=None).where(InstanceRow.id == instance_id).execute()
    service.events.add(
        EventKind.LOG_MESSAGE,
        f"prompt delivered to instance {instance_id}",
        instance_id=instance_id,
        task_id=row.task_id,
        data={"text": text[:500]},
    )
    if row.task_id is not None:
        task = service.tasks.get(row.task_id)
        if task.status is TaskStatus.ASSIGNED:
            service.tasks.set_status(row.task_id, TaskStatus.IN_PROGRESS, instance_id=instance_id)


def _state(row: InstanceRow) -> dict | None:
    try:
        return json.loads(row.delivering) if row.delivering else None
    except ValueError:
        return None
