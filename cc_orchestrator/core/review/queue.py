"""The merge queue: every REVIEW task whose checks passed, merged one at a time.

Dependencies go first, then the smallest change. Each merge is checked again against the
base's tip as it is by then (see `merge.py`), so the base never receives a merge that breaks
its checks. One merge at a time across processes: an exclusive lock on a file in the data
dir, which the kernel drops when its process dies, so the TUI, `serve` and the CLI never merge
at once and a crash leaves no stale lease.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cc_orchestrator.core.git import merging
from cc_orchestrator.core.models import ChecksState, CheckStatus, Level, Task, TaskStatus
from cc_orchestrator.core.review.merge import Merger, MergeResult, NotChecked, Plan
from cc_orchestrator.core.store.tables import CheckRunRow
from cc_orchestrator.errors import Conflict, OrchestratorError, message_of

LOCK_FILE = "merge.lock"
_NOT_QUEUED = (ChecksState.FAILED.value, ChecksState.GAVE_UP.value, ChecksState.RUNNING.value)


class MergeService:
    """`merge` one REVIEW task, or `merge_ready`: the queue. Faces reach it as `orch.merges`."""

    def __init__(self, orchestrator) -> None:
        self.orch = orchestrator
        self.merger = Merger(orchestrator)
        # (task, branch tip, base tip) -> why it was refused: the queue says it once, not each round
        self._refused: dict[tuple, str] = {}

    @property
    def lock_path(self) -> Path:
        return self.orch.data_dir / LOCK_FILE

    def merge(self, task_id: int | str, strategy: str | None = None) -> MergeResult:
        """Merge a REVIEW task's branch into its base (`strategy`: merge, squash or rebase;
        default the `review_merge` setting). Refusals raise Conflict with one line, and
        change nothing (a failed check of the result on a moved base is recorded)."""
        with merge_lock(self.lock_path):
            self._after_a_crash()
            plan = self.merger.plan(task_id)
            return self.merger.merge(plan, strategy or self.orch.settings.review_merge)

    def merge_ready(self, strategy: str | None = None, refuse_if_busy: bool = False) -> list[MergeResult]:
        """The queue, once: each REVIEW task whose checks passed on its branch's HEAD (or whose
        repository has none), dependencies first, then the smallest change. While another
        process merges: [] (it takes them), or with `refuse_if_busy` (the CLI) a Conflict."""
        try:
            with merge_lock(self.lock_path):
                self._after_a_crash()
                return self._run_queue(strategy or self.orch.settings.review_merge)
        except Busy:
            if refuse_if_busy:
                raise
            return []

    # -- the queue -----------------------------------------------------------------------

    def candidates(self) -> list[tuple[Task, Plan | str]]:
        """The tasks the queue takes now, in its order, each with its plan or why it cannot merge."""
        found: dict[int, tuple[Task, Plan | str, int]] = {}
        for task in self.orch.tasks.list(status=TaskStatus.REVIEW):
            if task.checks.value in _NOT_QUEUED:
                continue
            try:
                plan = self.merger.plan(task.id)
            except NotChecked:  # not a candidate (yet)
                continue
            except Conflict as exc:  # a candidate that cannot merge: said in the results
                found[task.id] = (task, exc.message, 0)
                continue
            found[task.id] = (task, plan, merging.changed_lines(plan.repo, plan.base_tip, plan.tip))
        ordered = order(
            {tid: (lines, tid) for tid, (_, _, lines) in found.items()},
            {tid: [d for d in task.dependencies if d in found] for tid, (task, _, _) in found.items()},
        )
        return [(found[tid][0], found[tid][1]) for tid in ordered]

    def _run_queue(self, strategy: str) -> list[MergeResult]:
        results: list[MergeResult] = []
        not_merged: set[int] = set()
        for task, plan in self.candidates():
            waiting = [d for d in task.dependencies if d in not_merged]
            if isinstance(plan, str):
                result = self._refused_now(task.id, plan, strategy)
            elif waiting:
                result = self._refused_now(task.id, f"its dependency task {waiting[0]} was not merged", strategy)
            else:
                result = self._one(task.id, strategy)
            if not result.merged:
                not_merged.add(task.id)
            results.append(result)
        return results

    def _one(self, task_id: int, strategy: str) -> MergeResult:
        key: tuple = (task_id,)
        try:
            plan = self.merger.plan(task_id)  # again: the base's tip is the one the last merge left
            key = (task_id, plan.tip, plan.base_tip)
            if key in self._refused:  # nothing moved since: the same answer, without the work
                return MergeResult(task_id, False, self._refused[key], strategy, plan.base, plan.branch)
            return self.merger.merge(plan, strategy)
        except OrchestratorError as exc:
            return self._refused_now(task_id, message_of(exc), strategy, key)

    def _refused_now(self, task_id: int, reason: str, strategy: str, key: tuple = ()) -> MergeResult:
        """A refusal, said once in the events for as long as nothing moves."""
        key = key if len(key) > 1 else (task_id, reason)
        if self._refused.get(key) != reason:
            self._refused[key] = reason
            message = f"merge queue: task {task_id} not merged: {reason}"
            self.orch.events.log(message, level=Level.WARNING, task_id=task_id)
        return MergeResult(task_id, False, reason, strategy)

    def _after_a_crash(self) -> None:
        """Holding the lock: a merge check still RUNNING, or a scratch worktree, is a crash's."""

        def interrupted() -> int:
            return (
                CheckRunRow.update(status=CheckStatus.INTERRUPTED.value)
                .where(CheckRunRow.purpose == "merge", CheckRunRow.status == CheckStatus.RUNNING.value)
                .execute()
            )

        self.orch.store.write(interrupted)
        scratch = self.orch.data_dir / "merging"
        if scratch.is_dir() and any(scratch.iterdir()):
            shutil.rmtree(scratch, ignore_errors=True)  # `git worktree prune` forgets them on the next merge


class Busy(Conflict):
    """Another process (or thread) holds the merge lock."""


def order(sizes: dict[int, tuple], dependencies: dict[int, list[int]]) -> list[int]:
    """Task ids with every task after its dependencies (among these ids), otherwise the
    smallest `sizes` key first. A cycle (the task graph refuses them) would be broken by size."""
    left = dict(sizes)
    done: list[int] = []
    while left:
        free = [tid for tid in left if not any(d in left for d in dependencies.get(tid, ()))] or list(left)
        chosen = min(free, key=left.__getitem__)
        done.append(chosen)
        del left[chosen]
    return done


@contextmanager
def merge_lock(path: Path) -> Iterator[None]:
    """Hold the merge lock, or Conflict naming the process that does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise Busy(f"another merge is under way (process {holder}); try again when it ends") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # drops the lock
