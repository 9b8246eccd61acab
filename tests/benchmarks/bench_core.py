"""How fast the core feels with real parts: prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_core.py [--runs 30] [--start-runs 10] [--cli-runs 20]

Everything is real and private: a temp git repository, a tmux server on its own socket
(`cco-bench-<random>`, killed at the end, also on Ctrl-C), temp data dirs, and the fake agent
(tests/fake_agent.py) as the agent.

Targets:
  1. refresh: `instances.list()` (refresh + psutil sample of every instance) with 1, 20 and 50
     live instances: at most 2 tmux calls per refresh; median under 25 ms at 20 instances.
  2. start: `instances.start(repo)` until RUNNING, and until the agent's ready line is on its
     screen: under 1 s.
  3. CLI start-up: `cc-orchestrator --help` and `cc-orchestrator tasks list` (50 tasks):
     under 150 ms wall time (`python -c pass` is printed as the floor).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cc_orchestrator.core.models import InstanceStatus  # noqa: E402
from cc_orchestrator.core.orchestrator import Orchestrator  # noqa: E402
from tests.helpers import count_tmux_calls  # noqa: E402

FAKE_AGENT = Path(__file__).resolve().parents[1] / "fake_agent.py"
AGENT_COMMAND = f"{sys.executable} {FAKE_AGENT}"
READY_LINE = "fake-agent ready"
COUNTS = (1, 20, 50)
CLI_TASKS = 50
READY_TIMEOUT = 30.0  # generous: a loaded 2-core machine starts 50 Pythons slowly


@dataclass
class Figure:
    name: str
    samples: list[float]  # milliseconds
    target_ms: float | None = None
    calls: list[int] | None = None  # tmux calls per operation
    calls_target: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def ok(self) -> bool:
        time_ok = self.target_ms is None or self.median < self.target_ms
        calls_ok = self.calls_target is None or max(self.calls or [0]) <= self.calls_target
        return time_ok and calls_ok


def progress(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


# -- the environment -------------------------------------------------------------------


def isolate(root: Path) -> None:
    """No user config, no inherited CC_ORCHESTRATOR_* variables, not inside the user's tmux."""
    for name in list(os.environ):
        if name.startswith("CC_ORCHESTRATOR_"):
            del os.environ[name]
    os.environ.pop("TMUX", None)
    os.environ.pop("TMUX_PANE", None)
    os.environ["CC_ORCHESTRATOR_CONFIG_FILE"] = str(root / "no-config.toml")


def make_repo(path: Path) -> Path:
    path.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "bench@example.com")
    git("config", "user.name", "Bench")
    git("config", "commit.gpgsign", "false")
    (path / "README.md").write_text("benchmark repository\n")
    git("add", "README.md")
    git("commit", "-q", "-m", "initial")
    return path


def new_orchestrator(data_dir: Path, socket: str) -> Orchestrator:
    data_dir.mkdir()
    return Orchestrator(
        data_dir,
        tmux_socket=socket,
        agent_command=AGENT_COMMAND,
        default_agent="generic",
        max_instances=60,
        stop_timeout=2.0,
    )


def screen_has_ready_line(orch: Orchestrator, session: str) -> bool:
    try:
        return READY_LINE in orch.tmux.capture(session)
    except Exception:  # the session may be gone (the agent failed): the caller times out
        return False


def wait_ready(orch: Orchestrator, sessions: list[str], timeout: float = READY_TIMEOUT) -> None:
    waiting = set(sessions)
    deadline = time.monotonic() + timeout
    while waiting:
        waiting = {s for s in waiting if not screen_has_ready_line(orch, s)}
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(waiting)} agents not ready after {timeout:.0f}s: {sorted(waiting)[:3]}")
        time.sleep(0.05)


# -- 2. starting an instance -----------------------------------------------------------


def bench_start(orch: Orchestrator, repo: Path, runs: int) -> list[Figure]:
    to_running: list[float] = []
    to_ready: list[float] = []
    calls: list[int] = []
    first = 0.0
    counter = count_tmux_calls(orch.tmux)
    for run in range(runs + 1):  # the first run starts the tmux server: a warm-up
        before = counter.calls
        began = time.perf_counter()
        instance = orch.instances.start(repo)
        running = time.perf_counter()
        after = counter.calls
        if instance.status is not InstanceStatus.RUNNING:
            raise RuntimeError(f"instance {instance.id} is {instance.status.value}, not RUNNING")
        deadline = running + READY_TIMEOUT
        while not screen_has_ready_line(orch, instance.tmux_session):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"instance {instance.id}: no ready line after {READY_TIMEOUT:.0f}s")
            time.sleep(0.005)
        ready = time.perf_counter()
        if run:
            to_running.append((running - began) * 1000)
            to_ready.append((ready - began) * 1000)
            calls.append(after - before)
        else:
            first = (running - began) * 1000
        orch.instances.stop(instance.id)
    progress(f"the first start, which also started the tmux server, took {first:.0f} ms to RUNNING")
    return [
        Figure("start() -> RUNNING", to_running, 1000, calls),
        Figure("start() -> ready line on screen", to_ready, 1000),
    ]


# -- 1. refresh ------------------------------------------------------------------------


def bench_refresh(orch: Orchestrator, repo: Path, runs: int) -> list[Figure]:
    figures: list[Figure] = []
    sessions: list[str] = []
    counter = count_tmux_calls(orch.tmux)
    for count in COUNTS:
        began = time.perf_counter()
        while len(sessions) < count:
            sessions.append(orch.instances.start(repo).tmux_session)
        wait_ready(orch, sessions)
        progress(f"{count} instances live and ready ({time.perf_counter() - began:.1f}s to add them)")
        listed = orch.instances.list()  # warm-up: first psutil samples, last_activity writes
        orch.instances.list()
        live = [i for i in listed if i.status.is_live and i.pid]
        if len(live) != count:
            raise RuntimeError(f"expected {count} running instances with a pid, found {len(live)}")
        for label, fn in (("list()", orch.instances.list), ("refresh() only", orch.instances.refresh)):
            calls: list[int] = []

            def once(fn=fn, calls=calls) -> None:
                before = counter.calls
                fn()
                calls.append(counter.calls - before)

            samples = timed(once, runs)
            target = 25.0 if count == 20 and label == "list()" else None
            noun = "instance" if count == 1 else "instances"
            figures.append(Figure(f"{label:<15} {count:>2} {noun}", samples, target, calls, 2))
    return figures


# -- 3. CLI start-up -------------------------------------------------------------------


def bench_cli(root: Path, runs: int) -> list[Figure]:
    data_dir = root / "cli-data"
    data_dir.mkdir()
    orch = Orchestrator(data_dir)
    try:
        for i in range(CLI_TASKS):
            depends = [i] if i % 4 == 3 else []  # some blocked tasks, as on a real board
            orch.tasks.add(
                f"Task {i + 1}: fix the thing in module {i % 7}",
                "details " * 10,
                priority=("high", "medium", "low")[i % 3],
                dependencies=depends,
            )
    finally:
        orch.close()
    entry = Path(sys.executable).parent / "cc-orchestrator"
    if not entry.exists():
        raise RuntimeError(f"no installed entry point at {entry} (pip install -e . in the venv)")
    env = {**os.environ, "CC_ORCHESTRATOR_DATA_DIR": str(data_dir)}
    cases = [
        ("cc-orchestrator --help", [str(entry), "--help"], 150),
        (f"cc-orchestrator tasks list ({CLI_TASKS} tasks)", [str(entry), "tasks", "list"], 150),
        ("python -c pass  (floor)", [sys.executable, "-c", "pass"], None),
    ]
    figures = []
    for name, argv, target in cases:

        def once(argv=argv) -> None:
            result = subprocess.run(argv, env=env, cwd=root, capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr.strip()[-500:]}")

        once()
        once()  # two warm-ups: the page cache and .pyc files
        figures.append(Figure(name, timed(once, runs), target))
    # `tasks list` printed every task (a sanity check that the 50 rows were read)
    out = subprocess.run([str(entry), "tasks", "list"], env=env, cwd=root, capture_output=True, text=True).stdout
    shown = sum(1 for line in out.splitlines() if line.strip()[:1].isdigit())
    if shown != CLI_TASKS:
        raise RuntimeError(f"`tasks list` showed {shown} tasks, expected {CLI_TASKS}")
    return figures


# -- output ----------------------------------------------------------------------------


def print_table(sections: list[tuple[str, list[Figure]]]) -> None:
    print(f"{'figure':<46} {'median':>10} {'p95':>10}  {'tmux calls':>10}  target")
    for title, figures in sections:
        print(title)
        for f in figures:
            calls = f"{statistics.median(f.calls):.0f} (max {max(f.calls)})" if f.calls else "-"
            target = []
            if f.target_ms is not None:
                target.append(f"median < {f.target_ms:.0f} ms")
            if f.calls_target is not None:
                target.append(f"<= {f.calls_target} calls")
            verdict = ("  OK" if f.ok else "  MISS") if target else ""
            print(
                f"  {f.name:<44} {f.median:>7.1f} ms {f.p95:>7.1f} ms  {calls:>10}  {', '.join(target) or '-'}{verdict}"
            )


def summaries(refresh: list[Figure], start: list[Figure], cli: list[Figure]) -> list[str]:
    by_name = {f.name: f for f in refresh}
    lst = {n: by_name[f"{'list()':<15} {n:>2} {'instance' if n == 1 else 'instances'}"] for n in COUNTS}
    only = {n: by_name[f"{'refresh() only':<15} {n:>2} {'instance' if n == 1 else 'instances'}"] for n in COUNTS}
    worst_calls = max(max(f.calls) for f in refresh)
    at20 = lst[20]
    lines = [
        f"1. refresh: list() at 20 instances median {at20.median:.1f} ms (target < 25 ms) "
        f"{'OK' if at20.ok else 'MISS'}; at most {worst_calls} tmux call(s) per refresh at any count "
        f"(target <= 2) {'OK' if worst_calls <= 2 else 'MISS'}; of list() at 50, refresh() is "
        f"{only[50].median:.1f} ms and the psutil sampling {max(lst[50].median - only[50].median, 0):.1f} ms.",
    ]
    running, ready = start
    lines.append(
        f"2. start: RUNNING after {running.median:.0f} ms median (p95 {running.p95:.0f}), agent's ready line "
        f"after {ready.median:.0f} ms median (p95 {ready.p95:.0f}); target < 1000 ms "
        f"{'OK' if running.ok and ready.ok else 'MISS'}."
    )
    helps, tasks, floor = cli
    lines.append(
        f"3. CLI: --help {helps.median:.0f} ms, tasks list {tasks.median:.0f} ms median "
        f"(target < 150 ms) {'OK' if helps.ok and tasks.ok else 'MISS'}; the interpreter alone is "
        f"{floor.median:.0f} ms, so the CLI's own cost is {helps.median - floor.median:.0f} / "
        f"{tasks.median - floor.median:.0f} ms."
    )
    return lines


# -- main ------------------------------------------------------------------------------


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="refresh runs per instance count")
    parser.add_argument("--start-runs", type=int, default=10)
    parser.add_argument("--cli-runs", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("tmux") is None or shutil.which("git") is None:
        sys.exit("this benchmark needs tmux and git on PATH")
    signal.signal(signal.SIGTERM, _interrupt)  # cleaned up like Ctrl-C
    signal.signal(signal.SIGHUP, _interrupt)

    socket = f"cco-bench-{uuid.uuid4().hex[:10]}"
    root = Path(tempfile.mkdtemp(prefix="cco-bench-"))
    orchestrators: list[Orchestrator] = []
    wall = time.perf_counter()
    try:
        isolate(root)
        repo = make_repo(root / "repo")
        load = os.getloadavg()
        print(
            f"{os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; tmux socket {socket}; "
            f"{args.runs} refresh runs per count, {args.start_runs} starts, {args.cli_runs} CLI runs\n",
            flush=True,
        )

        progress(f"2. starting and stopping {args.start_runs + 1} instances one at a time")
        starter = new_orchestrator(root / "data-start", socket)
        orchestrators.append(starter)
        start = bench_start(starter, repo, args.start_runs)

        progress(f"1. refresh with {', '.join(map(str, COUNTS))} live instances")
        watcher = new_orchestrator(root / "data-refresh", socket)
        orchestrators.append(watcher)
        refresh = bench_refresh(watcher, repo, args.runs)
        stop_tmux(socket)  # 50 idle agents would only add noise to the CLI figures

        progress("3. CLI start-up")
        cli = bench_cli(root, args.cli_runs)

        print_table(
            [
                ("1. refresh: list() = refresh() + psutil sample of each instance", refresh),
                ("2. starting an instance (worktree + tmux session + agent)", start),
                ("3. CLI start-up (wall time of a subprocess)", cli),
            ]
        )
        print()
        for line in summaries(refresh, start, cli):
            print(line)
        print(f"\n(whole benchmark: {time.perf_counter() - wall:.0f}s)")
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        sys.exit(130)
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a 2nd Ctrl-C must not skip this
        for orch in orchestrators:
            try:
                orch.close()
            except Exception:
                pass
        stop_tmux(socket)
        shutil.rmtree(root, ignore_errors=True)
        signal.signal(signal.SIGINT, previous)


def stop_tmux(socket: str) -> None:
    """Kill the private tmux server and make sure its agents are gone with it."""
    import psutil

    listed = subprocess.run(
        ["tmux", "-L", socket, "list-panes", "-a", "-F", "#{pane_pid}"], capture_output=True, text=True
    )
    pids = [int(p) for p in listed.stdout.split() if p.isdigit()]
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    # tmux leaves its socket file behind; it is ours (the name is random), so remove it
    tmpdir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp")
    (tmpdir / f"tmux-{os.getuid()}" / socket).unlink(missing_ok=True)
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(procs, timeout=3)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass


if __name__ == "__main__":
    main()
