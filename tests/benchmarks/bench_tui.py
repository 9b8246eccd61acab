"""How fast the dashboard feels: prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_tui.py [--instances 20] [--starts 5] [--idle 30]

Real parts, private: a temp git repository, the agents' tmux server on its own socket, a second
tmux server standing in for the user's terminal (both killed at the end, also on Ctrl-C), temp
data dirs, and the fake agent (tests/fake_agent.py).

Figures and targets:
  1. cold start: from spawning `python` to the first painted dashboard with its rows, in a real
     terminal (a tmux pane), with 20 live instances: under 0.4 s.
  2. refresh: applying a view of 50 instances and 1,000 tasks on the event loop (diff and
     update in place), and until that frame is painted: under 16 ms.
  3. key to screen: a key press until its effect is painted, with nothing else running, and
     while the core refreshes (Live kicked back to back over the live instances, on its thread;
     a 50/1,000 view landing every ~0.5 s).
  4. idle: the app's CPU (its threads and its child processes included) and its tmux and git
     processes per second, with 20 idle instances, after a warm-up (where each worktree stands is
     asked once, one a second): under 0.3% of one core and no call at all; its memory (RSS):
     under 55 MB; and the tmux and git calls of its first 5 s.
  5. state on screen: an idle agent asks a question (`ask FILE`, typed with send-keys); from the
     question on the agent's screen to its row showing WAITING_INPUT on the dashboard's (both
     read with capture-pane every ~5 ms): under 150 ms at the p95.

Run on a quiet machine: the cold start and the p95s move with the load (printed first).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
FAKE_AGENT = ROOT / "tests" / "fake_agent.py"
SIZE = (160, 48)


def progress(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  max {ordered[-1]:7.1f} ms"


# -- the app in a real terminal (child process) ---------------------------------------------


def child(report: Path, quit_after_paint: bool) -> None:
    """Run the real dashboard; record when it painted and when it ran tmux or git."""
    marks = {"start": time.time()}
    calls: list[tuple[str, float, str]] = []
    from cc_orchestrator.core.git import reports, repository
    from cc_orchestrator.core.tmux.service import TmuxService

    def counted(fn, kind):  # every call of these starts exactly one tmux or git process
        def wrapper(*args, **kwargs):
            calls.append((kind, time.time(), f"{fn.__name__} {args[1] if len(args) > 1 else ''}"[:40]))
            return fn(*args, **kwargs)

        return wrapper

    TmuxService.cmd = counted(TmuxService.cmd, "tmux")
    repository.try_git = counted(repository.try_git, "git")
    reports.git = counted(reports.git, "git")  # the worktree map's standings

    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.tui.app import OrchestratorApp
    from cc_orchestrator.tui.view import first_view

    class Timed(OrchestratorApp):
        def on_mount(self) -> None:  # Textual also runs OrchestratorApp.on_mount: no super() here
            if quit_after_paint:
                self.set_interval(0.002, lambda: self.first_rows_painted and self.exit())

    marks["imported"] = time.time()
    orch = Orchestrator()
    found = Orchestrator.repo(os.environ["CCO_BENCH_REPO"], required=False)  # as tui.app.run() does
    repo = str(found) if found else None
    first = first_view(orch, repo)
    marks["store read"] = time.time()
    app = Timed(orch, repo, initial=first)
    marks["app made"] = time.time()
    app.run()
    marks["painted"] = app.first_rows_painted
    report.write_text(json.dumps({"painted": app.first_rows_painted, "calls": calls, "marks": marks}))


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True).stdout


def spawn_dashboard(outer: str, name: str, report: Path, quit_after_paint: bool) -> float:
    """Start the child in a pane of the outer server; the wall time just before."""
    argv = [sys.executable, __file__, "--child", str(report)] + (["--quit-after-paint"] if quit_after_paint else [])
    env = {
        k: v for k, v in os.environ.items() if k.startswith(("CC_ORCHESTRATOR_", "CCO_BENCH_")) or k in ("PATH", "HOME")
    }
    command = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), *argv])  # Textual draws on stderr
    t0 = time.time()
    subprocess.run(
        [
            "tmux",
            "-L",
            outer,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            str(SIZE[0]),
            "-y",
            str(SIZE[1]),
            command,
        ],
        check=True,
    )
    return t0


def wait_for_file(path: Path, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text():
        if time.monotonic() > deadline:
            err = Path(f"{path}.err")
            raise RuntimeError(
                f"the dashboard wrote no report to {path}: {err.read_text()[-2000:] if err.exists() else ''}"
            )
        time.sleep(0.02)
    return json.loads(path.read_text())


def bench_cold_start(outer: str, root: Path, runs: int) -> list[float]:
    samples = []
    for n in range(runs + 1):
        report = root / f"cold-{n}.json"
        t0 = spawn_dashboard(outer, f"cold{n}", report, quit_after_paint=True)
        found = wait_for_file(report)
        painted = found["painted"]
        progress("  " + "  ".join(f"{k} {1000 * (v - t0):.0f}" for k, v in found["marks"].items() if v))
        if painted is None:
            raise RuntimeError(f"the dashboard quit before painting: {Path(f'{report}.err').read_text()[-3000:]}")
        if n:  # the first run warms the disk cache
            samples.append((painted - t0) * 1000)
    return samples


def bench_idle(outer: str, root: Path, agents_socket: str, seconds: float, warmup: float, orch, asks: int) -> dict:
    import psutil

    report = root / "idle.json"
    spawn_dashboard(outer, "idle", report, quit_after_paint=False)
    pane = psutil.Process(int(tmux(outer, "display-message", "-p", "-t", "=idle:", "#{pane_pid}").strip()))
    app = next(p for p in [pane, *pane.children(recursive=True)] if "--child" in p.cmdline())
    server = psutil.Process(int(tmux(agents_socket, "display-message", "-p", "#{pid}").strip()))
    time.sleep(warmup)
    before, server_before, start = app.cpu_times(), server.cpu_times(), time.time()
    time.sleep(seconds)
    after, server_after, end = app.cpu_times(), server.cpu_times(), time.time()
    rss = app.memory_info().rss / 2**20
    latency = state_latency(outer, agents_socket, orch, asks)
    tmux(outer, "send-keys", "-t", "=idle:", "q")
    found = wait_for_file(report)
    calls, started = found["calls"], found["marks"]["start"]
    first = [kind for kind, when, _ in calls if when < started + 5]

    def cpu(t) -> float:
        return t.user + t.system + t.children_user + t.children_system

    in_window = [kind for kind, when, _ in calls if start <= when <= end]
    progress(f"calls in the window: {dict(Counter(what for kind, when, what in calls if start <= when <= end))}")
    return {
        "cpu": (cpu(after) - cpu(before)) / (end - start) * 100,
        "server_cpu": (server_after.user + server_after.system - server_before.user - server_before.system)
        / (end - start)
        * 100,
        "tmux": in_window.count("tmux") / (end - start),
        "git": in_window.count("git") / (end - start),
        "warmup_calls": sum(1 for _, when, _ in calls if when < start),
        "first_tmux": first.count("tmux"),
        "first_git": first.count("git"),
        "rss": rss,
        "latency": latency,
    }


def first_seen(socket: str, target: str, test, timeout: float = 10) -> float | None:
    """time.time() when `target`'s screen first passes `test` (capture-pane every ~5 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test(tmux(socket, "capture-pane", "-p", "-t", target)):
            return time.time()
        time.sleep(0.005)
    return None


def state_latency(outer: str, agents_socket: str, orch, samples: int) -> list[float]:
    """An idle agent asks; ms from the question on its screen to WAITING_INPUT in its row."""
    import random
    import re
    from concurrent.futures import ThreadPoolExecutor

    visible = [i for i in orch.instances.list(refresh=False) if i.status.is_live][:5]  # rows on screen
    found = []
    with ThreadPoolExecutor(2) as pool:
        for n in range(samples):
            instance = visible[n % len(visible)]
            agent, question = f"={instance.tmux_session}:", f"Do you want to create q{n}.txt?"
            waiting = re.compile(rf"(?<!instance ){instance.id}\s+WAITING_INPUT").search
            on_agent = pool.submit(first_seen, agents_socket, agent, lambda text, q=question: q in text)
            on_dashboard = pool.submit(first_seen, outer, "=idle:", lambda text, w=waiting: bool(w(text)))
            tmux(agents_socket, "send-keys", "-t", agent, f"ask q{n}.txt", "Enter")
            asked, shown = on_agent.result(), on_dashboard.result()
            if asked and shown:
                found.append(1000 * (shown - asked))
            else:
                where = (outer, "=idle:") if asked else (agents_socket, agent)
                progress(
                    f"  sample {n}: {where[1]} never showed it:\n"
                    + tmux(where[0], "capture-pane", "-p", "-t", where[1])
                )
            tmux(agents_socket, "send-keys", "-t", agent, "2", "Enter")  # "No": the agent is idle again
            first_seen(outer, "=idle:", lambda text, w=waiting: not w(text))
            time.sleep(random.uniform(0.3, 1.3))  # spread the samples over the core's rounds
    return found


# -- the app in-process, headless: refresh and key latency ---------------------------------


def synthetic(step: int, instances: int = 50, tasks: int = 1000):
    """A view of 50 instances and 1,000 tasks; `step` changes CPU, activity and a few tasks."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from cc_orchestrator.core.models import Event, EventKind, Level, ResourceUsage, TaskStatus
    from cc_orchestrator.tui.view import View
    from tests.tui.demo import demo_view

    base = demo_view()
    now = datetime(2025, 6, 2, 14, 30, tzinfo=UTC) + timedelta(seconds=step)
    proto_i, proto_t, proto_w = base.instances[3], base.tasks[4], base.worktrees[0]
    statuses = list(TaskStatus)
    rows = tuple(
        replace(
            proto_i,
            id=f"{n:06x}",
            task_id=n + 1,
            branch=f"cco/task-{n + 1}",
            worktree_id=f"w{n:05d}",
            resource_usage=ResourceUsage((n * 7 + step * 13) % 100, 300 + n, 3),
            last_activity=now - timedelta(seconds=n),
        )
        for n in range(instances)
    )
    board = tuple(
        replace(
            proto_t,
            id=n + 1,
            title=f"Task number {n + 1} with a realistic length title",
            status=statuses[(n + (step if n % 200 == 0 else 0)) % len(statuses)],
            dependencies=(n,) if n % 7 == 0 and n else (),
        )
        for n in range(tasks)
    )
    worktrees = tuple(
        replace(proto_w, id=f"w{n:05d}", branch=f"cco/task-{n + 1}", instance_id=f"{n:06x}") for n in range(instances)
    )
    events = tuple(
        Event(id=n + 1, created_at=now, kind=EventKind.LOG_MESSAGE, level=Level.INFO, message=f"event {n + 1}")
        for n in range(500 + step * 5)
    )
    snapshot = replace(base.snapshot, instances=rows, tasks=board, worktrees=worktrees, events=())
    return View(snapshot, events[-1000:], repo=None)


class NoReads:
    """No git reports or screens: the in-process figures time the event loop alone."""

    def report(self, worktree_id):
        return None

    def output_mark(self, instance_id):
        return None


def keep_busy(app, stop, hold: float = 0.5) -> None:
    """In a thread: kick the core's Live back to back (a full round each: tmux, /proc, the
    store), and every `hold` seconds land a new 50/1,000 view."""
    from cc_orchestrator.tui.feed import Feed

    step, next_view = 0, time.monotonic() + hold
    while not stop.is_set():
        app.feed.kick()
        if time.monotonic() >= next_view:
            step, next_view = step + 1, time.monotonic() + hold
            app.post_message(Feed.Updated(synthetic(step)))
        stop.wait(0.005)


async def _painted(app) -> float:
    import asyncio

    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await done.wait()
    return time.perf_counter()


async def bench_refresh(orch, runs: int) -> tuple[list[float], list[float], float]:
    from cc_orchestrator.tui.app import OrchestratorApp

    app = OrchestratorApp(orch, None, live=False, reads=NoReads(), initial=synthetic(0))
    apply, paint = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        t0 = time.perf_counter()
        app.view = synthetic(1)
        first = (await _painted(app) - t0) * 1000
        for step in range(2, runs + 2):
            view = synthetic(step)
            t0 = time.perf_counter()
            app.view = view
            apply.append((time.perf_counter() - t0) * 1000)
            paint.append((await _painted(app) - t0) * 1000)
            await pilot.pause(0.02)
    return apply, paint, first


async def bench_keys(orch, presses: int, busy: bool) -> list[float]:
    import asyncio
    import threading

    from textual import events

    from cc_orchestrator.tui.app import OrchestratorApp

    app = OrchestratorApp(orch, None, live=busy, reads=NoReads(), initial=synthetic(0))
    samples, stop = [], threading.Event()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(1.0)
        if busy:
            threading.Thread(target=keep_busy, args=(app, stop), daemon=True).start()
            await pilot.pause(0.5)
        table = app.dashboard.instances.table
        for n in range(presses):
            before = table.cursor_row
            t0 = time.perf_counter()
            app.post_message(events.Key("down" if n % 2 == 0 else "up", None))
            while table.cursor_row == before:
                await asyncio.sleep(0.0005)
            samples.append((await _painted(app) - t0) * 1000)
            await asyncio.sleep(0.05)
        stop.set()
    return samples


# -- main -----------------------------------------------------------------------------------


def setup(root: Path, socket: str, count: int):
    from cc_orchestrator.core.orchestrator import Orchestrator

    for name in list(os.environ):
        if name.startswith("CC_ORCHESTRATOR_"):
            del os.environ[name]
    os.environ.pop("TMUX", None)
    os.environ.update(
        CC_ORCHESTRATOR_CONFIG_FILE=str(root / "no-config.toml"),
        CC_ORCHESTRATOR_DATA_DIR=str(root / "data"),
        CC_ORCHESTRATOR_TMUX_SOCKET=socket,
        CC_ORCHESTRATOR_AGENT_COMMAND=f"{sys.executable} {FAKE_AGENT}",
        CC_ORCHESTRATOR_DEFAULT_AGENT="generic",
        CC_ORCHESTRATOR_MAX_INSTANCES="60",
    )
    repo = root / "repo"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "b@example.com"], ["config", "user.name", "B"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    (repo / "README.md").write_text("benchmark\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "initial"], check=True)
    os.environ["CCO_BENCH_REPO"] = str(repo)
    orch = Orchestrator()
    for n in range(50):
        orch.tasks.add(f"Task {n + 1}: something worth doing", "work 0.1")
    progress(f"starting {count} instances")
    for task in orch.tasks.ready(limit=count):
        orch.assign(task.id, repo, wait=False)
    deadline = time.monotonic() + 60
    while any(i.status.value in ("STARTING", "RUNNING") or i.pending_prompt for i in orch.instances.list()):
        if time.monotonic() > deadline:
            raise RuntimeError("the agents did not settle within 60 s")
        time.sleep(0.2)
    return orch


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--starts", type=int, default=5, help="cold starts to time")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle measurement")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before the idle window")
    parser.add_argument("--asks", type=int, default=20, help="questions timed after the idle window (5.)")
    parser.add_argument("--only", default="1234", help="which figures, e.g. --only 14")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--quit-after-paint", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        try:
            return child(args.child, args.quit_after_paint)
        except BaseException:
            import traceback

            Path(f"{args.child}.err").write_text(traceback.format_exc())
            raise

    import asyncio

    signal.signal(signal.SIGTERM, _interrupt)  # cleaned up like Ctrl-C
    socket, outer = f"cco-bench-{uuid.uuid4().hex[:8]}", f"cco-bench-term-{uuid.uuid4().hex[:8]}"
    root = Path(tempfile.mkdtemp(prefix="cco-bench-tui-"))
    orch = None
    try:
        orch = setup(root, socket, args.instances)
        load = os.getloadavg()
        print(f"{os.cpu_count()} CPUs, load {load[0]:.2f}; {args.instances} idle instances, 50 tasks in the store\n")
        if "1" in args.only:
            progress("1. cold starts")
            cold = bench_cold_start(outer, root, args.starts)
            print(
                f"1. cold start to the first painted dashboard with rows   {stats(cold)}   target < 400 ms", flush=True
            )
        if "2" in args.only:
            progress("2. refresh with 50 instances and 1,000 tasks")
            apply, paint, first = asyncio.run(bench_refresh(orch, 30))
            print(f"2. refresh 50 instances / 1,000 tasks: apply on the loop {stats(apply)}   target < 16 ms")
            print(f"   ... until that frame is painted                     {stats(paint)}")
            print(f"   (first fill of 1,000 cards, once: {first:.0f} ms)", flush=True)
        if "3" in args.only:
            progress("3. key to screen, with nothing else running and while a refresh runs")
            quiet = asyncio.run(bench_keys(orch, 20, busy=False))
            busy = asyncio.run(bench_keys(orch, 40, busy=True))
            print(f"3. key to screen, nothing else running                 {stats(quiet)}")
            print(f"   key to screen while a refresh runs                  {stats(busy)}")
            print(
                "   (the core's Live kicked back to back over the live instances; a 50/1,000 view every ~0.5 s)",
                flush=True,
            )
        if "4" in args.only:
            progress(f"4. idle cost over {args.idle:.0f} s after {args.warmup:.0f} s of warm-up")
            idle = bench_idle(outer, root, socket, args.idle, args.warmup, orch, args.asks)
            print(
                f"4. idle with {args.instances} instances: {idle['cpu']:.2f}% of one core "
                "(children included; target < 0.3%), "
                f"{idle['tmux']:.2f} tmux + {idle['git']:.2f} git calls/s (target 0)"
            )
            print(
                f"   the dashboard's memory (RSS) with {args.instances} instances: {idle['rss']:.1f} MB "
                "(target < 55 MB)"
            )
            print(
                f"   (the agents' tmux server meanwhile: {idle['server_cpu']:.2f}% of a core, not our child; "
                f"the warm-up made {idle['warmup_calls']} calls, mostly git reports of each worktree once)"
            )
            print(
                f"   the first 5 s after start: {idle['first_tmux']} tmux + {idle['first_git']} git calls "
                "(target: no burst growing with the worktrees)"
            )
            if idle["latency"]:
                print(
                    f"5. agent asks -> WAITING_INPUT on the dashboard        {stats(idle['latency'])}   "
                    f"target p95 < 150 ms ({len(idle['latency'])} samples)"
                )
    finally:
        for name in (outer, socket):
            subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)
        if orch is not None:
            orch.close()
        subprocess.run(["rm", "-rf", str(root)])


if __name__ == "__main__":
    main()
