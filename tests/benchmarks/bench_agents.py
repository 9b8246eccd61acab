"""Benchmark: agent states. Prints figures; it is not a test.

1. Hook event -> state change in the store: the real hook command (`sh -c 'awk 1 >> spool'`)
   appends a payload; the watchdog watcher ingests it; we time until the ingest has committed.
2. What a hook costs the agent per event: the hook command run as Claude Code runs it.
3. The orchestrator's CPU while 20 instances sit idle: the monitor loop (`tick()` once a second,
   as the TUI and `serve` run it) plus the spool watcher, for 20 s; its own CPU and its children's
   (the tmux clients it starts), as a share of one core, and tmux calls per second.

Run: python tests/benchmarks/bench_agents.py
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cc_orchestrator.core.agents.claude_hooks import hook_command  # noqa: E402
from cc_orchestrator.core.orchestrator import Orchestrator  # noqa: E402
from tests.helpers import count_tmux_calls  # noqa: E402

FAKE = f"{sys.executable} {ROOT / 'tests' / 'fake_agent.py'}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def make_repo(base: Path) -> Path:
    repo = base / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@b",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ],
        check=True,
    )
    return repo


def hook_latency(orch: Orchestrator, repo: Path, runs: int = 100) -> list[float]:
    instance = orch.instances.start(repo, agent="hooked")
    command = hook_command(orch.instances.ingester.path(instance.id))
    done = threading.Event()
    orch_watch = orch.watch_spools(on_change=lambda ids: done.set())
    latencies = []
    try:
        for n in range(runs):
            event = "UserPromptSubmit" if n % 2 == 0 else "Stop"
            payload = json.dumps({"hook_event_name": event, "session_id": "s", "prompt": "x"}) + "\n"
            done.clear()
            start = time.perf_counter()
            subprocess.run(["/bin/sh", "-c", command], input=payload, text=True, check=True)
            if not done.wait(5):
                print(f"  event {n} not ingested within 5 s", file=sys.stderr)
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            time.sleep(0.02)
    finally:
        orch_watch.stop()
    return latencies


def hook_cost(spool: Path, runs: int = 200) -> tuple[list[float], list[float]]:
    payload = (
        json.dumps(
            {
                "hook_event_name": "PreToolUse",
                "session_id": "s",
                "tool_name": "Write",
                "tool_input": {"file_path": "hello.py", "content": "x" * 600},
            }
        )
        + "\n"
    )
    timings = {}
    for name, command in (("baseline", "true"), ("hook", hook_command(spool))):
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(["/bin/sh", "-c", command], input=payload, text=True, check=True)
            samples.append((time.perf_counter() - start) * 1000)
        timings[name] = samples
    return timings["baseline"], timings["hook"]


def idle_cost(orch: Orchestrator, repo: Path, count: int = 20, seconds: float = 20.0) -> tuple[float, float]:
    for _ in range(count):
        orch.instances.start(repo)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # every agent at its prompt, every screen read once
        if all(i.status.value == "IDLE" for i in orch.tick()):
            break
        time.sleep(0.5)
    watcher = orch.watch_spools()
    try:
        for _ in range(3):  # screens read in the same second as their last output are read once more
            orch.tick()
            time.sleep(1.0)
        counter = count_tmux_calls(orch.tmux)
        calls_before = counter.calls
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        kids_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            orch.tick()
            time.sleep(1.0)
        wall = time.monotonic() - start
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        kids_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        watcher.stop()
    cpu = sum(
        (a.ru_utime - b.ru_utime) + (a.ru_stime - b.ru_stime)
        for a, b in ((self_after, self_before), (kids_after, kids_before))
    )
    return 100 * cpu / wall, (counter.calls - calls_before) / wall


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="cco-bench-agents-"))
    socket = f"cco-bench-{uuid.uuid4().hex[:8]}"
    orch = None
    try:
        repo = make_repo(base)
        orch = Orchestrator(
            base / "data",
            tmux_socket=socket,
            agent_command=FAKE,
            default_agent="generic",
            max_instances=40,
            agents={"hooked": {"command": FAKE, "hooks": "claude"}},
        )
        print(f"{os.cpu_count()} CPUs, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        latency = hook_latency(orch, repo)
        baseline, hook = hook_cost(base / "cost.jsonl")
        cpu, calls = idle_cost(orch, repo)
        print()
        print(f"{'figure':58} {'median':>9} {'p95':>9}  target")
        print(
            f"{'1. hook event -> state in the store (watchdog ingest)':58} {statistics.median(latency):7.1f}ms "
            f"{pct(latency, 0.95):7.1f}ms  p95 < 250 ms  ({len(latency)} events)"
        )
        print(
            f"{'2. hook command per event (sh -c awk 1 >> spool)':58} {statistics.median(hook):7.2f}ms "
            f"{pct(hook, 0.95):7.2f}ms  < 5 ms"
        )
        print(
            f"{'   of which starting sh itself (sh -c true)':58} {statistics.median(baseline):7.2f}ms "
            f"{pct(baseline, 0.95):7.2f}ms"
        )
        print(f"{'3. orchestrator CPU, 20 idle instances, tick every 1 s':58} {cpu:8.2f}%  {'':9}  < 2% of one core")
        print(f"{'   tmux calls per second at idle':58} {calls:9.2f}")
    finally:
        if orch is not None:
            for instance in orch.instances.list(refresh=False):
                if instance.status.is_live:
                    try:
                        orch.instances.stop(instance.id)
                    except Exception:
                        pass
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
        (Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}" / socket).unlink(missing_ok=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
