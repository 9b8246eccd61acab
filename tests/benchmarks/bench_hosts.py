"""Agents on remote hosts: figures for the issue's targets. Prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_hosts.py [--hosts 3] [--agents 10] [--refreshes 30]
        [--samples 20] [--idle 30] [--hang 15] [--warmup 15] [--quick]

--quick: 2 hosts x 3 agents, 10 refreshes, 6 samples, 10 s idle, 12 s hang.

The hosts are real OpenSSH servers on 127.0.0.1 (tests/fakes/sshd.py), each with its own HOME,
tmux and keys; one client config covers them all (`Host *` with every key, one known_hosts with
every host key; the URLs carry the ports), as `ssh_config` (CC_ORCHESTRATOR_SSH_CONFIG). The
agents are tests/fake_agent.py, started there with `instances.start(repo, host=...)`.

How each figure is measured:
  1. `instances.refresh()` in this process, all agents idle: wall time per call, and ssh batches
     sent per call (`fleet.round_trips`); target: one per host.
  2. the real TUI (`python -m cc_orchestrator`) in a pane of its own tmux server, after a warm-up:
     CPU of its process (all threads) + its reaped children (the ssh clients of its batches) +
     its live descendants (the hosts' watchers, one long-running ssh each), as % of one core.
     Beside it, not in it: the ssh master connections (they detach from whoever opened them),
     and the remote side (each sshd's tree: the watcher's shell loop, the batches; and the
     hosts' tmux servers), which costs those machines, not the user's.
  3. `orch.live(on_snapshot)` in this process: `send(id, "work 0.3")` to an idle agent; from the
     working line on the agent's screen (capture-pane on that host's tmux, polled every ~5 ms;
     the hosts are loopback, so their tmux is reachable here) to the first snapshot showing it
     RUNNING. Also from the end of `send` (its own ssh round trip excluded).
  4. one host hangs: its sshd and every process under it get SIGSTOP (its tmux and agents run on;
     our master connection's far end stops answering), for --hang seconds or longer, until the
     Live and the TUI both show it UNREACHABLE (at most 60 s), then SIGCONT.
     Meanwhile: the TUI (a subclass that only adds a 10 ms timer on the UI thread, recording the
     gap between ticks) runs in a terminal: the max gap is the longest frame; the hung host's
     rows are read from its screen until they show UNREACHABLE; the Live in this process says
     the same, and an agent on a healthy host is given work every ~3 s: its latency shows whether
     the hung host holds up the others.
  5. peers: none of them manages remote hosts.

Everything is private and removed at the end (also on Ctrl-C or SIGTERM): the temp folder, the
sshds and the remote tmux servers, the terminal tmux servers, the ssh masters.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_push import (  # noqa: E402 - after the path is set
    Janitor,
    cpu_seconds,
    find_process,
    live_descendants_cpu,
    make_repo,
    out,
    pct,
    progress,
)
from tests.fakes.sshd import Sshd, available  # noqa: E402

FAKE_AGENT = ROOT / "tests" / "fake_agent.py"
PY = sys.executable
SIZE = (200, 50)
WORKING = "esc to interrupt"
STATE_WORDS = "STARTING|RUNNING|WAITING_INPUT|IDLE|ERROR|STOPPED|UNREACHABLE"
ERROR = re.compile(r"^\w+(?:Error|Exception)\b.*$", re.MULTILINE)  # a traceback's last line
HANG_CAP = 60.0  # the longest a host is kept hung, waiting for its rows to show UNREACHABLE
JANITOR = Janitor()


def stats(samples: list[float], unit: str = "ms") -> str:
    if not samples:
        return "no samples"
    return (
        f"p50 {statistics.median(samples):6.0f} {unit}  p95 {pct(samples, 95):6.0f} {unit}  "
        f"max {max(samples):6.0f} {unit}  (n={len(samples)})"
    )


def tmux(sock: str, *args: str, env: dict | None = None) -> str:
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, env=env).stdout


# -- the hosts -----------------------------------------------------------------------------------


class Hosts:
    """N sshds, one client config and known_hosts for them all, a git repository on each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sshds: list[Sshd] = []

    def start(self, count: int) -> None:
        for n in range(count):
            sshd = Sshd(self.root / f"host{n + 1}")
            self.sshds.append(sshd)
            sshd.start()
            sshd.trust()
        self.config = self.root / "ssh_config"
        known = self.root / "known_hosts"
        known.write_text("".join(s.known_hosts.read_text() for s in self.sshds))
        keys = "".join(f"    IdentityFile {s.client_key}\n" for s in self.sshds)
        self.config.write_text(
            f"Host *\n{keys}    IdentitiesOnly yes\n    IdentityAgent none\n    UserKnownHostsFile {known}\n"
            "    GlobalKnownHostsFile /dev/null\n    UpdateHostKeys no\n    LogLevel ERROR\n"
        )
        self.repos = []
        for sshd in self.sshds:
            repo = sshd.home / "src" / "project"
            repo.parent.mkdir(parents=True)
            self.repos.append(make_repo(repo))

    def name(self, n: int) -> str:
        return f"box{n + 1}"

    def tree(self, n: int) -> list:
        """The n-th sshd's listener and every process under it."""
        import psutil

        try:
            top = psutil.Process(self.sshds[n].process.pid)
            return [top, *top.children(recursive=True)]
        except psutil.Error:
            return []

    def signal_tree(self, n: int, sig: int) -> int:
        import psutil

        family = self.tree(n)
        for process in family:
            try:
                process.send_signal(sig)
            except psutil.Error:
                pass
        return len(family)

    def remote_cpu(self) -> float:
        """CPU seconds so far of every sshd tree (own + reaped children) and the hosts' tmux servers."""
        import psutil

        total = 0.0
        for n in range(len(self.sshds)):
            for process in self.tree(n):
                try:
                    total += cpu_seconds(process)
                except psutil.Error:
                    pass
        for pid in self.tmux_servers():
            try:
                total += cpu_seconds(psutil.Process(pid))
            except psutil.Error:
                pass
        return total

    def tmux_servers(self) -> list[int]:
        found = []
        for sshd in self.sshds:
            for sock in sshd.tmux_tmpdir.glob("tmux-*/*"):
                pid = subprocess.run(
                    ["tmux", "-S", str(sock), "display-message", "-p", "#{pid}"], capture_output=True, text=True
                ).stdout.strip()
                if pid.isdigit():
                    found.append(int(pid))
        return found

    def screen(self, n: int, sock: str, session: str) -> str:
        env = {**os.environ, **self.sshds[n].environment()}
        env.pop("TMUX", None)
        return tmux(sock, "capture-pane", "-p", "-t", f"={session}:", env=env)

    def close(self) -> None:
        for n, sshd in enumerate(self.sshds):
            self.signal_tree(n, signal.SIGCONT)
            try:
                sshd.close()
            except Exception:
                pass


def ssh_masters(control: Path) -> list:
    """Our ssh processes that talk through the control folder (the masters, detached)."""
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline", "name"]):
        try:
            if process.info["name"] == "ssh" and str(control) in " ".join(process.info["cmdline"] or ()):
                found.append(process)
        except psutil.Error:
            continue
    return found


# -- the setup -----------------------------------------------------------------------------------


class Setup:
    def __init__(self, root: Path, hosts: Hosts, agents: int) -> None:
        from cc_orchestrator.core.hosts.ssh import control_dir
        from cc_orchestrator.core.orchestrator import Orchestrator

        self.root = root
        self.hosts = hosts
        self.local_repo = make_repo(root / "local")
        self.data = root / "data"
        self.sock = f"ccob-hosts-{os.urandom(4).hex()}"  # the agents' tmux, on each host
        for name in list(os.environ):
            if name.startswith("CC_ORCHESTRATOR_"):
                del os.environ[name]
        os.environ.pop("TMUX", None)
        os.environ.update(
            CC_ORCHESTRATOR_CONFIG_FILE=str(root / "no-config.toml"),
            CC_ORCHESTRATOR_DATA_DIR=str(self.data),
            CC_ORCHESTRATOR_TMUX_SOCKET=self.sock,
            CC_ORCHESTRATOR_AGENT_COMMAND=f"{PY} {FAKE_AGENT}",
            CC_ORCHESTRATOR_DEFAULT_AGENT="generic",
            CC_ORCHESTRATOR_MAX_INSTANCES="200",
            CC_ORCHESTRATOR_SSH_CONFIG=str(self.hosts.config),
        )
        self.orch = Orchestrator(self.data)
        self.control = control_dir(self.data)
        self.by_host: dict[int, list] = {}  # host index -> [(instance id, tmux session)]
        t0 = time.monotonic()
        for n, (sshd, repo) in enumerate(zip(self.hosts.sshds, self.hosts.repos, strict=True)):
            self.orch.hosts.add(self.hosts.name(n), sshd.url, [str(repo)])
            self.by_host[n] = []
            for _ in range(agents):
                instance = self.orch.instances.start(repo, host=self.hosts.name(n))
                self.by_host[n].append((instance.id, instance.tmux_session))
        self.wait_idle()
        progress(f"{len(hosts.sshds)} hosts x {agents} agents idle ({time.monotonic() - t0:.1f} s)")

    @property
    def ids(self) -> list[str]:
        return [iid for pairs in self.by_host.values() for iid, _ in pairs]

    def wait_idle(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {i.id: i.status.value for i in self.orch.instances.list()}
            if all(states.get(i) == "IDLE" for i in self.ids):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"agents not idle after {timeout:.0f} s: {Counter(states.values())}")
            time.sleep(0.3)

    def close(self) -> None:
        self.orch.close()


# -- 1. refresh ----------------------------------------------------------------------------------


def bench_refresh(setup: Setup, runs: int) -> dict:
    fleet = setup.orch.instances.fleet
    for _ in range(2):
        setup.orch.instances.refresh()
    times, trips0 = [], fleet.round_trips
    for _ in range(runs):
        t0 = time.perf_counter()
        setup.orch.instances.refresh()
        times.append((time.perf_counter() - t0) * 1000)
    return {"times": times, "trips": (fleet.round_trips - trips0) / runs}


# -- 3. state-change latency through Live ----------------------------------------------------------


class Watched:
    """A Live in this process; the time each (instance, status) first showed in a snapshot."""

    def __init__(self, orch) -> None:
        self.lock = threading.Condition()
        self.seen: list[tuple[float, dict[str, str]]] = []
        self.live = orch.live(self.on_snapshot)

    def on_snapshot(self, snapshot) -> None:
        states = {i.id: i.status.value for i in snapshot.instances}
        with self.lock:
            self.seen.append((time.monotonic(), states))
            self.lock.notify_all()

    def wait(self, iid: str, status: str, since: float, timeout: float) -> float | None:
        """The monotonic time of the first snapshot after `since` showing `iid` in `status`."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for when, states in self.seen:
                    if when >= since and states.get(iid) == status:
                        return when
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)

    def stop(self) -> None:
        self.live.stop()


def one_sample(setup: Setup, watched: Watched, n: int, iid: str, session: str, timeout: float = 15) -> dict | None:
    """`work 0.3` to an idle agent: when its screen showed it, when Live showed it RUNNING."""
    hosts, sock = setup.hosts, setup.sock
    on_screen: list[float] = []
    halt = threading.Event()

    def poll() -> None:
        while not halt.is_set():
            if WORKING in hosts.screen(n, sock, session):
                on_screen.append(time.monotonic())
                return
            time.sleep(0.005)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    t_send = time.monotonic()
    setup.orch.instances.send(iid, "work 0.3")
    t_sent = time.monotonic()
    shown = watched.wait(iid, "RUNNING", t_send, timeout)
    poller.join(timeout=2)
    halt.set()
    watched.wait(iid, "IDLE", shown or t_send, timeout)
    if shown is None or not on_screen:
        progress(f"  {iid}: screen showed work {bool(on_screen)}, Live showed RUNNING {shown is not None}")
        return None
    return {
        "screen": (shown - on_screen[0]) * 1000,
        "sent": (shown - t_sent) * 1000,
        "send": (t_sent - t_send) * 1000,
    }


def bench_latency(setup: Setup, watched: Watched, samples: int) -> dict:
    found: dict[str, list[float]] = {"screen": [], "sent": [], "send": []}
    missed = 0
    hosts = sorted(setup.by_host)
    for k in range(samples):
        n = hosts[k % len(hosts)]
        iid, session = setup.by_host[n][(k // len(hosts)) % len(setup.by_host[n])]
        time.sleep(random.uniform(0.3, 1.0))  # spread over the watcher's tick
        sample = one_sample(setup, watched, n, iid, session)
        if sample is None:
            missed += 1
            continue
        for key, value in sample.items():
            found[key].append(value)
    return {**found, "missed": missed}


# -- the TUI in a terminal -----------------------------------------------------------------------


def child_tui(report: Path) -> None:
    """The real dashboard with a 10 ms timer on the UI thread, noting each gap between ticks."""
    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.tui.app import OrchestratorApp
    from cc_orchestrator.tui.view import first_view

    ticks: list[tuple[float, float]] = []  # (time.time(), ms since the tick before)

    class Ticking(OrchestratorApp):
        def on_mount(self) -> None:  # Textual also runs OrchestratorApp.on_mount: no super() here
            self._tick_at = time.perf_counter()
            self.set_interval(0.01, self._tick)

        def _tick(self) -> None:
            now = time.perf_counter()
            ticks.append((time.time(), (now - self._tick_at) * 1000))
            self._tick_at = now

    def dump() -> None:  # from a thread of its own: a frozen UI thread shows as ticks that stop
        while True:
            time.sleep(0.5)
            part = report.with_suffix(".part")
            part.write_text(json.dumps({"ticks": ticks[:], "now": time.time()}))
            part.replace(report)

    threading.Thread(target=dump, daemon=True).start()
    orch = Orchestrator()
    try:
        found = Orchestrator.repo(None, required=False)
        repo = str(found) if found else None
        Ticking(orch, repo, initial=first_view(orch, repo)).run()
    finally:
        orch.close()


class Terminal:
    """A command in a pane of its own tmux server (the user's terminal)."""

    def __init__(self, setup: Setup, argv: list[str], needle: str) -> None:
        self.sock = JANITOR.socket("term")
        env = {k: v for k, v in os.environ.items() if k.startswith("CC_ORCHESTRATOR_") or k in ("PATH", "HOME")}
        command = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), *argv])
        conf = setup.root / "terminal.conf"
        conf.write_text("set -g remain-on-exit on\n")  # a crash's last words stay readable
        subprocess.run(
            ["tmux", "-L", self.sock, "-f", str(conf), "new-session", "-d", "-s", "term",
             "-x", str(SIZE[0]), "-y", str(SIZE[1]), "-c", str(setup.local_repo), command],
            check=True,
        )  # fmt: skip
        pane_pid = int(tmux(self.sock, "display-message", "-p", "-t", "=term:", "#{pane_pid}").strip())
        self.proc = find_process(pane_pid, needle)

    def rows(self, ids: set[str]) -> dict[str, str]:
        """{instance id: state word} from the screen's instance table."""
        found = {}
        for line in self.screen().splitlines():
            m = re.match(rf"^[^\w]{{0,4}}([0-9a-f]{{6}})\s+({STATE_WORDS})", line)
            if m and m.group(1) in ids:
                found.setdefault(m.group(1), m.group(2))
        return found

    def screen(self) -> str:
        return tmux(self.sock, "capture-pane", "-p", "-t", "=term:")

    def wait_rows(self, ids: set[str], timeout: float = 60) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.rows(ids)
            if rows:
                return rows
            time.sleep(0.1)
        raise RuntimeError("the TUI shows no instance rows")

    def quit(self) -> None:
        tmux(self.sock, "send-keys", "-t", "=term:", "q")
        try:
            self.proc.wait(timeout=15)
        except Exception:
            pass
        JANITOR.kill_socket(self.sock)


# -- 2. idle CPU ---------------------------------------------------------------------------------


def bench_idle(setup: Setup, warmup: float, idle: float) -> dict:
    import psutil

    term = Terminal(setup, [PY, "-m", "cc_orchestrator"], "cc_orchestrator")
    try:
        term.wait_rows(set(setup.ids))
        time.sleep(warmup)  # the first sweep starts the hosts' watchers
        proc = term.proc
        kids0 = live_descendants_cpu(proc, set())
        mine = {c.pid for c in proc.children(recursive=True)}  # the TUI's watchers name the same socket
        masters = [p for p in ssh_masters(setup.control) if p.pid not in mine]
        masters0 = {p.pid: cpu_seconds(p) for p in masters}
        remote0 = setup.hosts.remote_cpu()
        own0, t0 = cpu_seconds(proc), time.monotonic()
        time.sleep(idle)
        own1, span = cpu_seconds(proc), time.monotonic() - t0
        remote1 = setup.hosts.remote_cpu()
        kids1 = live_descendants_cpu(proc, set())
        masters1 = 0.0
        for p in masters:
            try:
                masters1 += cpu_seconds(p) - masters0[p.pid]
            except psutil.Error:
                pass
        live = sum(v - kids0.get(pid, 0.0) for pid, v in kids1.items())
        live -= sum(v for pid, v in kids0.items() if pid not in kids1)  # reaped: in children_* now
        names = Counter(c.name() for c in proc.children(recursive=True))
        return {
            "cpu": (own1 - own0 + live) / span * 100,
            "live": live / span * 100,
            "children": dict(names),
            "masters": masters1 / span * 100,
            "n_masters": len(masters),
            "remote": (remote1 - remote0) / span * 100,
            "span": span,
            "rss": proc.memory_info().rss / 2**20,
        }
    finally:
        term.quit()


# -- 4. one host hangs -----------------------------------------------------------------------------


def bench_hang(setup: Setup, watched: Watched, hang: float, warmup: float) -> dict:
    report = setup.root / f"ticks-{os.urandom(3).hex()}.json"
    term = Terminal(setup, [PY, str(Path(__file__).resolve()), "--child-tui", str(report)], "--child-tui")
    hung, healthy = 0, 1
    hung_ids = {iid for iid, _ in setup.by_host[hung]}
    result: dict = {"healthy": [], "tui_unreachable": None, "live_unreachable": None}
    halt = threading.Event()

    def look(visible: set[str], t_stop: float) -> None:  # UNREACHABLE on the TUI's screen and in Live
        while not halt.is_set() and (
            result["live_unreachable"] is None or (visible and result["tui_unreachable"] is None)
        ):
            now = time.monotonic()
            if result["tui_unreachable"] is None and visible:
                rows = term.rows(hung_ids)
                if all(rows.get(i) == "UNREACHABLE" for i in visible):
                    result["tui_unreachable"] = now - t_stop
                elif not rows and ERROR.search(term.screen()):
                    visible = set()  # the TUI failed (reported below): nothing more to see there
            if result["live_unreachable"] is None:
                with watched.lock:
                    last = watched.seen[-1][1] if watched.seen else {}
                if all(last.get(i) == "UNREACHABLE" for i in hung_ids):
                    result["live_unreachable"] = now - t_stop
            halt.wait(0.05)

    try:
        term.wait_rows(set(setup.ids))
        time.sleep(warmup)
        visible = set(term.rows(hung_ids))
        t_stop_wall, t_stop = time.time(), time.monotonic()
        result["stopped"] = setup.hosts.signal_tree(hung, signal.SIGSTOP)
        progress(f"4. {setup.hosts.name(hung)} hangs ({result['stopped']} processes stopped) for {hang:.0f} s")
        looker = threading.Thread(target=look, args=(visible, t_stop), daemon=True)
        looker.start()
        k = 0

        def elapsed() -> float:
            return time.monotonic() - t_stop

        def over() -> bool:  # hung at least `hang` s, and long enough for both to show UNREACHABLE
            return elapsed() >= HANG_CAP or (elapsed() >= hang and not looker.is_alive())

        while not over():
            halt.wait(1.0)
            if over():
                break
            iid, session = setup.by_host[healthy][k % len(setup.by_host[healthy])]  # a healthy host's agent works
            sample = one_sample(setup, watched, healthy, iid, session, timeout=10)
            if sample is not None:
                result["healthy"].append(sample["screen"])
            k += 1
        result["hung"] = elapsed()
        failed = ERROR.findall(term.screen())
        result["tui_error"] = failed[-1].strip() if failed else None
        if result["tui_error"]:
            progress(f"  the TUI failed during the hang; its terminal:\n{term.screen().strip()[-2500:]}")
        setup.hosts.signal_tree(hung, signal.SIGCONT)
        t_cont_wall, t_cont = time.time(), time.monotonic()
        deadline = t_cont + 60
        back = None
        while time.monotonic() < deadline:
            with watched.lock:
                last = watched.seen[-1][1] if watched.seen else {}
            if all(last.get(i) == "IDLE" for i in hung_ids):
                back = time.monotonic() - t_cont
                break
            time.sleep(0.05)
        result["back"] = back
        result["visible"] = len(visible)
        time.sleep(1.0)  # the child writes its ticks every 0.5 s
        found = json.loads(report.read_text()) if report.exists() else {"ticks": [], "now": time.time()}
        ticks = found["ticks"]
        result["ticks_end"] = (ticks[-1][0] - t_stop_wall) if ticks else None
        result["stale"] = time.time() - found["now"] > 2.0  # the child stopped writing: it ended
        if ticks and not result["stale"]:  # a UI thread still frozen: the gap so far
            ticks.append((found["now"], (found["now"] - ticks[-1][0]) * 1000))
        span = min(warmup - 2.0, t_cont_wall - t_stop_wall)  # as long as the hang, after the warm-up
        before = [gap for when, gap in ticks if t_stop_wall - span <= when < t_stop_wall]
        during = [gap for when, gap in ticks if when >= t_stop_wall]  # until a second after it recovered
        result["before"], result["during"] = before, during
        return result
    finally:
        halt.set()
        setup.hosts.signal_tree(hung, signal.SIGCONT)
        term.quit()


def frames(gaps: list[float]) -> str:
    if not gaps:
        return "no ticks"
    over = sum(g > 50 for g in gaps)
    return f"max {max(gaps):5.0f} ms, p99 {pct(gaps, 99):4.0f} ms, {over} of {len(gaps)} ticks over 50 ms"


# -- main ------------------------------------------------------------------------------------------


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--agents", type=int, default=10, help="agents per host")
    parser.add_argument("--refreshes", type=int, default=30)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--hang", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--quick", action="store_true", help="2 hosts x 3 agents, fewer samples, shorter windows")
    parser.add_argument("--child-tui", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_tui:
        child_tui(args.child_tui)
        return
    if args.quick:
        args.hosts, args.agents, args.refreshes, args.samples = 2, 3, 10, 6
        args.idle, args.hang, args.warmup = 10.0, 12.0, 8.0
    reason = available()
    if reason:
        sys.exit(f"cannot run: {reason}")
    if args.hosts < 2:
        sys.exit("--hosts must be at least 2 (one hangs, another answers)")
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="ccob-hosts-"))
    JANITOR.dirs.append(root)
    from cc_orchestrator.core.hosts.ssh import control_dir

    control = control_dir(root / "data")  # where our ssh masters' sockets will be
    JANITOR.dirs.append(control)
    hosts = setup = watched = None
    n = args.hosts * args.agents
    try:
        load = os.getloadavg()
        out(f"bench_hosts: {args.hosts} hosts x {args.agents} agents (loopback sshds), {os.cpu_count()} cores")
        out(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        progress(f"starting {args.hosts} sshds and {n} agents")
        hosts = Hosts(root)
        hosts.start(args.hosts)
        setup = Setup(root, hosts, args.agents)

        progress(f"1. {args.refreshes} refreshes")
        r = bench_refresh(setup, args.refreshes)
        out(
            f"1. refresh, {n} idle remote agents: {stats(r['times'])}; "
            f"ssh round trips per refresh {r['trips']:.2f} (target {args.hosts}: one per host)"
        )

        progress("2. idle TUI")
        idle = bench_idle(setup, args.warmup, args.idle)
        children = ", ".join(f"{k} x{v}" for k, v in sorted(idle["children"].items())) or "none"
        out(
            f"2. TUI idle, {n} remote agents, {idle['span']:.0f} s: CPU {idle['cpu']:.2f}% of one core "
            f"(target < 2%); its process + reaped children (batch ssh clients) + live children "
            f"({children}: {idle['live']:.2f}%, included); RSS {idle['rss']:.0f} MB"
        )
        out(
            f"   not included: ssh masters (detached, {idle['n_masters']}) {idle['masters']:.2f}%; "
            f"remote side (sshd trees, watcher loops, hosts' tmux; all {args.hosts} on this machine) "
            f"{idle['remote']:.2f}%"
        )

        progress(f"3. {args.samples} state changes through Live")
        watched = Watched(setup.orch)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with watched.lock:
                last = watched.seen[-1][1] if watched.seen else {}
            if all(last.get(i) == "IDLE" for i in setup.ids):
                break
            time.sleep(0.1)
        time.sleep(6)  # the first sweep (5 s) starts the hosts' watchers
        lat = bench_latency(setup, watched, args.samples)
        out(
            f"3. state change (remote agent RUNNING) -> Live snapshot: {stats(lat['screen'])} "
            f"(target p95 < 500 ms; missed {lat['missed']})"
        )
        out(
            f"   from send() returning: {stats(lat['sent'])}; send() itself (its ssh calls): "
            f"p50 {statistics.median(lat['send']) if lat['send'] else float('nan'):.0f} ms"
        )

        progress("4. one host hangs")
        hang = bench_hang(setup, watched, args.hang, min(args.warmup, 10.0))
        out(
            f"4. {setup.hosts.name(0)} hangs {hang['hung']:.0f} s (SIGSTOP on its sshd and "
            f"{hang['stopped'] - 1} processes under it):"
        )
        out(f"   TUI frame (10 ms timer on the UI thread) while hung: {frames(hang['during'])} (target < 50 ms)")
        out(f"   the same just before the hang:                        {frames(hang['before'])}")

        def secs(v):
            return f"{v:.1f} s" if v is not None else "not within the hang"

        out(
            f"   UNREACHABLE after: Live {secs(hang['live_unreachable'])}, TUI screen {secs(hang['tui_unreachable'])} "
            f"({hang['visible']} of its rows visible); IDLE again {secs(hang['back'])} after SIGCONT"
        )
        if hang["tui_error"] or hang["stale"]:
            out(
                f"   the TUI FAILED: its UI stopped ticking {hang['ticks_end']:.1f} s into the hang "
                f"({hang['tui_error'] or 'no error on its screen'}); the frame figures above end there"
            )
        out(f"   meanwhile, state change on a healthy host -> Live: {stats(hang['healthy'])}")
        out(
            "5. peers: none manages agents on remote hosts (openorchestrator on PyPI: RPA jobs from SQL Server; "
            "ccmanager on npm: local PTYs only): no ratio"
        )
        out(f"\nwhole run: {time.monotonic() - started:.0f} s")
    except KeyboardInterrupt:
        out("interrupted; cleaning up")
    finally:
        if watched is not None:
            watched.stop()
        if setup is not None:
            setup.close()
        if hosts is not None:
            hosts.close()
        JANITOR.end_pids(p.pid for p in ssh_masters(control))  # they outlive us by ControlPersist
        JANITOR.close()


if __name__ == "__main__":
    main()
