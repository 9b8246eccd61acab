"""The merge queue's own check: the merge result, on the base's tip as it is now, in a scratch
worktree, before the base gets it. The run is recorded (purpose "merge", head = the result);
a failure leaves the task in REVIEW with its checks "failed" and a warning saying so."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cc_orchestrator.core.git import repository as git
from cc_orchestrator.core.models import ChecksState, CheckStatus, EventKind, Level
from cc_orchestrator.core.review import runs
from cc_orchestrator.core.store.tables import TaskRow
from cc_orchestrator.errors import Conflict, message_of

if TYPE_CHECKING:
    from cc_orchestrator.core.review.plan import Plan


class ChecksBroke(Conflict):
    """The merge result fails the checks that passed on the branch."""


def check_result(orch, plan: Plan, folder: Path, commit: str) -> None:
    """The checks on the merge result; ChecksBroke (after recording it) when they fail."""
    checks = plan.checks
    assert checks is not None and checks.command
    tree = git.run_git(folder, "rev-parse", f"{commit}^{{tree}}").strip()
    logs = orch.settings.logs_dir / "checks"

    def begin():
        row = runs.begin(
            task_id=plan.task_id,
            instance_id=plan.instance_id,
            purpose="merge",
            checks=checks,
            folder=folder,
            head=commit,
            tree=tree,
            log_path="",
        )
        row.log_path = str(logs / f"merge-task{plan.task_id}-{row.id}.log")
        row.save()
        return row

    row = orch.store.write(begin)
    try:
        code, output = runs.run_now(checks.command, folder, orch.settings.review_timeout, row.log_path)
    except BaseException as exc:
        why = message_of(exc)
        orch.store.write(lambda: runs.finish(orch.events, row, None, CheckStatus.INTERRUPTED, why))
        raise
    status = CheckStatus.PASSED if code == 0 else CheckStatus.FAILED
    status = CheckStatus.TIMED_OUT if code == runs.TIMED_OUT else status
    orch.store.write(lambda: runs.finish(orch.events, row, code, status, output))
    if status is CheckStatus.PASSED:
        return
    message = f"merging task {plan.task_id} onto {plan.base} breaks its checks"

    def failed() -> None:
        TaskRow.update(checks=ChecksState.FAILED.value).where(TaskRow.id == plan.task_id).execute()
        orch.events.add(
            EventKind.TASK_UPDATE,
            message,
            level=Level.WARNING,
            task_id=plan.task_id,
            worktree_id=plan.worktree_id,
            data={"checks": ChecksState.FAILED.value, "run": row.id, "base": plan.base, "base_tip": plan.base_tip},
        )

    orch.store.write(failed)
    what = "timed out" if status is CheckStatus.TIMED_OUT else f"exited with status {code}"
    raise ChecksBroke(
        f"{message} ({checks.command} {what} on {plan.base}'s tip {plan.base_tip[:8]} with it; "
        f"log {row.log_path}); it stays in REVIEW"
    )
