"""Benchmark: a task graph runs itself to the end (issue 13's figures). Prints; not a test.

Set-up: 8 tasks with dependencies, `cco run --merge` (auto-assign and auto-merge) with
`max_instances = 3` and `cleanup_merged = true`, the fake agent doing each task (work, write a
file, commit), checks that fail once for one task, and the agent fixing that when told.

Prints:
- the time from `cco run` to every task DONE, against the graph's lower bound (the longer of its
  critical path and its total work over 3 slots, counting the agents' work only): the ratio;
- the human actions it needed (the goal is 0: nothing is typed, approved or merged by hand);
- the merge queue's time per merge (from its events), and the gate's checks runs;
- the git calls overlap detection spends per worktree change with 20 worktrees:
  tests/benchmarks/bench_overlaps.py prints them (run beside this one).

Run: python tests/benchmarks/bench_review.py [--work 1.0] [--runs 1]
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
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cc_orchestrator.core.orchestrator import Orchestrator  # noqa: E402

FAKE = f"{sys.executable} {ROOT / 'tests' / 'fake_agent.py'}"
# id: (dependencies, extra lines); task 3 leaves a file the checks object to until it is fixed
GRAPH = {
    1: ((), ()),
    2: ((), ()),
    3: ((1,), ("write needs-fix.txt yes",)),
    4: ((1, 2), ()),
    5: ((3,), ()),
    6: ((4,), ()),
    7: ((5, 6), ()),
    8: ((2,), ()),
}
CHECKS = "if [ -f needs-fix.txt ] && [ ! -f fixed.txt ]; then echo 'fixed.txt is missing'; exit 1; fi; echo ok"
SLOTS = 3


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    return subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("bench\n")
    (repo / ".cc-orchestrator.toml").write_text(f"[review]\nchecks = {CHECKS!r}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def lower_bound(work: float, fix: float) -> float:
    """The agents' work alone: the longest dependency path, or all work spread over the slots."""
    cost = {t: work + (fix if t == 3 else 0.0) for t in GRAPH}
    finish: dict[int, float] = {}
    for task in sorted(GRAPH):  # ids are in dependency order
        finish[task] = cost[task] + max((finish[d] for d in GRAPH[task][0]), default=0.0)
    return max(max(finish.values()), sum(cost.values()) / SLOTS)


def one_run(work: float, fix: float) -> dict:
    root = Path(tempfile.mkdtemp(prefix="cco-bench-review-"))
    socket = f"cco-bench-{uuid.uuid4().hex[:8]}"
    repo = make_repo(root)
    fixing = f"work {fix}; write fixed.txt ok; commit fix"
    env = {
        **os.environ,
        "CC_ORCHESTRATOR_DATA_DIR": str(root / "data"),
        "CC_ORCHESTRATOR_CONFIG_FILE": str(root / "config.toml"),
        "CC_ORCHESTRATOR_TMUX_SOCKET": socket,
        "CC_ORCHESTRATOR_DEFAULT_AGENT": "generic",
        "CC_ORCHESTRATOR_AGENT_COMMAND": f"{FAKE} --one-turn --on-checks-failed '{fixing}'",
        "CC_ORCHESTRATOR_MAX_INSTANCES": str(SLOTS),
        "CC_ORCHESTRATOR_CLEANUP_MERGED": "true",
    }
    cli = [sys.executable, "-m", "cc_orchestrator"]
    try:
        for task, (deps, extra) in GRAPH.items():
            lines = [f"work {work}", f"write t{task}.txt {task}", *extra, f"commit task {task}"]
            args = ["tasks", "add", f"Task {task}", "-d", "\n".join(lines)]
            for dep in deps:
                args += ["--depends-on", str(dep)]
            subprocess.run([*cli, *args], env=env, cwd=repo, check=True, capture_output=True)
        started = time.monotonic()
        done = subprocess.run(
            [*cli, "run", "--merge", "--interval", "1"], env=env, cwd=repo, capture_output=True, text=True, timeout=600
        )
        took = time.monotonic() - started
        orch = Orchestrator(root / "data", tmux_socket=socket)
        try:
            events = orch.events.since(0, limit=100_000)
            runs = [r for t in orch.tasks.list() for r in orch.review.runs(t.id)]
            statuses = [t.status.value for t in orch.tasks.list()]
        finally:
            orch.close()
        merges = [e.data["seconds"] for e in events if "merged" in e.data and "seconds" in e.data]
        return {
            "timeline": timeline(events),
            "exit": done.returncode,
            "last": (done.stdout.strip().splitlines() or [""])[-1],
            "seconds": took,
            "statuses": statuses,
            "merges": merges,
            "gate_runs": [r for r in runs if r.purpose == "gate"],
            "merge_runs": [r for r in runs if r.purpose == "merge"],
            "commits": int(git(repo, "rev-list", "--count", "main").strip()),
        }
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


STEPS = (
    ("assigned", lambda e: "ASSIGNED" in e.message and "->" in e.message),
    ("delivered", lambda e: e.message.startswith("prompt delivered")),
    ("idle", lambda e: e.data.get("status") == "IDLE"),
    ("checks", lambda e: "checks started" in e.message),
    ("passed", lambda e: e.data.get("checks") == "passed"),
    ("review", lambda e: e.data.get("status") == "REVIEW"),
    ("done", lambda e: e.data.get("status") == "DONE"),
)


def timeline(events) -> dict[int, dict[str, float]]:
    """Per task, seconds from its ASSIGNED to the first event of each step."""
    by_instance = {e.instance_id: e.task_id for e in events if e.task_id and e.instance_id}
    out: dict[int, dict[str, float]] = {}
    for event in events:
        task = event.task_id or by_instance.get(event.instance_id)
        if task is None:
            continue
        marks = out.setdefault(task, {})
        for name, match in STEPS:
            if name not in marks and match(event):
                marks[name] = event.created_at.timestamp()
    return {t: {k: v - m.get("assigned", v) for k, v in m.items()} for t, m in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=float, default=1.0, help="seconds of agent work per task")
    parser.add_argument("--fix", type=float, default=0.5, help="seconds the agent takes to fix the failure")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeline", action="store_true", help="each task's steps, in seconds from ASSIGNED")
    args = parser.parse_args()
    bound = lower_bound(args.work, args.fix)
    results = [one_run(args.work, args.fix) for _ in range(args.runs)]
    print(f"graph: {len(GRAPH)} tasks, {SLOTS} slots, agent work {args.work:.1f} s each (+{args.fix:.1f} s fix)")
    print(f"lower bound (critical path or work / slots): {bound:.1f} s")
    for n, result in enumerate(results, 1):
        failed = sum(r.status.value == "failed" for r in result["gate_runs"])
        print(
            f"run {n}: exit {result['exit']} ({result['last']}); all DONE: "
            f"{all(s == 'DONE' for s in result['statuses'])}; {result['seconds']:.1f} s = "
            f"{result['seconds'] / bound:.2f}x the lower bound; human actions: 0; "
            f"gate runs {len(result['gate_runs'])} ({failed} failed), merge re-checks {len(result['merge_runs'])}; "
            f"main has {result['commits']} commits"
        )
        if args.timeline:
            for task, marks in sorted(result["timeline"].items()):
                print(f"  task {task}: " + "  ".join(f"{k} {v:.2f}" for k, v in marks.items()))
        if merges := result["merges"]:
            median, most = statistics.median(merges) * 1000, max(merges) * 1000
            print(f"  merge queue: {len(merges)} merges, median {median:.0f} ms per merge (max {most:.0f} ms)")


if __name__ == "__main__":
    main()
