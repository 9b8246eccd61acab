"""What overlap detection costs with 20 worktrees of one repository: prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_overlaps.py [--worktrees 20] [--runs 10]

Real parts, private: a temp git repository (40 files on `main`), a temp data dir, and N
worktrees made by WorktreeService, each with a live instance's row (IDLE: no agent is needed,
the overlap check reads the rows), 3 commits of its own files, 2 uncommitted files, and, for
every fourth, an edit of a shared file that conflicts with its neighbour's (so pairs overlap
and some conflict). Each figure is the git processes `Overlaps.update` started (counted around
`reports.git`, which it runs every git process through) and its wall time:

  1. the first full computation (nothing stored yet);
  2. an update when nothing moved (expect 0 calls), in this process and in a fresh one
     (another face: it reads the stored rows, asks git nothing);
  3. per single worktree change, the issue's figure: a new commit in one worktree (alone, and
     in a pair whose commits share a file: one merge-tree more); uncommitted
     edits seen when its agent's turn ends (a status change); the base branch moving (every
     worktree's merge base and conflicts are asked again).
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def progress(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


def commit(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(folder, "add", name)
    git(folder, "commit", "-q", "-m", f"change {name}")


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for key, value in (("user.email", "bench@example.com"), ("user.name", "Bench"), ("commit.gpgsign", "false")):
        git(repo, "config", key, value)
    for n in range(40):
        (repo / "src").mkdir(exist_ok=True)
        (repo / "src" / f"module_{n}.py").write_text("".join(f"line {i}\n" for i in range(30)))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worktrees", type=int, default=20)
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()

    from cc_orchestrator.core.events import EventLog, utcnow
    from cc_orchestrator.core.git import reports
    from cc_orchestrator.core.git.worktrees import WorktreeService
    from cc_orchestrator.core.review.overlaps import Overlaps
    from cc_orchestrator.core.store.database import Store
    from cc_orchestrator.core.store.tables import InstanceRow

    calls = [0]
    real = reports.git

    def counted(cwd, *args):
        calls[0] += 1
        return real(cwd, *args)

    reports.git = counted
    root = Path(tempfile.mkdtemp(prefix="cco-bench-overlaps-"))
    try:
        repo = make_repo(root)
        store = Store(root / "data" / "cc-orchestrator.db")
        events = EventLog(store)
        service = WorktreeService(store, events, root / "worktrees")
        progress(f"making {options.worktrees} worktrees")
        folders = []
        for n in range(options.worktrees):
            worktree = service.create(repo, f"feat-{n}", "main", instance_id=f"inst{n:02d}")
            store.write(
                lambda w=worktree, n=n: InstanceRow.insert(
                    id=f"inst{n:02d}",
                    worktree_id=w.id,
                    worktree_path=w.path,
                    tmux_session=f"cco-bench-{n}",
                    status="IDLE",
                    repo=str(repo),
                    branch=w.branch,
                    created_at=utcnow(),
                    last_activity=utcnow(),
                ).execute()
            )
            folder = Path(worktree.path)
            folders.append(folder)
            for c in range(3):
                commit(folder, f"src/own_{n}_{c}.py", f"worktree {n} commit {c}\n")
            if n % 4 in (0, 1):  # pairs (0,1), (4,5), ...: the same line of a shared module
                commit(folder, f"src/module_{n // 4}.py", f"edited by worktree {n}\n")
            (folder / f"notes_{n}.md").write_text("uncommitted\n")
            (folder / "src" / f"module_{20 + n % 5}.py").write_text(f"dirty in {n}\n")  # shared, uncommitted

        overlaps = Overlaps(store, events)
        rows = []

        def measure(name: str, action=None, service_=None, runs: int = 1) -> None:
            spent, times = [], []
            for _ in range(runs):
                if action is not None:
                    action()
                calls[0] = 0
                t0 = time.perf_counter()
                (service_ or overlaps).update()
                times.append((time.perf_counter() - t0) * 1000)
                spent.append(calls[0])
            rows.append((name, statistics.median(spent), max(spent), statistics.median(times), max(times)))

        progress("first full computation")
        measure("first full computation")
        found = overlaps.current()
        conflicts = sum(1 for o in found if o.conflicts)
        progress(f"{len(found)} overlaps, {conflicts} conflicts")
        measure("nothing moved", runs=options.runs)
        measure("nothing moved, another process", service_=Overlaps(store, events))

        counter = iter(range(10_000))

        def new_commit() -> None:
            n = next(counter)
            commit(folders[3], f"src/more_{n}.py", f"more {n}\n")

        measure("one worktree: a new commit", new_commit, runs=options.runs)

        def paired_commit() -> None:
            n = next(counter)
            commit(folders[0], "src/module_0.py", f"edited again by worktree 0: {n}\n")  # still conflicts with 1

        measure("one worktree of a pair: a new commit", paired_commit, runs=options.runs)

        def turn_ends() -> None:
            n = next(counter)
            (folders[6] / f"scratch_{n}.md").write_text("edit\n")
            status = "RUNNING" if n % 2 else "IDLE"
            store.write(lambda: InstanceRow.update(status=status).where(InstanceRow.id == "inst06").execute())

        measure("one worktree: edits, its turn ends", turn_ends, runs=options.runs)

        def base_moves() -> None:
            n = next(counter)
            commit(repo, f"docs/main_{n}.md", f"main moves {n}\n")

        measure(f"the base moves ({options.worktrees} worktrees)", base_moves, runs=max(2, options.runs // 3))

        print(
            f"\noverlap detection, {options.worktrees} worktrees of one repository ({len(found)} overlaps, "
            f"{conflicts} conflicts)"
        )
        print(f"{'':42} {'git calls':>14}  {'time':>22}")
        print(f"{'':42} {'median':>6} {'max':>7}  {'median':>10} {'max':>11}")
        for name, calls_median, calls_max, t_median, t_max in rows:
            print(f"{name:42} {calls_median:6.0f} {calls_max:7}  {t_median:7.1f} ms {t_max:8.1f} ms")
        store.close()
    finally:
        reports.git = real
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
