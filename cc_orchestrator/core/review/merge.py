"""Finished work goes home: a REVIEW task's branch merged into its base (journey 4).

Every refusal comes before anything changes: checks not passed on the branch's HEAD, the
task's worktree or a checkout of the base holding uncommitted changes, a conflict (its files
named). The result is built from git objects (see `git/merging.py`); when the base moved
since the branch was checked, it is checked again in a scratch worktree before the base gets
it. Then the base moves (a fast-forward of its checkout, or a compare-and-swap of its ref),
the task becomes DONE, and the worktree is marked merged: removing it loses nothing.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from cc_orchestrator.core.events import utcnow
from cc_orchestrator.core.git import merging
from cc_orchestrator.core.git import repository as git
from cc_orchestrator.core.git.merging import named as listed_files
from cc_orchestrator.core.models import EventKind, Level, TaskStatus
from cc_orchestrator.core.review import runs
from cc_orchestrator.core.review.checks import resolve
from cc_orchestrator.core.review.plan import Plan
from cc_orchestrator.core.review.recheck import check_result
from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow
from cc_orchestrator.errors import Conflict, InvalidInput, OrchestratorError, message_of

STRATEGIES = ("merge", "squash", "rebase")


@dataclass(frozen=True)
class MergeResult:
    """What one merge did, or why it did not happen."""

    task_id: int
    merged: bool
    reason: str = ""  # why not: one line
    strategy: str = "merge"
    base: str = ""
    branch: str = ""
    commit: str = ""  # the base's new tip
    checked_again: bool = False  # the merge result was checked on the moved base
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. what the cleanup could not do

    def line(self) -> str:
        if not self.merged:
            return f"task {self.task_id}: not merged: {self.reason}"
        again = ", checked again on the new base" if self.checked_again else ""
        text = f"task {self.task_id}: merged {self.branch} into {self.base} as {self.commit[:8]} ({self.strategy}"
        return text + f"{again}, {self.seconds:.1f} s)" + "".join(f"; {note}" for note in self.notes)


class NotChecked(Conflict):
    """The checks have not passed on the branch's HEAD: not a candidate for the queue yet."""


class Merger:
    """Merges one task at a time; the merge queue (`queue.py`) and `MergeService` call it."""

    def __init__(self, orchestrator) -> None:
        self.orch = orchestrator

    # -- finding and refusing ------------------------------------------------------------

    def plan(self, task_id: int | str, must_be_review: bool = True) -> Plan:
        """The task's branch and base, refused (Conflict, one line) unless it can merge now."""
        task = self.orch.tasks.get(task_id)
        if must_be_review and task.status is not TaskStatus.REVIEW:
            raise Conflict(f"task {task.id} is {task.status}, not REVIEW: only work in review is merged")
        row, instance_id = self.orch.store.read(lambda: task_worktree(task.id))
        if row is None:
            raise Conflict(f"task {task.id} has no worktree with a branch to merge")
        where = (row.id, Path(row.path), Path(row.repo), row.branch, row.base_branch)
        plan = Plan(task.id, task.title, *where, instance_id)
        if not plan.repo.is_dir():
            raise Conflict(f"task {task.id}'s repository {plan.repo} is gone")
        plan.tip = git.resolve_commit(plan.repo, f"refs/heads/{plan.branch}") or ""
        if not plan.tip:
            raise Conflict(f"task {task.id}'s branch {plan.branch} no longer exists")
        plan.base_tip = git.resolve_commit(plan.repo, f"refs/heads/{plan.base}") or ""
        if not plan.base_tip:
            raise Conflict(f"task {task.id}'s base {plan.base!r} is not a branch of {plan.repo}; nothing to merge into")
        if plan.path.is_dir() and (left := merging.tracked_changes(plan.path)):
            raise Conflict(
                f"task {task.id}'s worktree {plan.path} has uncommitted changes ({listed_files(left)}); "
                "merging would leave them behind: commit them (the checks then run again) or discard them"
            )
        plan.checks = resolve(plan.repo, self.orch.settings.review_checks)
        if plan.checks.command and not self.orch.store.read(lambda: runs.passed_on(task.id, plan.tip)):
            raise NotChecked(
                f"task {task.id}'s checks have not passed on {plan.tip[:8]}, the HEAD of {plan.branch} "
                f"({plan.checks.command}); merge it once they have"
            )
        self.refuse_dirty_base(plan)
        if merging.is_ancestor(plan.repo, plan.tip, plan.base_tip):
            raise Conflict(f"nothing to merge: {plan.branch} has no commits that {plan.base} lacks")
        return plan

    def refuse_dirty_base(self, plan: Plan) -> None:
        for checkout in merging.checkouts(plan.repo, plan.base):
            if left := merging.tracked_changes(checkout):
                raise Conflict(
                    f"{plan.base} is checked out at {checkout} with uncommitted changes ({listed_files(left)}); "
                    "commit or stash them, then merge again"
                )

    # -- merging -------------------------------------------------------------------------

    def merge(self, plan: Plan, strategy: str) -> MergeResult:
        """Build the result, check it again if the base moved, move the base, record it all."""
        if strategy not in STRATEGIES:
            raise InvalidInput(f"invalid merge strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")
        started = time.monotonic()
        tree, conflicts = merging.merge_tree(plan.repo, plan.base_tip, plan.tip)
        if conflicts:
            raise Conflict(
                f"task {plan.task_id} does not merge into {plan.base}: conflicts in {listed_files(conflicts)}; "
                f"merge {plan.base} into {plan.branch} and resolve them first"
            )
        recheck = bool(plan.checks and plan.checks.command) and plan.moved
        if strategy == "rebase":
            result = self._rebased(plan, recheck) if plan.moved else plan.tip  # not moved: a fast-forward
        else:
            result = self._built(plan, tree, strategy)
            if recheck:
                self._check_in_scratch(plan, result)
        self.refuse_dirty_base(plan)  # again: the checks may have taken minutes
        self._move_base(plan, result, strategy)
        seconds = time.monotonic() - started
        merged = MergeResult(plan.task_id, True, "", strategy, plan.base, plan.branch, result, recheck, seconds)
        self.orch.store.write(lambda: self._record(plan, merged))
        notes = self._clean_up(plan) if self.orch.settings.cleanup_merged else ()
        return MergeResult(**{**merged.__dict__, "notes": tuple(notes)})

    def _built(self, plan: Plan, tree: str, strategy: str) -> str:
        if strategy == "squash":
            listed = "\n".join(f"* {s}" for s in merging.subjects(plan.repo, plan.base_tip, plan.tip))
            message = f"{plan.title} (task #{plan.task_id})\n\nSquashed from {plan.branch}:\n{listed}"
            return merging.commit_tree(plan.repo, tree, [plan.base_tip], message)
        message = f"Merge task #{plan.task_id}: {plan.title}\n\nMerges {plan.branch} into {plan.base}."
        return merging.commit_tree(plan.repo, tree, [plan.base_tip, plan.tip], message)

    def _rebased(self, plan: Plan, recheck: bool) -> str:
        with merging.scratch_worktree(plan.repo, self._scratch(plan), plan.tip) as folder:
            result, conflicts = merging.rebase(folder, plan.base_tip)
            if result is None:
                raise Conflict(
                    f"task {plan.task_id}'s commits do not rebase onto {plan.base}: conflicts in "
                    f"{listed_files(conflicts)}; merge or rebase {plan.base} into {plan.branch} first"
                )
            if result == plan.base_tip:
                raise Conflict(f"nothing to merge: every commit of {plan.branch} is in {plan.base} already")
            if recheck:
                check_result(self.orch, plan, folder, result)
        return result

    def _check_in_scratch(self, plan: Plan, commit: str) -> None:
        with merging.scratch_worktree(plan.repo, self._scratch(plan), commit) as folder:
            check_result(self.orch, plan, folder, commit)

    def _scratch(self, plan: Plan) -> Path:
        return self.orch.data_dir / "merging" / f"task-{plan.task_id}-{secrets.token_hex(3)}"

    def _move_base(self, plan: Plan, result: str, strategy: str) -> None:
        found = merging.checkouts(plan.repo, plan.base)
        if found:  # its files follow, or git refuses and nothing changed
            merging.fast_forward(found[0], plan.base, result, plan.base_tip)
        else:
            why = f"cc-orchestrator: {strategy} task #{plan.task_id} ({plan.branch})"
            merging.swap_ref(plan.repo, plan.base, result, plan.base_tip, why)

    # -- afterwards ----------------------------------------------------------------------

    def _record(self, plan: Plan, result: MergeResult) -> None:
        """Inside a write: the task DONE, the worktree merged, one event naming the merge."""
        task = self.orch.tasks.get(plan.task_id)
        if task.status is not TaskStatus.DONE:
            self.orch.tasks.set_status(plan.task_id, TaskStatus.DONE)
        WorktreeRow.update(merged_at=utcnow(), merged_as=result.commit, merged_tip=plan.tip).where(
            WorktreeRow.id == plan.worktree_id
        ).execute()
        self.orch.events.add(
            EventKind.TASK_UPDATE,
            f"task {plan.task_id} merged into {plan.base} as {result.commit[:8]}"
            f" ({result.strategy}{', checked again on the new base' if result.checked_again else ''},"
            f" {result.seconds:.1f} s)",
            task_id=plan.task_id,
            worktree_id=plan.worktree_id,
            instance_id=plan.instance_id,
            data={
                "merged": result.commit,
                "base": plan.base,
                "branch": plan.branch,
                "strategy": result.strategy,
                "tip": plan.tip,
                "checked_again": result.checked_again,
                "seconds": round(result.seconds, 4),
            },
        )

    def _clean_up(self, plan: Plan) -> list[str]:
        """cleanup_merged: the instance stopped and the worktree removed; what failed, in words."""
        try:
            instance = InstanceRow.select().where(InstanceRow.id == (plan.instance_id or ""))
            if self.orch.store.read(instance.exists):
                self.orch.instances.remove(plan.instance_id, remove_worktree=True)
            else:
                self.orch.worktrees.remove(plan.worktree_id)
        except OrchestratorError as exc:
            note = f"worktree {plan.worktree_id} was kept: {message_of(exc)}"
            self.orch.events.log(f"task {plan.task_id}: {note}", level=Level.WARNING, task_id=plan.task_id)
            return [note]
        return []


def task_worktree(task_id: int) -> tuple[WorktreeRow, str] | tuple[None, None]:
    """Inside a transaction: the worktree of the newest instance that worked on the task, and
    that instance."""
    query = (
        InstanceRow.select(InstanceRow.id, InstanceRow.worktree_id, InstanceRow.worktree_path)
        .where(InstanceRow.task == task_id)
        .order_by(InstanceRow.created_at.desc(), InstanceRow.id.desc())
    )
    for instance in query:
        row = WorktreeRow.get_or_none(
            (WorktreeRow.id == (instance.worktree_id or "")) | (WorktreeRow.path == instance.worktree_path)
        )
        if row is not None:
            return row, instance.id
    return None, None
