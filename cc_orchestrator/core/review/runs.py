"""Check runs on record: started, finished, and what they say about a task.

Every run is a row before it starts, so a run cut short by a crash is found (its watcher's
pid is dead) and run again; nothing is inferred from memory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from cc_orchestrator.core.events import EventLog, aware, utcnow
from cc_orchestrator.core.models import CheckRun, CheckStatus, EventKind, Level
from cc_orchestrator.core.review.checks import Checks, tail
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import CheckRunRow

TIMED_OUT = 124  # timeout(1)'s status, which the gate's window uses too
FAILED = (CheckStatus.FAILED.value, CheckStatus.TIMED_OUT.value)


def to_run(row: CheckRunRow) -> CheckRun:
    return CheckRun(
        id=row.id,
        task_id=row.task_id,
        instance_id=row.instance_id,
        purpose=row.purpose,
        command=row.command,
        source=row.source,
        folder=row.folder,
        head=row.head,
        status=CheckStatus(row.status),
        exit_code=row.exit_code,
        log_path=row.log_path,
        tail=row.tail,
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
    )


def begin(
    *,
    task_id: int,
    instance_id: str | None,
    purpose: str,
    checks: Checks,
    folder: Path | str,
    head: str,
    tree: str,
    log_path: Path | str,
    window: str = "",
) -> CheckRunRow:
    """Inside the caller's write transaction: the run's row, RUNNING, watched by this process."""
    return CheckRunRow.create(
        task=task_id,
        instance_id=instance_id,
        purpose=purpose,
        command=checks.command or "",
        source=checks.source,
        folder=str(folder),
        head=head,
        tree=tree,
        window=window,
        runner_pid=os.getpid(),
        status=CheckStatus.RUNNING.value,
        log_path=str(log_path),
        started_at=utcnow(),
    )


def finish(events: EventLog, row: CheckRunRow, exit_code: int | None, status: CheckStatus, output: str) -> bool:
    """Inside the caller's write transaction; False when another process finished it first."""
    updated = (
        CheckRunRow.update(status=status.value, exit_code=exit_code, tail=tail(output), finished_at=utcnow())
        .where(CheckRunRow.id == row.id, CheckRunRow.status == CheckStatus.RUNNING.value)
        .execute()
    )
    if not updated:
        return False
    row.status, row.exit_code, row.tail, row.finished_at = status.value, exit_code, tail(output), utcnow()
    seconds = (row.finished_at - row.started_at).total_seconds()
    word = {CheckStatus.PASSED: "passed", CheckStatus.TIMED_OUT: "timed out"}.get(status, "failed")
    if status is CheckStatus.INTERRUPTED:
        word = "were interrupted"
    events.add(
        EventKind.TASK_UPDATE,
        f"task {row.task_id}: checks {word} ({row.command}, exit {exit_code}, {seconds:.1f} s)",
        level=Level.INFO if status is CheckStatus.PASSED else Level.WARNING,
        task_id=row.task_id,
        instance_id=row.instance_id,
        data={"checks": status.value, "run": row.id, "exit": exit_code, "purpose": row.purpose, "head": row.head},
    )
    return True


def of_task(store: Store, task_id: int) -> list[CheckRun]:
    """A task's runs, oldest first."""
    query = CheckRunRow.select().where(CheckRunRow.task == task_id).order_by(CheckRunRow.id)
    return store.read(lambda: [to_run(r) for r in query])


def running(instance_id: str | None = None) -> list[CheckRunRow]:
    """Inside a transaction: the runs under way (of one instance)."""
    query = CheckRunRow.select().where(CheckRunRow.status == CheckStatus.RUNNING.value)
    if instance_id is not None:
        query = query.where(CheckRunRow.instance_id == instance_id)
    return list(query.order_by(CheckRunRow.id))


def passed_on(task_id: int, head: str, tree: str | None = None) -> bool:
    """Inside a transaction: a run passed on exactly this commit (and this tree, if given)."""
    query = CheckRunRow.select(CheckRunRow.id).where(
        CheckRunRow.task == task_id, CheckRunRow.head == head, CheckRunRow.status == CheckStatus.PASSED.value
    )
    if tree is not None:
        query = query.where(CheckRunRow.tree == tree)
    return query.exists()


def failures_in_a_row(task_id: int) -> int:
    """Inside a transaction: the gate's failed runs since its last pass (interruptions aside)."""
    count = 0
    query = (
        CheckRunRow.select(CheckRunRow.status)
        .where(CheckRunRow.task == task_id, CheckRunRow.purpose == "gate")
        .order_by(CheckRunRow.id.desc())
    )
    for row in query:
        if row.status in FAILED:
            count += 1
        elif row.status == CheckStatus.PASSED.value:
            break
    return count


def run_now(command: str, folder: Path | str, timeout: float, log_path: Path | str) -> tuple[int, str]:
    """Run `command` with sh in `folder`, in a process group of its own that is killed whole
    when `timeout` passes; its output goes to `log_path` too. (exit status, output)"""
    log = Path(log_path)
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["sh", "-c", command],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            status = TIMED_OUT
            out.write(f"\n[cc-orchestrator] checks timed out after {time.monotonic() - started:.0f} s\n".encode())
    return status, log.read_text(errors="replace")


def _kill_group(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
