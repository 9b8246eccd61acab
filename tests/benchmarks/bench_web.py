"""How fast the web server answers and pushes: prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_web.py [--tasks 10000] [--instances 5]
        [--requests 2000] [--concurrency 8] [--clients 50] [--changes 200]

The server runs as it does for users (`python -m cc_orchestrator.web`, a subprocess, on
127.0.0.1 and a free port) over a temp data dir, a temp git repository and a private tmux
server (`cco-bench-web-<random>`, killed at the end) running the fake agent. This process is
the client, and also "another process" that changes state through the core services.

Figures:
  1. GET /api/instances (with --instances live agents) and GET /api/tasks pages of 100 at
     random offsets of --tasks tasks: requests per second, p50 and p99 latency, over one
     connection and over --concurrency connections at once.
  2. --clients WebSocket clients; this process changes tasks --changes times (20 per second)
     through TaskService, like a CLI would. For each change and client: the delay from the
     start of the change to the event's arrival. Target: p99 under 200 ms, no event lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from cc_orchestrator.core.orchestrator import Orchestrator  # noqa: E402

FAKE_AGENT = ROOT / "tests" / "fake_agent.py"
TOKEN = "bench-" + uuid.uuid4().hex


def note(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "b@example.com"], ["config", "user.name", "B"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    (repo / "README.md").write_text("bench\n")
    subprocess.run(["git", "-C", str(repo), "add", "README.md"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "initial"], check=True)
    return repo


def fill(orch: Orchestrator, tasks: int, instances: int, repo: Path) -> None:
    started = time.perf_counter()
    priorities = ("HIGH", "MEDIUM", "LOW")

    def add_all() -> None:  # one transaction: the per-task savepoints are cheap
        for n in range(tasks):
            orch.tasks.add(f"task {n}", f"description of task {n}", priority=priorities[n % 3])

    orch.store.write(add_all)
    note(f"{tasks} tasks in {time.perf_counter() - started:.1f} s")
    for _ in range(instances):
        orch.instances.start(repo)
    note(f"{instances} instances started")


def start_server(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str, Path]:
    log = cwd / "server.log"
    out = open(log, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "cc_orchestrator.web", "--port", "0"],
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())
        if found:
            return process, f"127.0.0.1:{found.group(1)}", log
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


async def load(base: str, paths, requests: int, concurrency: int) -> tuple[float, list[float], int]:
    """`requests` GETs over `concurrency` connections; (seconds, latencies in ms, failures)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    latencies: list[float] = []
    failures = 0
    todo = iter(range(requests))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        for _ in todo:
            path = paths()
            start = time.perf_counter()
            response = await client.get(path)
            latencies.append((time.perf_counter() - start) * 1000)
            failures += response.status_code != 200

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://{base}", headers=headers, limits=limits, timeout=30) as client:
        for _ in range(20):  # warm-up
            await client.get(paths())
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, failures


async def push_delay(base: str, orch: Orchestrator, clients: int, changes: int) -> tuple[list[float], int, int]:
    """Delays (ms) from each change to its event at each client; (delays, lost, out of order)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    task = await asyncio.to_thread(orch.tasks.add, "the benchmark's task")
    marker = f'"message":"task {task.id} priority '  # the updates, not the "added" event
    arrivals: list[list[tuple[float, str]]] = [[] for _ in range(clients)]
    sockets = []
    for _ in range(clients):
        sockets.append(await connect(f"ws://{base}/ws", additional_headers=headers, max_queue=None))
    for ws in sockets:
        await ws.recv()  # hello

    async def listen(n: int, ws) -> None:
        async for text in ws:
            arrivals[n].append((time.perf_counter(), text))

    listeners = [asyncio.create_task(listen(n, ws)) for n, ws in enumerate(sockets)]
    sent: list[float] = []
    for n in range(changes):
        priority = ("HIGH", "LOW")[n % 2]
        sent.append(time.perf_counter())
        await asyncio.to_thread(orch.tasks.update, task.id, priority=priority)
        await asyncio.sleep(0.05)
    await asyncio.sleep(2.0)  # let the last events arrive
    for listener in listeners:
        listener.cancel()
    for ws in sockets:
        await ws.close()

    delays: list[float] = []
    lost = disorder = 0
    for received in arrivals:
        ours = [(t, text) for t, text in received if '"task_update"' in text and marker in text]
        lost += max(0, changes - len(ours))
        wanted = [("HIGH", "LOW")[n % 2] for n in range(len(ours))]
        got = [re.search(r'"priority":"(\w+)"', text).group(1) for _, text in ours]
        disorder += got != wanted
        delays.extend((t - sent[n]) * 1000 for n, (t, _) in enumerate(ours[:changes]))
    return delays, lost, disorder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--instances", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    for tool in ("git", "tmux"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed")

    root = Path(tempfile.mkdtemp(prefix="cco-bench-web-"))
    socket_name = f"cco-bench-web-{uuid.uuid4().hex[:8]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CC_ORCHESTRATOR_")},
        "CC_ORCHESTRATOR_DATA_DIR": str(root / "data"),
        "CC_ORCHESTRATOR_TMUX_SOCKET": socket_name,
        "CC_ORCHESTRATOR_AGENT_COMMAND": f"{sys.executable} {FAKE_AGENT}",
        "CC_ORCHESTRATOR_DEFAULT_AGENT": "generic",
        "CC_ORCHESTRATOR_MAX_INSTANCES": str(max(args.instances, 5)),
        "CC_ORCHESTRATOR_CONFIG_FILE": str(root / "no-config.toml"),
        "CC_ORCHESTRATOR_WEB_TOKEN": TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    process = None
    orch = Orchestrator(root / "data")
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        fill(orch, args.tasks, args.instances, make_repo(root))
        process, base, log = start_server(env, root)
        note(f"server at {base}")
        rows = []
        offsets = max(args.tasks - 100, 1)
        for name, paths in (
            ("GET /api/instances", lambda: "/api/instances"),
            (
                f"GET /api/tasks (page of 100, {args.tasks} tasks)",
                lambda: f"/api/tasks?limit=100&offset={random.randrange(offsets)}",
            ),
            (
                "GET /api/tasks?status=PENDING&priority=HIGH (page of 100)",
                lambda: (
                    f"/api/tasks?status=PENDING&priority=HIGH&limit=100&offset={random.randrange(max(offsets // 3, 1))}"
                ),
            ),
        ):
            for connections in sorted({1, args.concurrency}):
                note(f"load: {name}, {connections} connection(s)")
                elapsed, latencies, failures = asyncio.run(load(base, paths, args.requests, connections))
                rps, p50, p99 = len(latencies) / elapsed, statistics.median(latencies), percentile(latencies, 99)
                rows.append((name, connections, rps, p50, p99, failures))
        note(f"WebSocket: {args.clients} clients, {args.changes} changes")
        delays, lost, disorder = asyncio.run(push_delay(base, orch, args.clients, args.changes))

        print(
            f"\nHTTP ({args.requests} requests per row, {args.instances} live instances; the client shares the machine)"
        )
        print(f"{'request':58} {'conns':>5} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
        for name, connections, rps, p50, p99, failures in rows:
            print(f"{name:58} {connections:5d} {rps:7.0f} {p50:7.1f} {p99:7.1f} {failures:6d}")
        print(f"\nWebSocket push: {args.clients} clients x {args.changes} task changes made by another process")
        print(
            f"  delay p50 {statistics.median(delays):.1f} ms, p95 {percentile(delays, 95):.1f} ms, "
            f"p99 {percentile(delays, 99):.1f} ms (target < 200), max {max(delays):.1f} ms"
        )
        expected = args.clients * args.changes
        print(
            f"  events delivered {len(delays)} of {expected}; lost {lost}; clients with events out of order {disorder}"
        )
        token_leaks = log.read_text().count(TOKEN) - 1
        print(f"  server log lines showing the token, besides the sign-in link: {token_leaks}")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process is not None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for instance in orch.instances.list(refresh=False):
            if instance.status.is_live:
                try:
                    orch.instances.stop(instance.id)
                except Exception:
                    pass
        orch.close()
        subprocess.run(["tmux", "-L", socket_name, "kill-server"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
