"""Soak: `serve` under load for a while, then a simulated month of events and its prune.

    .venv/bin/python tests/benchmarks/soak.py [--minutes 10] [--seed 12] [--agents 20]
        [--clients 50] [--writers 4] [--month-days 30] [--events-per-day 40000] [--no-month]

Prints figures and asserts nothing (the machine may be shared: they are indicative). It touches
only what users touch, so it keeps working while `serve`'s insides change: the CLI (`python -m
cc_orchestrator ...`), `serve` as a subprocess with a token on a free loopback port, its HTTP API
and /ws; the `Orchestrator` facade only to start the agents (tests/fake_agent.py), which are then
driven with tmux send-keys, as a person at their terminal would.

The load, all at once, with a fixed seed:
  - `serve` (CC_ORCHESTRATOR_WEB_TOKEN set for it alone);
  - CLIENTS WebSocket clients on /ws (a few follow an agent's pane output); each message that
    carries an event's `timestamp` gives a latency: arrival - the event's commit;
  - two HTTP clients reading and writing the API (instances, tasks, events, metrics, config,
    send), each request timed;
  - WRITERS command-line writers, each running one `cco` process after another (tasks add,
    update, list, instances list and send, config set), with pauses of 0.5-2 s;
  - AGENTS agents changing state: `ask FILE` (WAITING_INPUT), answered a few seconds later
    (IDLE), or `work SECONDS` (RUNNING, then IDLE).
At the end it prints operations done and errors by kind (a refusal, a clean one-line "no" to a
request that cannot be done, is counted apart from errors), serve's RSS and open descriptors at
start (after the warm-up) and end, and p50/p99 of the HTTP and WebSocket latencies.

Then the month: a fresh data dir gets MONTH_DAYS of events at EVENTS_PER_DAY (20 agents x about
2,000 a day), timestamps spread evenly, inserted with sqlite3 as history (the integrations'
cursor placed at the end, as a running face keeps it); `cco maintenance prune --json` runs with
the default events_keep_days (30: where the database levels off) and then with half of it, and
the database's size is printed before and after.

Everything is private and removed at the end, also on Ctrl-C or SIGTERM: one temp folder (the
repository, data dirs, worktrees, logs), the agents' tmux server `soak-<random>`, serve.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PY = sys.executable
FAKE_AGENT = ROOT / "tests" / "fake_agent.py"
TOKEN = "soak-" + uuid.uuid4().hex


def progress(text: str) -> None:
    print(f"# [{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def spread(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    p50, p99 = statistics.median(samples), pct(samples, 99)
    return f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  max {max(samples):7.1f} ms  (n={len(samples)})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kind_of(text: str) -> str:
    """An error line as a kind: ids and numbers folded, so equal failures count together."""
    text = re.sub(r"\b[0-9a-f]{6}\b", "ID", text.strip().splitlines()[-1] if text.strip() else "(nothing said)")
    return re.sub(r"\d+", "N", text)[:110]


class Tally:
    """Operations, refusals and errors by source and kind; latencies. Thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ops: Counter = Counter()
        self.refused: Counter = Counter()
        self.errors: Counter = Counter()
        self.http_ms: list[float] = []
        self.ws_ms: list[float] = []

    def op(self, source: str) -> None:
        with self.lock:
            self.ops[source] += 1

    def refuse(self, source: str, kind: str) -> None:
        with self.lock:
            self.refused[f"{source}: {kind}"] += 1

    def error(self, source: str, kind: str) -> None:
        with self.lock:
            self.errors[f"{source}: {kind}"] += 1


# -- the private world ---------------------------------------------------------------------------


class World:
    """A temp folder, a git repository, the agents' tmux server; all removed by `close`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cco-soak-"))
        self.sock = f"soak-{uuid.uuid4().hex[:8]}"
        self.data = self.root / "data"
        self.repo = self.root / "repo"
        self.procs: list[subprocess.Popen] = []
        self.orch = None
        self.env = {
            **os.environ,
            "CC_ORCHESTRATOR_CONFIG_FILE": str(self.root / "no-config.toml"),
            "CC_ORCHESTRATOR_DATA_DIR": str(self.data),
            "CC_ORCHESTRATOR_TMUX_SOCKET": self.sock,
            "CC_ORCHESTRATOR_AGENT_COMMAND": f"{PY} {FAKE_AGENT}",
            "CC_ORCHESTRATOR_DEFAULT_AGENT": "generic",
            "CC_ORCHESTRATOR_MAX_INSTANCES": "100",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),  # this checkout
        }
        for name in [n for n in self.env if n.startswith("CC_ORCHESTRATOR_")]:
            os.environ[name] = self.env[name]
        os.environ.pop("CC_ORCHESTRATOR_WEB_TOKEN", None)  # serve's alone
        self.repo.mkdir()
        for args in (
            ["init", "-q", "-b", "main"],
            ["config", "user.email", "s@example.com"],
            ["config", "user.name", "S"],
        ):
            subprocess.run(["git", "-C", str(self.repo), *args], check=True)
        (self.repo / "README.md").write_text("soak\n")
        subprocess.run(["git", "-C", str(self.repo), "add", "."], check=True)
        subprocess.run(["git", "-C", str(self.repo), "commit", "-q", "-m", "initial"], check=True)

    def agents(self, count: int) -> list[tuple[str, str]]:
        from cc_orchestrator.core.orchestrator import Orchestrator

        self.orch = Orchestrator(self.data)
        started = []
        for _ in range(count):
            instance = self.orch.instances.start(self.repo)
            started.append((instance.id, instance.tmux_session))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            states = Counter(i.status.value for i in self.orch.instances.list())
            if states.get("IDLE", 0) >= count:
                break
            time.sleep(0.5)
        progress(f"{count} agents started: {dict(states)}")
        return started

    def cli(self, *args: str, data: Path | None = None, env: dict | None = None, timeout: float = 120):
        environ = {**self.env, **(env or {})}
        if data is not None:
            environ["CC_ORCHESTRATOR_DATA_DIR"] = str(data)
        return subprocess.run(
            [PY, "-m", "cc_orchestrator", *args],
            env=environ,
            cwd=self.repo,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGINT)
                    proc.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        if self.orch is not None:
            self.orch.close()
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True)
        folder = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (folder / self.sock).unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)


class Serve:
    def __init__(self, world: World) -> None:
        import psutil

        self.port = free_port()
        self.log = world.root / "serve.log"
        env = {**world.env, "CC_ORCHESTRATOR_WEB_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            [PY, "-m", "cc_orchestrator", "serve", "--port", str(self.port)],
            cwd=world.repo,
            env=env,
            stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        world.procs.append(self.popen)
        self.proc = psutil.Process(self.popen.pid)
        deadline = time.monotonic() + 60
        while f":{self.port}/" not in self.log.read_text():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def figures(self) -> tuple[float, int]:
        """RSS in MB and open descriptors now."""
        return self.proc.memory_info().rss / 1e6, self.proc.num_fds()


# -- the load ------------------------------------------------------------------------------------


def ws_clients(port: int, count: int, ids: list[str], stop: threading.Event, tally: Tally, seed: int) -> None:
    """`count` clients on /ws for as long as the run lasts (each reconnects if dropped)."""
    from websockets.asyncio.client import connect

    base = f"127.0.0.1:{port}"

    async def client(n: int) -> None:
        rng = random.Random(f"{seed}-ws-{n}")
        while not stop.is_set():
            try:
                async with connect(
                    f"ws://{base}/ws",
                    additional_headers={"Authorization": f"Bearer {TOKEN}"},
                    origin=f"http://{base}",
                    max_queue=None,
                    open_timeout=30,
                ) as ws:
                    tally.op("ws connect")
                    if n % 10 == 0 and ids:  # some follow an agent's output
                        await ws.send(json.dumps({"type": "subscribe", "instance_id": rng.choice(ids)}))
                    while not stop.is_set():
                        try:
                            text = await asyncio.wait_for(ws.recv(), 1.0)
                        except TimeoutError:
                            continue
                        arrived = datetime.now(UTC)
                        message = json.loads(text)
                        tally.op("ws message")
                        if n == 0 and message.get("type") == "instance_status":  # the agents' changes, once
                            tally.op(f"ws instance_status {message.get('status')} (client 0)")
                        if message.get("type") == "resync":
                            tally.refuse("ws", f"resync ({message.get('reason')})")
                        stamp = message.get("timestamp")
                        if stamp and message.get("source") != "agent" and message.get("type") != "metrics":
                            try:
                                made = datetime.fromisoformat(stamp)
                            except ValueError:
                                continue
                            if made.tzinfo is not None:
                                with tally.lock:
                                    tally.ws_ms.append((arrived - made).total_seconds() * 1000)
            except Exception as exc:
                if stop.is_set():
                    return
                tally.error("ws", type(exc).__name__)
                await asyncio.sleep(1.0)

    async def all_clients() -> None:
        await asyncio.gather(*(client(n) for n in range(count)))

    asyncio.run(all_clients())


def http_client(port: int, n: int, ids: list[str], stop: threading.Event, tally: Tally, seed: int) -> None:
    import httpx

    rng = random.Random(f"{seed}-http-{n}")
    tasks: list[int] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as http:
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.25:
                request = ("GET", "/api/instances", None)
            elif roll < 0.45:
                request = ("GET", "/api/tasks?limit=50", None)
            elif roll < 0.60:
                request = ("GET", f"/api/events?after={rng.randint(0, 500)}&limit=100", None)
            elif roll < 0.68:
                request = ("GET", "/api/metrics", None)
            elif roll < 0.73:
                request = ("GET", "/api/config", None)
            elif roll < 0.85:
                title = f"http task {n}-{rng.randint(0, 10**6)}"
                request = ("POST", "/api/tasks", {"title": title, "description": "soak " * rng.randint(1, 50)})
            elif roll < 0.95 and tasks:
                priority = rng.choice(["HIGH", "MEDIUM", "LOW"])
                request = ("PUT", f"/api/tasks/{rng.choice(tasks)}", {"priority": priority})
            else:
                request = ("POST", f"/api/instances/{rng.choice(ids)}/send", {"text": f"hello {rng.randint(0, 99)}"})
            method, path, body = request
            start = time.perf_counter()
            try:
                response = http.request(method, path, json=body)
            except Exception as exc:
                tally.error("http", f"{method} {path.split('?')[0]}: {type(exc).__name__}")
                time.sleep(1.0)
                continue
            elapsed = (time.perf_counter() - start) * 1000
            route = re.sub(r"/(?:[0-9a-f]{6}|\d+)(?=/|$)", "/ID", path.split("?")[0])
            with tally.lock:
                tally.http_ms.append(elapsed)
            if response.status_code < 400:
                tally.op(f"http {method} {route}")
                if method == "POST" and route == "/api/tasks":
                    tasks.append(response.json()["id"])
            elif response.status_code < 500:
                detail = response.text[:200]
                tally.refuse("http", f"{method} {route} {response.status_code} {kind_of(detail)}")
            else:
                tally.error("http", f"{method} {route} {response.status_code} {kind_of(response.text[:200])}")
            time.sleep(rng.uniform(0.05, 0.25))


def cli_writer(world: World, n: int, ids: list[str], stop: threading.Event, tally: Tally, seed: int) -> None:
    rng = random.Random(f"{seed}-cli-{n}")
    mine: list[str] = []
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.25 or not mine:
            args = ["tasks", "add", f"cli task {n}-{rng.randint(0, 10**6)}", "-d", "soak " * rng.randint(1, 40)]
            args += ["-p", rng.choice(["high", "medium", "low"]), "--json"]
        elif roll < 0.45:
            args = ["tasks", "update", rng.choice(mine), "-p", rng.choice(["high", "medium", "low"])]
            if rng.random() < 0.3:
                args += ["-s", rng.choice(["in_progress", "review", "done", "pending"])]
        elif roll < 0.60:
            args = ["tasks", "list"]
        elif roll < 0.75:
            args = ["instances", "list"]
        elif roll < 0.90:
            args = ["instances", "send", rng.choice(ids), f"note {rng.randint(0, 999)}"]
        else:
            args = ["config", "set", "hung_after_seconds", str(rng.choice([900, 1200, 1800]))]
        try:
            result = world.cli(*args)
        except subprocess.TimeoutExpired:
            tally.error("cli", f"{args[0]} {args[1]}: no answer in 120 s")
            continue
        what = f"{args[0]} {args[1]}"
        if result.returncode == 0:
            tally.op(f"cli {what}")
            if args[1] == "add":
                mine.append(str(json.loads(result.stdout)["id"]))
        elif result.returncode == 1 and "Traceback" not in result.stderr and "unexpected" not in result.stderr:
            tally.refuse("cli", f"{what}: {kind_of(result.stderr)}")
        else:
            tally.error("cli", f"{what} (exit {result.returncode}): {kind_of(result.stderr)}")
        stop.wait(rng.uniform(0.5, 2.0))


def agent_driver(world: World, agents: list[tuple[str, str]], stop: threading.Event, tally: Tally, seed: int) -> None:
    """Questions asked and answered, work started: a person at 20 terminals, quickly."""
    rng = random.Random(f"{seed}-agents")
    answer_at: dict[str, float] = {}  # session -> when its question gets its answer
    busy_until: dict[str, float] = {}
    n = 0
    while not stop.is_set():
        now = time.monotonic()
        for session, when in list(answer_at.items()):
            if when <= now:
                keys = [rng.choice(["1", "2"]), "Enter"]
                _send(world, session, keys, tally, "answer")
                del answer_at[session]
                busy_until[session] = now + 0.5
        free = [s for _, s in agents if s not in answer_at and busy_until.get(s, 0) <= now]
        if free:
            session = rng.choice(free)
            n += 1
            if rng.random() < 0.6:
                _send(world, session, [f"ask soak{n}.txt", "Enter"], tally, "ask")
                answer_at[session] = now + rng.uniform(1.0, 6.0)
            else:
                seconds = rng.uniform(0.5, 4.0)
                _send(world, session, [f"work {seconds:.1f}", "Enter"], tally, "work")
                busy_until[session] = now + seconds + 0.5
        stop.wait(rng.uniform(0.1, 0.4))


def _send(world: World, session: str, keys: list[str], tally: Tally, what: str) -> None:
    result = subprocess.run(["tmux", "-L", world.sock, "send-keys", "-t", f"={session}:", *keys], capture_output=True)
    if result.returncode == 0:
        tally.op(f"agents {what}")
    else:
        tally.error("agents", f"send-keys: {kind_of(result.stderr.decode(errors='replace'))}")


# -- the run ---------------------------------------------------------------------------------------


def soak(world: World, args) -> None:
    tally = Tally()
    agents = world.agents(args.agents)
    ids = [i for i, _ in agents]
    serve = Serve(world)
    progress(f"serve on port {serve.port}; warming up")
    stop = threading.Event()
    threads = [threading.Thread(target=ws_clients, args=(serve.port, args.clients, ids, stop, tally, args.seed))]
    threads += [
        threading.Thread(target=http_client, args=(serve.port, n, ids, stop, tally, args.seed)) for n in range(2)
    ]
    threads += [
        threading.Thread(target=cli_writer, args=(world, n, ids, stop, tally, args.seed)) for n in range(args.writers)
    ]
    threads.append(threading.Thread(target=agent_driver, args=(world, agents, stop, tally, args.seed)))
    for thread in threads:
        thread.daemon = True
        thread.start()
    t0 = time.monotonic()
    try:
        stop.wait(min(15.0, args.minutes * 60 / 4))  # clients connected, first rounds done
        rss0, fds0 = serve.figures()
        samples = [(time.monotonic() - t0, rss0, fds0)]
        end = t0 + args.minutes * 60
        while time.monotonic() < end:
            stop.wait(min(30.0, max(0.0, end - time.monotonic())))
            samples.append((time.monotonic() - t0, *serve.figures()))
            at, rss, fds = samples[-1]
            progress(f"{at:.0f} s: serve {rss:.1f} MB, {fds} fds; {sum(tally.ops.values())} operations")
        rss1, fds1 = serve.figures()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    alive = serve.popen.poll() is None
    elapsed = time.monotonic() - t0
    print(
        f"\n== soak: {args.minutes:g} min, seed {args.seed}: {args.agents} agents, {args.clients} WebSocket clients, "
        f"{args.writers} CLI writers, 2 HTTP clients ({elapsed:.0f} s)"
    )
    print(f"operations: {sum(tally.ops.values())}")
    for kind, count in sorted(tally.ops.items()):
        print(f"  {count:7d}  {kind}")
    print(f"refused (clean 4xx / one-line CLI refusals): {sum(tally.refused.values())}")
    for kind, count in tally.refused.most_common(15):
        print(f"  {count:7d}  {kind}")
    print(f"errors: {sum(tally.errors.values())}")
    for kind, count in tally.errors.most_common(15):
        print(f"  {count:7d}  {kind}")
    print(f"serve RSS: {rss0:.1f} MB after the warm-up -> {rss1:.1f} MB at the end ({rss1 - rss0:+.1f} MB)")
    print(f"serve open descriptors: {fds0} -> {fds1}; serve still running at the end: {alive}")
    print("serve over time: " + ", ".join(f"{t:.0f}s {r:.0f}MB/{f}fd" for t, r, f in samples))
    print(f"HTTP latency:      {spread(tally.http_ms)}")
    print(f"WebSocket events:  {spread(tally.ws_ms)}  (commit -> arrival, every client)")
    print(f"tracebacks in serve's output: {_tracebacks(serve.log)}")


def _tracebacks(log: Path) -> int:
    try:
        return log.read_text(errors="replace").count("Traceback")
    except OSError:
        return 0


# -- a month of events -----------------------------------------------------------------------------


def month(world: World, args) -> None:
    import sqlite3

    rng = random.Random(f"{args.seed}-month")
    data = world.root / "month"
    made = world.cli("tasks", "list", data=data)  # the database, as cc-orchestrator makes it
    if made.returncode != 0:
        raise RuntimeError(f"could not make the month's database: {made.stderr}")
    path = data / "orchestrator.db"
    total = int(args.month_days * args.events_per_day)
    agents = [uuid.uuid4().hex[:6] for _ in range(args.agents)]
    end = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    start = end - timedelta(days=args.month_days)
    step = (end - start) / total
    progress(f"inserting {total} events over {args.month_days:g} days")
    t0 = time.monotonic()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 30000")
    sql = (
        "INSERT INTO events (created_at, kind, level, message, instance_id, task_id, worktree_id, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    task = 0
    batch = []
    for n in range(total):
        when = str(start + step * n)
        agent = rng.choice(agents)
        roll = rng.random()
        if roll < 0.55:
            status = rng.choice(["RUNNING", "IDLE", "WAITING_INPUT"])
            data_json = json.dumps(
                {"status": status, "previous": "RUNNING", "pid": rng.randint(1000, 99999), "source": "hooks"}
            )
            row = (when, "instance_status", "INFO", f"instance {agent} {status}", agent, task or None, None, data_json)
        elif roll < 0.65:
            if rng.random() < 0.01:  # about 40 new tasks a day
                task += 1
            status = rng.choice(["ASSIGNED", "IN_PROGRESS", "REVIEW", "DONE"])
            row = (
                when,
                "task_update",
                "INFO",
                f"task {task} {status}",
                None,
                task or None,
                None,
                json.dumps({"status": status}),
            )
        else:
            tool = rng.choice(["Bash: pytest -q tests/", "Edit: src/module.py", "Read: README.md", "Grep: def main"])
            text = f"tool {tool}" + " more detail" * rng.randint(0, 12)
            row = (when, "log_message", "INFO", text, agent, None, None, "{}")
        batch.append(row)
        if len(batch) == 20_000 or n == total - 1:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(sql, batch)
            db.execute("COMMIT")
            batch.clear()
    db.execute("UPDATE cursors SET value = (SELECT MAX(id) FROM events) WHERE name = 'integrations'")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    progress(f"inserted in {time.monotonic() - t0:.0f} s")
    print(
        f"\n== a simulated month: {total} events over {args.month_days:g} days "
        f"({args.events_per_day:.0f} a day, {args.agents} agents)"
    )
    print(f"database after the month: {_mb(path)}")
    for days in (30, max(1, int(args.month_days // 2))):
        t1 = time.monotonic()
        result = world.cli(
            "maintenance",
            "prune",
            "--json",
            data=data,
            env={"CC_ORCHESTRATOR_EVENTS_KEEP_DAYS": str(days)},
            timeout=3600,
        )
        took = time.monotonic() - t1
        if result.returncode != 0:
            print(f"prune with events_keep_days={days} failed: {result.stderr.strip()}")
            continue
        report = json.loads(result.stdout)
        print(
            f"prune, events_keep_days={days}: removed {report['events_removed']} events in {took:.1f} s "
            f"(the whole command); database {report['database_bytes_before'] / 1e6:.1f} MB -> "
            f"{report['database_bytes_after'] / 1e6:.1f} MB; {report['pages_reclaimed']} pages returned"
            + (f"; {'; '.join(report['notes'])}" if report["notes"] else "")
        )
    print(f"database file now: {_mb(path)}, its WAL {_mb(path.with_name(path.name + '-wal'))}")


def _mb(path: Path) -> str:
    try:
        return f"{path.stat().st_size / 1e6:.1f} MB"
    except OSError:
        return "absent"


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--month-days", type=float, default=30.0)
    parser.add_argument("--events-per-day", type=float, default=40_000.0)
    parser.add_argument("--no-month", action="store_true", help="Skip the simulated month.")
    parser.add_argument("--month-only", action="store_true", help="Only the simulated month.")
    args = parser.parse_args()
    random.seed(args.seed)
    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a shell's `cmd &` starts it ignored
        signal.signal(signum, _interrupted)
    world = World()
    try:
        if not args.month_only:
            soak(world, args)
        if not args.no_month:
            month(world, args)
    except KeyboardInterrupt:
        progress("interrupted; cleaning up")
    finally:
        world.close()


if __name__ == "__main__":
    main()
