"""How long "what would removing this worktree lose?" takes beside a big node_modules: prints
figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_removal.py [--files 100000] [--runs 15]

`WorktreeService.losses` runs one `git status --ignored=matching` (an ignored folder is listed,
not entered) and one `git log`. Rows: node_modules ignored (the usual case), node_modules not
ignored (git walks it as untracked files, which we then drop as a cache), and for scale the
Python walk (`os.walk`) the check avoids. Target: under 100 ms with node_modules ignored.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cc_orchestrator.core.events import EventLog  # noqa: E402
from cc_orchestrator.core.git.worktrees import WorktreeService  # noqa: E402
from cc_orchestrator.core.store.database import Store  # noqa: E402


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


def timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm the file system cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="cco-bench-removal-"))
    try:
        repo = base / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        git(repo, "-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "-q", "--allow-empty", "-m", "init")
        store = Store(base / "data" / "orchestrator.db")
        service = WorktreeService(store, EventLog(store), base / "worktrees")
        worktree = service.create(repo, "feat")
        path = Path(worktree.path)
        per_folder = 100
        for n in range(options.files // per_folder):
            folder = path / "node_modules" / f"pkg{n}" / "lib"
            folder.mkdir(parents=True)
            for m in range(per_folder):
                (folder / f"f{m}.js").touch()
        (path / ".env").write_text("TOKEN=1\n")
        rows = []
        exclude = repo / ".git" / "info" / "exclude"
        exclude.write_text("node_modules/\n.env\n")
        rows.append(("losses(), node_modules ignored", timed(lambda: service.losses(worktree.id), options.runs)))
        exclude.write_text(".env\n")
        rows.append(("losses(), node_modules not ignored", timed(lambda: service.losses(worktree.id), options.runs)))
        rows.append(("os.walk of the worktree (avoided)", timed(lambda: sum(1 for _ in os.walk(path)), options.runs)))
        print(f"bench_removal: a worktree with {options.files:,} files in node_modules, {options.runs} runs")
        print(f"{'what':40} {'median ms':>10} {'p95 ms':>10}")
        for name, (median, p95) in rows:
            print(f"{name:40} {median:10.1f} {p95:10.1f}")
        print("lost:", service.losses(worktree.id).message())
        store.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
