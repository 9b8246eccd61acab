"""The merge queue's time per merge: prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_merge.py [--tasks 5] [--rounds 3]

Each round makes a temp repository (main checked out, clean), `--tasks` REVIEW tasks with a
worktree, one commit and a passed gate run on its HEAD, then runs `merges.merge_ready()` once
and divides by the merges it made. Rows:

- re-checked: checks `test -f README.md`; main moves before the queue runs, so every merge is
  checked again in a scratch worktree (`git worktree add --detach`, the command, removal);
- not re-checked: the repository has no checks, so each merge is merge-tree, commit-tree and
  a fast-forward of the main checkout, plus the bookkeeping;
- single `merge ID` per strategy (merge, squash, rebase on a moved base), no checks.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cc_orchestrator.core.events import utcnow  # noqa: E402 (after the path above)
from cc_orchestrator.core.models import CheckStatus, TaskStatus  # noqa: E402
from cc_orchestrator.core.orchestrator import Orchestrator  # noqa: E402
from cc_orchestrator.core.review import runs  # noqa: E402
from cc_orchestrator.core.review.checks import Checks  # noqa: E402
from cc_orchestrator.core.store.tables import InstanceRow, TaskRow  # noqa: E402


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout.strip()


def commit(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    git(folder, "add", name)
    git(folder, "commit", "-q", "-m", f"add {name}")
    return git(folder, "rev-parse", "HEAD")


def setup(base: Path, tasks: int, checks: str) -> tuple[Orchestrator, Path, list[int]]:
    repo = base / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for key, value in (("user.email", "b@example.com"), ("user.name", "bench"), ("commit.gpgsign", "false")):
        git(repo, "config", key, value)
    commit(repo, "README.md", "bench\n")
    orch = Orchestrator(base / "data", review_checks={"*": checks}, worktree_root=base / "worktrees")
    ids = []
    for n in range(tasks):
        task = orch.tasks.add(f"Task {n}", repo=str(repo))
        worktree = orch.worktrees.create(repo, f"task-{task.id}", base="main")
        head = commit(Path(worktree.path), f"file{n}.txt", "x\n" * (n + 1))
        now = utcnow()

        def write(task=task, worktree=worktree, head=head, now=now) -> None:
            InstanceRow.create(
                id=f"b{task.id:05d}",
                task=task.id,
                worktree_id=worktree.id,
                worktree_path=worktree.path,
                tmux_session=f"cco-bench-{task.id}",
                status="STOPPED",
                created_at=now,
                last_activity=now,
            )
            TaskRow.update(status=TaskStatus.REVIEW.value, checks="passed").where(TaskRow.id == task.id).execute()
            row = runs.begin(
                task_id=task.id,
                instance_id=None,
                purpose="gate",
                checks=Checks(checks or "true", "bench"),
                folder=worktree.path,
                head=head,
                tree="",
                log_path=base / "gate.log",
            )
            runs.finish(orch.events, row, 0, CheckStatus.PASSED, "")

        orch.store.write(write)
        ids.append(task.id)
    return orch, repo, ids


def queue_round(checks: str, tasks: int) -> float:
    base = Path(tempfile.mkdtemp(prefix="cco-bench-merge-"))
    try:
        orch, repo, _ = setup(base, tasks, checks)
        commit(repo, "moved.txt", "main moved\n")  # every merge is onto a base its branch never saw
        started = time.perf_counter()
        results = orch.merges.merge_ready()
        elapsed = time.perf_counter() - started
        merged = sum(r.merged for r in results)
        print(f"# {merged} merged, {sum(r.checked_again for r in results)} checked again", file=sys.stderr)
        if merged != tasks:
            print(f"# only {merged} of {tasks} merged: {[r.reason for r in results if not r.merged]}", file=sys.stderr)
        orch.close()
        return elapsed * 1000 / max(merged, 1)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def single_round(strategy: str) -> float:
    base = Path(tempfile.mkdtemp(prefix="cco-bench-merge-"))
    try:
        orch, repo, [tid] = setup(base, 1, "")
        commit(repo, "moved.txt", "main moved\n")
        started = time.perf_counter()
        orch.merges.merge(tid, strategy)
        elapsed = time.perf_counter() - started
        orch.close()
        return elapsed * 1000
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    rows = []
    for label, checks in (("queue, re-checked (test -f README.md)", "test -f README.md"), ("queue, no checks", "")):
        samples = [queue_round(checks, options.tasks) for _ in range(options.rounds)]
        rows.append((f"{label}, {options.tasks} tasks", samples))
    for strategy in ("merge", "squash", "rebase"):
        rows.append(
            (f"merge ID --{strategy}, base moved, no checks", [single_round(strategy) for _ in range(options.rounds)])
        )
    print(f"{'what':<52} {'ms per merge (median)':>22} {'min':>8} {'max':>8}")
    for label, samples in rows:
        print(f"{label:<52} {statistics.median(samples):>22.0f} {min(samples):>8.0f} {max(samples):>8.0f}")


if __name__ == "__main__":
    main()
