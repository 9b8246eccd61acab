"""Push, not poll: black-box figures to compare before and after the refresh loop changes.

    .venv/bin/python tests/benchmarks/bench_push.py [--agents 10,20,50] [--samples 20] [--idle 30]
        [--warmup 15] [--only 12345] [--peers-dir DIR] [--no-peers]

Prints figures and asserts nothing. It touches only what users touch: the CLI
(`python -m cc_orchestrator`, `... serve`, `... instances list --json`), the `Orchestrator`
facade to start agents, and tests/fake_agent.py. So the same script measures any checkout.

--agents A,B,C: A agents for the latencies (1), B and C for the idle cost (2), B for memory and
first paint (3), 1/B/C for `instances list` (5); the calls of the first 15 s with C agents.

Everything is private and removed at the end (also on Ctrl-C or SIGTERM): a temp folder (git
repository, data dir, worktrees, shims, logs), the agents' tmux server `ccob-agents-<random>`,
one "terminal" tmux server per dashboard (`ccob-term-<random>`), the serve subprocesses, and the
peers' processes. The peers (npm `ccmanager`, PyPI `openorchestrator`) are installed into a temp
folder, or into --peers-dir (kept, so a second run skips the install).

How each figure is measured:
  1a. dashboard in a real terminal (a pane of its own tmux server, 200x50). Per sample: an idle
      agent gets `ask qN.txt` (tmux send-keys); one thread polls the agent's pane (capture-pane,
      every ~5 ms) for the question, another polls the dashboard's pane for that instance's row
      (the line that starts with its id) showing WAITING_INPUT. Latency = dashboard - agent screen.
      Then `1` Enter answers it and the row must show IDLE again. A random 0.3-1.3 s pause between
      samples spreads them over the poll phase.
  1b. the same question; time until /ws delivers `instance_status` WAITING_INPUT for that id.
  1c. ccmanager (if it installs and runs): its own PTY runs the same fake agent; since ccmanager
      owns that PTY, the agent reads its lines from a FIFO and its output is also tee'd to a file
      (the agent-screen time is when the question reaches that file).
  2.  CPU of the process (user+system of all its threads, plus children_user/children_system of
      every reaped child: the tmux and git it ran) over the window, as % of one core; tmux/git
      calls from shims first on its PATH (a line per call); other children by sampling /proc every
      ~10 ms (short ones can be missed). The shims cost CPU themselves (measured, printed, and
      subtracted in "net").
  3.  RSS of the dashboard's Python process after the warm-up; first paint = spawning the
      terminal pane until a capture (every ~10 ms) shows an instance row.
  4.  openorchestrator: same CPU/RSS method, if it runs.
  5.  `instances list --json`: wall time of the whole process (median of N), tmux/git calls per run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import resource
import shlex
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
FAKE_AGENT = ROOT / "tests" / "fake_agent.py"
PY = sys.executable
SIZE = (200, 50)
REAL_TMUX = shutil.which("tmux") or "tmux"
REAL_GIT = shutil.which("git") or "git"
STATES = ("STARTING", "RUNNING", "WAITING_INPUT", "IDLE", "ERROR", "STOPPED")
TOKEN = "bench-" + uuid.uuid4().hex


def progress(text: str) -> None:
    print(f"# [{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def out(text: str = "") -> None:
    print(text, flush=True)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(samples: list[float], unit: str = "ms") -> str:
    if not samples:
        return "no samples"
    return (
        f"p50 {statistics.median(samples):7.1f} {unit}  p95 {pct(samples, 95):7.1f} {unit}  "
        f"min {min(samples):7.1f} {unit}  max {max(samples):7.1f} {unit}  (n={len(samples)})"
    )


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def samples_text(samples: list[float]) -> str:
    return " ".join(f"{v:.0f}" for v in sorted(samples)) or "-"


def tmux(sock: str, *args: str, check: bool = False) -> str:
    return subprocess.run([REAL_TMUX, "-L", sock, *args], capture_output=True, text=True, check=check).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- cleanup ---------------------------------------------------------------------------------


class Janitor:
    """Everything this run started, ended at exit (tmux servers, processes, folders)."""

    def __init__(self) -> None:
        self.sockets: list[str] = []
        self.procs: list[subprocess.Popen] = []
        self.pids: set[int] = set()  # stray descendants (a peer's agents) to end at the end
        self.dirs: list[Path] = []

    def socket(self, prefix: str) -> str:
        name = f"ccob-{prefix}-{uuid.uuid4().hex[:8]}"
        self.sockets.append(name)
        return name

    def kill_socket(self, name: str) -> None:
        subprocess.run([REAL_TMUX, "-L", name, "kill-server"], capture_output=True)
        folder = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (folder / name).unlink(missing_ok=True)  # kill-server leaves the socket file

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 10) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)

    def end_pids(self, pids) -> None:
        import psutil

        alive = []
        for pid in pids:
            try:
                p = psutil.Process(pid)
                p.terminate()
                alive.append(p)
            except psutil.Error:
                pass
        _, left = psutil.wait_procs(alive, timeout=3)
        for p in left:
            try:
                p.kill()
            except psutil.Error:
                pass

    def close(self) -> None:
        for proc in self.procs:
            try:
                self.stop(proc, timeout=5)
            except Exception:
                pass
        for name in self.sockets:
            self.kill_socket(name)
        self.end_pids(self.pids)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


JANITOR = Janitor()


# -- shims: count the tmux and git processes a process tree starts ---------------------------


class Shims:
    def __init__(self, folder: Path) -> None:
        self.dir = folder
        folder.mkdir(parents=True)
        self.log = folder / "calls.log"
        self.log.write_text("")
        for name, real in (("tmux", REAL_TMUX), ("git", REAL_GIT)):
            path = folder / name
            path.write_text(f'#!/bin/sh\necho "{name} $*" >> {shlex.quote(str(self.log))}\nexec {real} "$@"\n')
            path.chmod(0o755)

    @property
    def path(self) -> str:
        return f"{self.dir}:{os.environ['PATH']}"

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def count(self) -> Counter:
        return Counter(line.split(" ", 1)[0] for line in self.lines())


def shim_cost(root: Path, runs: int = 60) -> float:
    """CPU ms one shim adds to a tmux call (dash startup + echo), from the children's rusage."""
    shims = Shims(root / "shim-calibration")

    def cpu_per_call(argv: list[str]) -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for _ in range(runs):
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / runs * 1000

    cpu_per_call([REAL_TMUX, "-V"])  # warm the page cache
    real = statistics.median(cpu_per_call([REAL_TMUX, "-V"]) for _ in range(3))
    shimmed = statistics.median(cpu_per_call([str(shims.dir / "tmux"), "-V"]) for _ in range(3))
    return max(0.0, shimmed - real)


# -- processes: CPU, children, memory ----------------------------------------------------------


def cpu_seconds(proc) -> float:
    """The process's own CPU (all threads) plus that of every child it has reaped."""
    t = proc.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def live_descendants_cpu(proc, exclude: set[int]) -> dict[int, float]:
    """CPU so far of each live descendant (not reaped yet, so not in children_*)."""
    import psutil

    found = {}
    try:
        children = proc.children(recursive=True)
    except psutil.Error:
        return found
    for child in children:
        if child.pid in exclude:
            continue
        try:
            t = child.cpu_times()
            found[child.pid] = t.user + t.system
        except psutil.Error:
            continue
    return found


def _kind(name: str) -> str:
    """tmux clients rename themselves "tmux: client"; a shim is named after its tool."""
    for tool in ("tmux", "git"):
        if name == tool or name.startswith(tool + ":") or name.startswith(tool + "-"):
            return tool
    return name


class ChildWatcher(threading.Thread):
    """Samples the process tree every ~10 ms and notes each new descendant (name, command)."""

    def __init__(self, proc, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.proc, self.interval = proc, interval
        self.known = {c.pid for c in self._children()}
        self.seen: dict[int, tuple[str, str]] = {}
        self._halt = threading.Event()

    def _children(self):
        import psutil

        try:
            return self.proc.children(recursive=True)
        except psutil.Error:
            return []

    def run(self) -> None:
        import psutil

        while not self._halt.is_set():
            for child in self._children():
                if child.pid in self.known or child.pid in self.seen:
                    continue
                try:
                    self.seen[child.pid] = (_kind(child.name()), " ".join(child.cmdline())[:70])
                except psutil.Error:
                    self.seen[child.pid] = ("(exited before its name was read)", "")
            self._halt.wait(self.interval)

    def finish(self) -> tuple[Counter, dict[str, str]]:
        self._halt.set()
        self.join(timeout=2)
        examples = {}
        for kind, command in self.seen.values():
            examples.setdefault(kind, command)
        return Counter(kind for kind, _ in self.seen.values()), examples


def find_process(root_pid: int, needle: str, timeout: float = 15):
    """The process (root_pid or a descendant) whose command line contains `needle`, not the
    shell or `env` that started it."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            top = psutil.Process(root_pid)
            for p in [top, *top.children(recursive=True)]:
                try:
                    if p.name() not in ("sh", "dash", "bash", "env") and needle in " ".join(p.cmdline()):
                        return p
                except psutil.Error:
                    continue
        except psutil.Error:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no process matching {needle!r} under pid {root_pid}")


def tmux_server_cpu(sock: str) -> float:
    import psutil

    try:
        pid = int(tmux(sock, "display-message", "-p", "#{pid}").strip())
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except (ValueError, psutil.Error):
        return 0.0


class Window:
    """CPU, shim calls and sampled children of one process tree over a measuring window.

    CPU = the process (all threads) + its reaped children (children_user/system) + its live
    descendants' own CPU in the window (a long-lived child, e.g. a tmux control client, is not
    reaped yet); `exclude`: live descendants left out (a peer's agents run as its children)."""

    def __init__(self, proc, shims: Shims, agents_socket: str | None = None, exclude: set[int] = frozenset()) -> None:
        self.proc, self.shims, self.agents_socket, self.exclude = proc, shims, agents_socket, set(exclude)

    def __enter__(self):
        self.watcher = ChildWatcher(self.proc)
        self.watcher.start()
        self.calls0 = self.shims.count()
        self.server0 = tmux_server_cpu(self.agents_socket) if self.agents_socket else 0.0
        self.rss0 = _rss_mb(self.proc)
        self.live0 = live_descendants_cpu(self.proc, self.exclude)
        self.cpu0, self.t0 = cpu_seconds(self.proc), time.time()
        return self

    def __exit__(self, *exc) -> None:
        self.cpu1, self.t1 = cpu_seconds(self.proc), time.time()
        self.live1 = live_descendants_cpu(self.proc, self.exclude)
        self.calls1 = self.shims.count()
        self.server1 = tmux_server_cpu(self.agents_socket) if self.agents_socket else 0.0
        self.others, self.examples = self.watcher.finish()

    def result(self, shim_ms: float) -> dict:
        span = self.t1 - self.t0
        tmux_n = self.calls1["tmux"] - self.calls0["tmux"]
        git_n = self.calls1["git"] - self.calls0["git"]
        live = sum(v - self.live0.get(pid, 0.0) for pid, v in self.live1.items())
        live -= sum(v for pid, v in self.live0.items() if pid not in self.live1)  # reaped: counted in children_*
        cpu = (self.cpu1 - self.cpu0 + live) / span * 100
        shim_share = (tmux_n + git_n) * shim_ms / 1000 / span * 100
        others = Counter({k: v for k, v in self.others.items() if k not in ("tmux", "git")})
        return {
            "span": span,
            "cpu": cpu,
            "cpu_net": max(0.0, cpu - shim_share),
            "live_cpu": live / span * 100,
            "tmux_s": tmux_n / span,
            "git_s": git_n / span,
            "sampled_tmux_git": self.others.get("tmux", 0) + self.others.get("git", 0),
            "others_s": sum(others.values()) / span,
            "others": dict(others),
            "examples": {k: v for k, v in self.examples.items() if k in others},
            "server_cpu": (self.server1 - self.server0) / span * 100 if self.agents_socket else None,
            "rss_start_mb": self.rss0,
            "rss_mb": _rss_mb(self.proc),
        }


def _rss_mb(proc) -> float:
    import psutil

    try:
        return proc.memory_info().rss / 2**20
    except psutil.Error:
        return float("nan")


def fmt_window(r: dict) -> str:
    others = "; ".join(f"{k} x{v}: {r['examples'].get(k, '')}" for k, v in sorted(r["others"].items())) or "none"
    return (
        f"CPU {r['cpu']:5.2f}% of a core (net of shims {r['cpu_net']:5.2f}%), "
        f"{r['tmux_s']:5.2f} tmux/s + {r['git_s']:5.2f} git/s"
        + (f"; agents' tmux server meanwhile {r['server_cpu']:.2f}%" if r["server_cpu"] is not None else "")
        + f"\n      other children seen (sampled every 10 ms): {r['others_s']:.2f}/s ({others})"
        + (f"; live children's CPU {r['live_cpu']:.2f}% (included)" if abs(r["live_cpu"]) >= 0.005 else "")
        + f"; tmux/git sampled {r['sampled_tmux_git']} of {round((r['tmux_s'] + r['git_s']) * r['span'])} logged"
    )


# -- the agents ----------------------------------------------------------------------------------


def terminal_conf(root: Path) -> Path:
    """The "terminal" servers keep a dead pane, so a crash's last words stay readable."""
    conf = root / "terminal.conf"
    if not conf.exists():
        conf.write_text("set -g remain-on-exit on\n")
    return conf


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "b@example.com"], ["config", "user.name", "B"]):
        subprocess.run([REAL_GIT, "-C", str(path), *args], check=True)
    (path / "README.md").write_text("benchmark\n")
    subprocess.run([REAL_GIT, "-C", str(path), "add", "."], check=True)
    subprocess.run([REAL_GIT, "-C", str(path), "commit", "-q", "-m", "initial"], check=True)
    return path


class Agents:
    """Our fake agents, started through the Orchestrator facade."""

    def __init__(self, root: Path, sock: str) -> None:
        from cc_orchestrator.core.orchestrator import Orchestrator

        self.root, self.sock = root, sock
        self.repo = make_repo(root / "repo")
        self.data = root / "data"
        self.command = f"{PY} {FAKE_AGENT}"
        os.environ.update(
            CC_ORCHESTRATOR_CONFIG_FILE=str(root / "no-config.toml"),
            CC_ORCHESTRATOR_DATA_DIR=str(self.data),
            CC_ORCHESTRATOR_TMUX_SOCKET=sock,
            CC_ORCHESTRATOR_AGENT_COMMAND=self.command,
            CC_ORCHESTRATOR_DEFAULT_AGENT="generic",
            CC_ORCHESTRATOR_MAX_INSTANCES="100",
            CC_ORCHESTRATOR_WEB_TOKEN=TOKEN,
        )
        self.orch = Orchestrator(
            self.data, tmux_socket=sock, agent_command=self.command, max_instances=100, default_agent="generic"
        )
        self.started: list[tuple[str, str]] = []  # (instance id, tmux session), oldest first

    def grow(self, count: int) -> None:
        t0 = time.monotonic()
        while len(self.started) < count:
            instance = self.orch.instances.start(self.repo)
            session = getattr(instance, "tmux_session", None) or f"cc-orchestrator-{instance.id}"
            self.started.append((instance.id, session))
        self.wait_idle()
        progress(f"{count} agents idle ({time.monotonic() - t0:.1f} s to start the new ones)")

    def wait_idle(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {i.id: i.status.value for i in self.orch.instances.list()}
            if all(states.get(iid) == "IDLE" for iid, _ in self.started):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"agents not idle after {timeout:.0f} s: {Counter(states.values())}")
            time.sleep(0.3)

    def screen(self, session: str) -> str:
        return tmux(self.sock, "capture-pane", "-p", "-t", f"={session}:")

    def send(self, session: str, *keys: str) -> None:
        tmux(self.sock, "send-keys", "-t", f"={session}:", *keys)

    def close(self) -> None:
        self.orch.close()


def wait_for(predicate, timeout: float, interval: float = 0.005):
    """Poll `predicate` until it returns something truthy: (value, time.time() of that poll)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        now = time.time()
        if value:
            return value, now
        if time.monotonic() > deadline:
            return None, now
        time.sleep(interval)


# -- the dashboard in a terminal -------------------------------------------------------------------


def row_states(text: str, ids) -> dict[str, str]:
    """{instance id: state word} from the instance table: a line whose first word is the id."""
    found: dict[str, str] = {}
    words = "|".join(STATES)
    for line in text.splitlines():
        m = re.match(rf"^[^\w]{{0,4}}([0-9a-f]{{6}})\s+({words})\*?(?:\s|$)", line)
        if m and m.group(1) in ids and m.group(1) not in found:
            found[m.group(1)] = m.group(2)
    return found


class Dashboard:
    """`python -m cc_orchestrator` in a pane of its own tmux server (the user's terminal)."""

    def __init__(self, root: Path, agents: Agents, label: str) -> None:
        self.agents = agents
        self.sock = JANITOR.socket("term")
        self.shims = Shims(root / f"shims-{label}-{uuid.uuid4().hex[:4]}")
        argv = ["env", f"PATH={self.shims.path}", PY, "-m", "cc_orchestrator"]
        self.t0 = time.time()
        subprocess.run(
            [REAL_TMUX, "-L", self.sock, "-f", str(terminal_conf(root)), "new-session", "-d", "-s", "dash",
             "-x", str(SIZE[0]), "-y", str(SIZE[1]), "-c", str(agents.repo), shlex.join(argv)],
            check=True,
        )  # fmt: skip
        pane_pid = int(tmux(self.sock, "display-message", "-p", "-t", "=dash:", "#{pane_pid}").strip())
        try:
            self.proc = find_process(pane_pid, "cc_orchestrator")
        except RuntimeError:
            raise RuntimeError(f"the dashboard did not start:\n{self.screen().strip()[-2000:]}") from None

    def screen(self) -> str:
        return tmux(self.sock, "capture-pane", "-p", "-t", "=dash:")

    def states(self) -> dict[str, str]:
        return row_states(self.screen(), {iid for iid, _ in self.agents.started})

    def first_paint(self, timeout: float = 30) -> tuple[float | None, int]:
        """Seconds from spawning until a capture shows an instance row; rows in that capture."""
        rows, when = wait_for(self.states, timeout, interval=0.01)  # light polling: 2 cores only
        return ((when - self.t0) if rows else None), len(rows or {})

    def wait_rows(self, ids, state: str = "IDLE", timeout: float = 60) -> bool:
        rows, _ = wait_for(lambda: all(self.states().get(i) == state for i in ids), timeout, interval=0.1)
        return bool(rows)

    def quit(self) -> None:
        tmux(self.sock, "send-keys", "-t", "=dash:", "q")
        try:
            self.proc.wait(timeout=10)
        except Exception:
            pass
        JANITOR.kill_socket(self.sock)


def bench_tui_latency(root: Path, agents: Agents, count: int, samples: int) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    ids = [iid for iid, _ in agents.started[:count]]
    dash = Dashboard(root, agents, "latency")
    paint, _ = dash.first_paint()
    if not dash.wait_rows(ids):
        raise RuntimeError(f"the dashboard does not show {count} IDLE rows:\n{dash.screen()}")
    time.sleep(2.0)
    latencies, to_screen, missed = [], [], 0
    pool = ThreadPoolExecutor(2)
    try:
        for n in range(samples):
            iid, session = agents.started[n % count]
            time.sleep(random.uniform(0.3, 1.3))
            question = f"Do you want to create qt{n}.txt?"
            t_send = time.time()
            on_agent = pool.submit(wait_for, lambda s=session, q=question: q in agents.screen(s), 10)
            on_dash = pool.submit(wait_for, lambda i=iid: dash.states().get(i) == "WAITING_INPUT", 20)
            agents.send(session, f"ask qt{n}.txt", "Enter")
            (seen, t_q), (shown, t_d) = on_agent.result(), on_dash.result()
            if seen and shown:
                latencies.append((t_d - t_q) * 1000)
                to_screen.append((t_q - t_send) * 1000)
            else:
                missed += 1
                progress(f"  sample {n}: question seen {bool(seen)}, dashboard showed it {bool(shown)}")
            agents.send(session, "1", "Enter")
            back, _ = wait_for(lambda i=iid: dash.states().get(i) == "IDLE", 30, interval=0.05)
            if not back:
                progress(f"  sample {n}: the dashboard did not show {iid} IDLE again within 30 s")
    finally:
        pool.shutdown()
        dash.quit()
    return {"latency": latencies, "to_screen": to_screen, "missed": missed, "paint": paint}


def bench_dashboard_idle(root: Path, agents: Agents, warmup: float, idle: float, shim_ms: float) -> dict:
    dash = Dashboard(root, agents, f"idle{len(agents.started)}")
    try:
        paint, painted_rows = dash.first_paint()
        remaining = dash.t0 + warmup - time.time()
        if remaining > 0:
            time.sleep(remaining)
        warm_calls = dash.shims.count()  # the calls of the first `warmup` seconds
        all_idle = dash.states()
        with Window(dash.proc, dash.shims, agents.sock) as window:
            time.sleep(idle)
        result = window.result(shim_ms)
        result.update(
            paint=paint,
            painted_rows=painted_rows,
            visible_rows=len(all_idle),
            warm_tmux=warm_calls["tmux"],
            warm_git=warm_calls["git"],
            warm_span=warmup,
        )
        return result
    finally:
        dash.quit()


def bench_paints(root: Path, agents: Agents, runs: int) -> list[float]:
    found = []
    for _ in range(runs):
        dash = Dashboard(root, agents, "paint")
        try:
            paint, _ = dash.first_paint()
            if paint is not None:
                found.append(paint * 1000)
            time.sleep(0.5)
        finally:
            dash.quit()
    return found


# -- serve -----------------------------------------------------------------------------------------


class Serve:
    def __init__(self, root: Path, agents: Agents, label: str) -> None:
        import psutil

        self.port = free_port()
        self.shims = Shims(root / f"shims-serve-{label}-{uuid.uuid4().hex[:4]}")
        self.log = root / f"serve-{label}-{self.port}.log"
        env = {**os.environ, "PATH": self.shims.path, "PYTHONUNBUFFERED": "1"}
        self.t0 = time.time()
        self.popen = subprocess.Popen(
            [PY, "-m", "cc_orchestrator", "serve", "--port", str(self.port)],
            cwd=agents.repo,
            env=env,
            stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        JANITOR.procs.append(self.popen)
        self.proc = psutil.Process(self.popen.pid)
        deadline = time.monotonic() + 30
        while f":{self.port}/" not in self.log.read_text():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        JANITOR.stop(self.popen)


def bench_serve_idle(root: Path, agents: Agents, warmup: float, idle: float, shim_ms: float) -> dict:
    serve = Serve(root, agents, f"idle{len(agents.started)}")
    try:
        remaining = serve.t0 + warmup - time.time()
        if remaining > 0:
            time.sleep(remaining)
        with Window(serve.proc, serve.shims, agents.sock) as window:
            time.sleep(idle)
        return window.result(shim_ms)
    finally:
        serve.stop()


async def _ws_samples(serve: Serve, agents: Agents, count: int, samples: int) -> dict:
    from websockets.asyncio.client import connect

    base = f"127.0.0.1:{serve.port}"
    waiters: dict[tuple[str, str], asyncio.Future] = {}
    loop = asyncio.get_running_loop()
    latencies, to_screen, missed = [], [], 0
    async with connect(
        f"ws://{base}/ws",
        additional_headers={"Authorization": f"Bearer {TOKEN}"},
        origin=f"http://{base}",
        max_queue=None,
        open_timeout=15,
    ) as ws:
        await ws.recv()  # hello

        async def reader() -> None:
            async for text in ws:
                arrived = time.time()
                try:
                    message = json.loads(text)
                except ValueError:
                    continue
                if message.get("type") == "instance_status":
                    future = waiters.pop((message.get("instance_id"), message.get("status")), None)
                    if future is not None and not future.done():
                        future.set_result(arrived)

        listening = asyncio.create_task(reader())
        await asyncio.sleep(2.0)
        try:
            for n in range(samples):
                iid, session = agents.started[n % count]
                await asyncio.sleep(random.uniform(0.3, 1.3))
                question = f"Do you want to create qw{n}.txt?"
                waiting = waiters[(iid, "WAITING_INPUT")] = loop.create_future()
                t_send = time.time()
                await asyncio.to_thread(agents.send, session, f"ask qw{n}.txt", "Enter")
                seen, t_q = await asyncio.to_thread(wait_for, lambda s=session, q=question: q in agents.screen(s), 10)
                try:
                    t_ws = await asyncio.wait_for(waiting, 20)
                except TimeoutError:
                    t_ws = None
                if seen and t_ws:
                    latencies.append((t_ws - t_q) * 1000)
                    to_screen.append((t_q - t_send) * 1000)
                else:
                    missed += 1
                    progress(f"  ws sample {n}: question seen {bool(seen)}, message {bool(t_ws)}")
                waiters.pop((iid, "WAITING_INPUT"), None)
                idle = waiters[(iid, "IDLE")] = loop.create_future()
                await asyncio.to_thread(agents.send, session, "1", "Enter")
                try:
                    await asyncio.wait_for(idle, 30)
                except TimeoutError:
                    progress(f"  ws sample {n}: no IDLE message for {iid} within 30 s")
                waiters.pop((iid, "IDLE"), None)
        finally:
            listening.cancel()
    return {"latency": latencies, "to_screen": to_screen, "missed": missed}


def bench_ws_latency(root: Path, agents: Agents, count: int, samples: int) -> dict:
    serve = Serve(root, agents, "ws")
    try:
        return asyncio.run(_ws_samples(serve, agents, count, samples))
    finally:
        serve.stop()


# -- instances list --json ---------------------------------------------------------------------------


def bench_list(root: Path, agents: Agents, runs: int) -> dict:
    shims = Shims(root / f"shims-list-{len(agents.started)}")
    env = {**os.environ, "PATH": shims.path}
    argv = [PY, "-m", "cc_orchestrator", "instances", "list", "--json"]
    first = subprocess.run(argv, cwd=agents.repo, env=env, capture_output=True, text=True)  # warm-up
    try:
        rows = len(json.loads(first.stdout))
    except ValueError:
        rows = -1
    before = shims.count()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=agents.repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1000)
    after = shims.count()
    return {
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "tmux": (after["tmux"] - before["tmux"]) / runs,
        "git": (after["git"] - before["git"]) / runs,
        "rows": rows,
        "agents": len(agents.started),
    }


# -- peer: ccmanager ---------------------------------------------------------------------------------


def install_ccmanager(peers: Path) -> tuple[Path, str]:
    """npm's ccmanager; its launcher runs a compiled binary from a platform package."""
    prefix = peers / "ccmanager"
    machine = {"x86_64": "x64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    platform_pkg = f"@kodaikabasawa/ccmanager-linux-{machine}"
    binary = prefix / "node_modules" / platform_pkg / "bin" / "ccmanager"
    if not binary.exists():
        if shutil.which("npm") is None:
            raise RuntimeError("npm is not installed")
        progress("installing ccmanager with npm")
        subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "ccmanager"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    if not binary.exists():
        # The launcher's optional dependency names its own version; the registry may only hold
        # another version of the platform package. Its binary is the same program.
        subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", platform_pkg],
            check=True,
            capture_output=True,
            timeout=600,
        )
    if not binary.exists():
        raise RuntimeError(f"ccmanager's binary package {platform_pkg} did not install")
    launcher = json.loads((prefix / "node_modules" / "ccmanager" / "package.json").read_text())["version"]
    platform = json.loads((binary.parent.parent / "package.json").read_text())["version"]
    return binary, f"ccmanager {launcher} (binary {platform_pkg} {platform})"


def ccm_rows(text: str) -> dict[int, str]:
    """{worktree number: state word} from ccmanager's menu ("w3 @ wt3   [◐ Waiting]")."""
    found = {}
    for line in text.splitlines():
        m = re.search(r"@ wt(\d+)\b(.*)", line)
        if m:
            state = re.search(r"\[[^\]]*?(Waiting|Idle|Busy|Pending Auto Approval)", m.group(2))
            found[int(m.group(1))] = state.group(1) if state else ""
    return found


class CcManager:
    def __init__(self, root: Path, binary: Path, count: int) -> None:
        import psutil

        self.root = root / "ccmanager"
        self.count = count
        self.repo = make_repo(self.root / "repo")
        for k in range(1, count + 1):
            subprocess.run(
                [REAL_GIT, "-C", str(self.repo), "worktree", "add", "-q", "-b", f"w{k}", str(self.root / f"wt{k}")],
                check=True,
            )
        home = self.root / "home"
        (home / ".config" / "ccmanager").mkdir(parents=True)
        self.io = self.root / "io"
        self.io.mkdir()
        agent = self.root / "agent.sh"
        agent.write_text(
            "#!/bin/sh\n"
            'name=$(basename "$PWD")\n'
            f"f={shlex.quote(str(self.io))}/$name\n"
            '[ -p "$f" ] || mkfifo "$f"\n'
            f'PYTHONUNBUFFERED=1 {shlex.quote(PY)} {shlex.quote(str(FAKE_AGENT))} 0<>"$f" | tee -a "$f.log"\n'
        )
        agent.chmod(0o755)
        preset = {"id": "fake", "name": "fake", "command": str(agent), "args": [], "detectionStrategy": "claude"}
        config = {"commandPresets": {"presets": [preset], "defaultPresetId": "fake", "selectPresetOnStart": False}}
        (home / ".config" / "ccmanager" / "config.json").write_text(json.dumps(config))
        self.shims = Shims(self.root / "shims")
        self.sock = JANITOR.socket("ccm")
        argv = ["env", f"HOME={home}", f"PATH={self.shims.path}", str(binary)]
        self.t0 = time.time()
        subprocess.run(
            [REAL_TMUX, "-L", self.sock, "-f", str(terminal_conf(root)), "new-session", "-d", "-s", "ccm",
             "-x", str(SIZE[0]), "-y", str(SIZE[1]), "-c", str(self.repo), shlex.join(argv)],
            check=True,
        )  # fmt: skip
        pane_pid = int(tmux(self.sock, "display-message", "-p", "-t", "=ccm:", "#{pane_pid}").strip())
        self.proc = find_process(pane_pid, str(binary))
        self.psutil = psutil
        menu, _ = wait_for(lambda: "Select a worktree" in self.screen(), 30, 0.02)
        if not menu:
            raise RuntimeError(f"ccmanager showed no menu:\n{self.screen()}")
        self.menu_painted = time.time() - self.t0

    def screen(self) -> str:
        return tmux(self.sock, "capture-pane", "-p", "-t", "=ccm:")

    def keys(self, *keys: str) -> None:
        tmux(self.sock, "send-keys", "-t", "=ccm:", *keys)

    def log(self, k: int) -> Path:
        return self.io / f"wt{k}.log"

    def write(self, k: int, text: str) -> None:
        fd = os.open(self.io / f"wt{k}", os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)

    def _cursor(self, k: int) -> tuple[int | None, int | None]:
        """(line of the menu's cursor, line of worktree k) on the screen now."""
        lines = self.screen().splitlines()
        cursor = next((n for n, line in enumerate(lines) if line.startswith("❯")), None)
        target = next((n for n, line in enumerate(lines) if re.search(rf"@ wt{k}\b", line)), None)
        return cursor, target

    def open_session(self, k: int) -> None:
        """Move the menu's cursor to worktree k with the arrows (its digit hotkeys also start a
        second session here), Enter, wait for the agent, and go back to the menu (Ctrl-E).
        The menu sorts by name (wt10 comes before wt2): each key waits for the cursor to move."""
        deadline = time.monotonic() + 30
        while True:
            cursor, target = self._cursor(k)
            if cursor is not None and cursor == target:
                time.sleep(0.15)
                if self._cursor(k) == (cursor, target):  # settled: no key still on its way
                    break
                continue
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not select wt{k} in ccmanager:\n{self.screen()}")
            if cursor is None or target is None:
                time.sleep(0.05)
                continue
            self.keys("Down" if target > cursor else "Up")
            wait_for(lambda c=cursor: self._cursor(k)[0] != c, 1.0, 0.02)
        self.keys("Enter")
        ready, _ = wait_for(lambda: self.log(k).exists() and "fake-agent ready" in self.log(k).read_text(), 20, 0.02)
        if not ready:
            raise RuntimeError(f"ccmanager did not start the agent in wt{k}:\n{self.screen()}")
        time.sleep(0.3)
        self.keys("C-e")
        menu, _ = wait_for(lambda: "Select a worktree" in self.screen(), 10, 0.02)
        if not menu:
            raise RuntimeError(f"ccmanager did not come back to its menu:\n{self.screen()}")

    def descendants(self) -> list[int]:
        try:
            return [p.pid for p in self.proc.children(recursive=True)]
        except self.psutil.Error:
            return []

    def close(self) -> None:
        pids = self.descendants()
        JANITOR.pids.update(pids)
        JANITOR.kill_socket(self.sock)
        JANITOR.end_pids(pids)


def bench_ccmanager(root: Path, peers: Path, count: int, samples: int, warmup: float, idle: float, shim_ms: float):
    binary, version = install_ccmanager(peers)
    ccm = CcManager(root, binary, count)
    try:
        for k in range(1, count + 1):
            ccm.open_session(k)
        JANITOR.pids.update(ccm.descendants())
        settled, _ = wait_for(
            lambda: all(ccm_rows(ccm.screen()).get(k) == "Idle" for k in range(1, count + 1)), 30, 0.1
        )
        if not settled:
            raise RuntimeError(f"ccmanager's sessions did not all show Idle:\n{ccm.screen()}")
        time.sleep(2.0)
        latencies, to_screen, missed = [], [], 0
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(2)
        try:
            for n in range(samples):
                k = n % count + 1
                time.sleep(random.uniform(0.3, 1.3))
                question = f"Do you want to create qc{n}.txt?"
                t_send = time.time()
                on_agent = pool.submit(wait_for, lambda k=k, q=question: q in ccm.log(k).read_text(), 10)
                on_menu = pool.submit(wait_for, lambda k=k: ccm_rows(ccm.screen()).get(k) == "Waiting", 20)
                ccm.write(k, f"ask qc{n}.txt\n")
                (seen, t_q), (shown, t_d) = on_agent.result(), on_menu.result()
                if seen and shown:
                    latencies.append((t_d - t_q) * 1000)
                    to_screen.append((t_q - t_send) * 1000)
                else:
                    missed += 1
                    progress(f"  ccmanager sample {n}: question seen {bool(seen)}, menu showed it {bool(shown)}")
                # Its Claude detector calls a screen "waiting" while "Do you want ..." is within its
                # last 30 lines: after the answer, 32 more lines scroll the old question out.
                ccm.write(k, "1\n" + "x\n" * 32)
                back, _ = wait_for(lambda k=k: ccm_rows(ccm.screen()).get(k) == "Idle", 30, 0.05)
                if not back:
                    progress(f"  ccmanager sample {n}: wt{k} did not show Idle again within 30 s")
        finally:
            pool.shutdown()
        time.sleep(warmup)
        with Window(ccm.proc, ccm.shims, exclude=set(ccm.descendants())) as window:
            time.sleep(idle)
        result = window.result(shim_ms)
        sessions = len(list(ccm.io.glob("*.log")))
        result.update(
            latency=latencies,
            to_screen=to_screen,
            missed=missed,
            version=version,
            paint=ccm.menu_painted,
            sessions=sessions,
        )
        return result
    finally:
        ccm.close()


# -- peer: openorchestrator ------------------------------------------------------------------------------


def bench_openorchestrator(root: Path, peers: Path, warmup: float, idle: float, shim_ms: float) -> dict:
    import psutil

    venv = peers / "openorchestrator-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        progress("installing openorchestrator with pip into a temp venv")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import OpenOrchestrator"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "openorchestrator"],
            check=True,
            capture_output=True,
            timeout=900,
        )
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('openorchestrator'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    shims = Shims(root / "shims-openorchestrator")
    port = free_port()
    log = root / "openorchestrator.log"
    env = {**os.environ, "PATH": shims.path, "PYTHONUNBUFFERED": "1"}
    t0 = time.time()
    popen = subprocess.Popen(
        [str(python), "-m", "OpenOrchestrator", "orchestrator", "--port", str(port), "--dont_show"],
        cwd=root,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    JANITOR.procs.append(popen)
    try:
        ready, _ = wait_for(lambda: "ready to go" in log.read_text() or popen.poll() is not None, 60, 0.05)
        if popen.poll() is not None or not ready:
            raise RuntimeError(f"OpenOrchestrator did not start: {log.read_text()[-1500:]}")
        started = time.time() - t0
        remaining = t0 + warmup - time.time()
        if remaining > 0:
            time.sleep(remaining)
        with Window(psutil.Process(popen.pid), shims) as window:
            time.sleep(idle)
        result = window.result(shim_ms)
        result.update(version=version, started=started)
        return result
    finally:
        JANITOR.stop(popen)


# -- main ------------------------------------------------------------------------------------------------------


def compile_once() -> None:
    t0 = time.monotonic()
    targets = [str(ROOT / "cc_orchestrator"), str(ROOT / "tests" / "fake_agent.py")]
    targets += [p for p in sys.path if p.startswith(sys.prefix) and p.endswith("site-packages")]
    subprocess.run([PY, "-m", "compileall", "-q", "-j", "0", *targets], capture_output=True)
    progress(f"compileall: {time.monotonic() - t0:.1f} s")


@contextlib.contextmanager
def guard(label: str):
    """One figure that fails is printed as such; the others are still measured."""
    try:
        yield
    except Exception as exc:
        text = str(exc)
        shown = text if len(text) <= 3000 else f"{text[:400]} [...] {text[-2500:]}"
        out(f"{label}: could not be measured: {type(exc).__name__}: {shown}")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", default="10,20,50", help="latency count, then the idle counts")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of each idle window")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds before each idle window")
    parser.add_argument("--paints", type=int, default=5, help="extra dashboard starts to time (first paint)")
    parser.add_argument("--list-runs", type=int, default=10)
    parser.add_argument("--only", default="12345", help="which figures, e.g. --only 15")
    parser.add_argument("--peers-dir", type=Path, help="install the peers here and keep them (default: temp)")
    parser.add_argument("--no-peers", action="store_true", help="skip ccmanager and openorchestrator")
    args = parser.parse_args()
    counts = [int(x) for x in args.agents.split(",") if x.strip()]
    lat_n, idle_ns = counts[0], counts[1:] or [counts[0]]

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # else every Python start compiles again
    os.environ.pop("TMUX", None)
    for name in list(os.environ):
        if name.startswith("CC_ORCHESTRATOR_"):
            del os.environ[name]
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)

    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="cco-bench-push-"))
    JANITOR.dirs.append(root)
    peers = args.peers_dir
    if peers is None:
        peers = root / "peers"
    peers.mkdir(parents=True, exist_ok=True)
    agents = None
    try:
        import psutil  # noqa: F401  (needed below; fail early)

        compile_once()
        shim_ms = shim_cost(root)
        head = subprocess.run(
            [REAL_GIT, "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run([REAL_GIT, "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
        load = os.getloadavg()
        out(f"bench_push: {ROOT} at {head.stdout.strip()}{' + uncommitted changes' if dirty else ''}; {PY}")
        out(
            f"{os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; terminal {SIZE[0]}x{SIZE[1]}; "
            f"--agents {args.agents} --samples {args.samples} --idle {args.idle:g} --warmup {args.warmup:g}"
        )
        out(f"shim cost: {shim_ms:.2f} ms of CPU per tmux/git call (subtracted in the 'net' CPU figures)\n")

        agents = Agents(root, JANITOR.socket("agents"))
        results: dict[str, object] = {}

        if "5" in args.only:
            agents.grow(1)
            with guard("5. instances list"):
                progress("5. instances list --json with 1 agent")
                results["list1"] = bench_list(root, agents, args.list_runs)

        if "1" in args.only:
            agents.grow(lat_n)
            with guard("1a. TUI latency"):
                progress(f"1a. TUI latency, {lat_n} agents, {args.samples} samples")
                tui = bench_tui_latency(root, agents, lat_n, args.samples)
                out(f"1a. state change -> dashboard screen (TUI, {lat_n} agents): {summary(tui['latency'])}")
                out(f"    samples (ms): {samples_text(tui['latency'])}")
                out(
                    f"    (send-keys -> question on the agent's screen: median {median(tui['to_screen']):.1f} ms; "
                    f"missed {tui['missed']}; first paint of that dashboard {tui['paint'] or float('nan'):.2f} s)"
                )
            with guard("1b. WebSocket latency"):
                progress(f"1b. WebSocket latency, {lat_n} agents, {args.samples} samples")
                ws = bench_ws_latency(root, agents, lat_n, args.samples)
                out(f"1b. state change -> /ws instance_status (serve, {lat_n} agents): {summary(ws['latency'])}")
                out(f"    samples (ms): {samples_text(ws['latency'])}")
                out(
                    f"    (send-keys -> question on the agent's screen: median {median(ws['to_screen']):.1f} ms; "
                    f"missed {ws['missed']})"
                )
            if args.no_peers:
                out("1c. ccmanager: skipped (--no-peers)")
            else:
                progress(f"1c. ccmanager, {lat_n} sessions")
                try:
                    ccm = bench_ccmanager(root, peers, lat_n, args.samples, args.warmup, args.idle, shim_ms)
                    out(f"1c. ccmanager: {ccm['version']}, Claude detection strategy, preset command = the fake agent")
                    out(f"    state change -> ccmanager menu (TUI, {lat_n} sessions): {summary(ccm['latency'])}")
                    out(f"    samples (ms): {samples_text(ccm['latency'])}")
                    out(
                        f"    (write -> question in the agent's output: median {median(ccm['to_screen']):.1f} ms; "
                        f"missed {ccm['missed']}; menu painted {ccm['paint']:.2f} s after spawn)"
                    )
                    out("    ccmanager has no web server or WebSocket: 1b does not apply to it")
                    out(
                        f"    ccmanager idle, {lat_n} sessions ({ccm['sessions']} agents running): "
                        f"{fmt_window(ccm)}; RSS {ccm['rss_mb']:.0f} MB"
                    )
                    out("      (its CPU leaves out its agents' processes, which are its children; ours run under tmux)")
                except Exception as exc:
                    out(f"1c. ccmanager: could not be measured: {type(exc).__name__}: {str(exc)[:1500]}")
            out()

        if "2" in args.only or "3" in args.only:
            for n in idle_ns:
                agents.grow(n)
                with guard("2. dashboard idle"):
                    progress(f"2. dashboard idle with {n} agents")
                    dash = bench_dashboard_idle(root, agents, args.warmup, args.idle, shim_ms)
                    results[f"dash{n}"] = dash
                    out(f"2.  dashboard idle, {n} agents: {fmt_window(dash)}")
                    out(
                        f"    first {dash['warm_span']:.0f} s after spawning it: "
                        f"{dash['warm_tmux']} tmux + {dash['warm_git']} git calls; "
                        f"first paint {dash['paint'] or float('nan'):.3f} s "
                        f"({dash['painted_rows']} rows in that frame, "
                        f"{dash['visible_rows']} visible); RSS {dash['rss_start_mb']:.1f} MB after the warm-up"
                    )
                if "2" in args.only:
                    with guard("2. serve idle"):
                        progress(f"2. serve idle with {n} agents")
                        srv = bench_serve_idle(root, agents, args.warmup, args.idle, shim_ms)
                        results[f"serve{n}"] = srv
                        out(f"2.  serve idle (no client), {n} agents: {fmt_window(srv)}; RSS {srv['rss_mb']:.1f} MB")
                if n == idle_ns[0] and "3" in args.only:
                    with guard("3. memory and first paint"):
                        progress(f"3. first paints, {args.paints} more dashboard starts with {n} agents")
                        paints = bench_paints(root, agents, args.paints)
                        dash = results.get(f"dash{n}") or {"rss_start_mb": math.nan, "rss_mb": math.nan, "paint": None}
                        out(
                            f"3.  dashboard with {n} agents: RSS {dash['rss_start_mb']:.1f} MB after the warm-up "
                            f"({dash['rss_mb']:.1f} MB after the idle window); first paint "
                            f"{(dash['paint'] or float('nan')) * 1000:.0f} ms, again {summary(paints)}"
                        )
                if "5" in args.only:
                    with guard("5. instances list"):
                        progress(f"5. instances list --json with {n} agents")
                        results[f"list{n}"] = bench_list(root, agents, args.list_runs)
            out()

        if "4" in args.only:
            if args.no_peers:
                out("4.  openorchestrator: skipped (--no-peers)")
            else:
                progress("4. openorchestrator")
                try:
                    oo = bench_openorchestrator(root, peers, args.warmup, args.idle, shim_ms)
                    out(
                        f"4.  openorchestrator {oo['version']} (`python -m OpenOrchestrator orchestrator`, "
                        "a NiceGUI web app; "
                        f"up {oo['started']:.1f} s after spawn)"
                    )
                    out(f"    idle, no browser, no database, 0 sessions: {fmt_window(oo)}; RSS {oo['rss_mb']:.1f} MB")
                    out(
                        "    it orchestrates RPA jobs from a SQL Server database; it has no agent sessions, no tmux, "
                        "no worktrees: the 10/20-session figures cannot be measured"
                    )
                except Exception as exc:
                    out(f"4.  openorchestrator: could not be measured: {type(exc).__name__}: {str(exc)[:1500]}")
            out()

        for key in ["list1", *(f"list{n}" for n in idle_ns)]:
            found = results.get(key)
            if found:
                out(
                    f"5.  instances list --json, {found['agents']:>2} agents ({found['rows']} in its JSON): "
                    f"median {found['median']:6.0f} ms "
                    f"(min {found['min']:.0f}, max {found['max']:.0f}; {args.list_runs} runs), "
                    f"{found['tmux']:.1f} tmux + {found['git']:.1f} git calls per run"
                )
        out(f"\nwhole run: {time.monotonic() - started:.0f} s")
    except KeyboardInterrupt:
        out("interrupted; cleaning up")
    finally:
        if agents is not None:
            try:
                agents.close()
            except Exception:
                pass
        if args.peers_dir is not None:
            JANITOR.dirs = [d for d in JANITOR.dirs if d != args.peers_dir]
        JANITOR.close()


if __name__ == "__main__":
    main()
