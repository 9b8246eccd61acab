"""Check runs put on record through the core, as the review gate does, for the faces' tests and
screenshots: each run begun and finished in one write, and the task's checks state set."""

from __future__ import annotations

from pathlib import Path

from cc_orchestrator.core.models import ChecksState, CheckStatus
from cc_orchestrator.core.review import runs
from cc_orchestrator.core.review.checks import Checks
from cc_orchestrator.core.store.tables import TaskRow

PYTEST = Checks("pytest -q", ".cc-orchestrator.toml")


def record_runs(
    orch,
    task_id: int,
    outcomes: list[tuple[CheckStatus, int | None, str]],
    state: ChecksState,
    logs: Path,
    checks: Checks = PYTEST,
    instance_id: str | None = None,
) -> list[int]:
    """Runs of `checks` with these (status, exit status, output), oldest first; their ids. Each
    run's output is its log too, as the gate's window writes it."""
    logs.mkdir(parents=True, exist_ok=True)

    def write() -> list[int]:
        ids = []
        for status, code, output in outcomes:
            row = runs.begin(
                task_id=task_id,
                instance_id=instance_id,
                purpose="gate",
                checks=checks,
                folder=logs,
                head="0" * 40,
                tree="1" * 40,
                log_path="",
            )
            row.log_path = str(logs / f"{row.id}.log")
            row.save()
            Path(row.log_path).write_text(output)
            runs.finish(orch.events, row, code, status, output)
            ids.append(row.id)
        TaskRow.update(checks=state.value).where(TaskRow.id == task_id).execute()
        return ids

    return orch.store.write(write)
