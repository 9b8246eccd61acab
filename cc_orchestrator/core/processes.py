"""The agent's process tree: resource usage, and ending it for good.

Descendants are found through /proc/PID/task/TID/children, which reads only our trees; psutil's
`children(recursive=True)` scans every process on the machine for each call. Where that file
is missing (not Linux, or an old kernel) we fall back to psutil.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import psutil

from cc_orchestrator.core.models import ResourceUsage

_PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    tasks = _PROC / str(pid) / "task"
    found: list[int] = []
    try:
        for tid in os.listdir(tasks):
            text = (tasks / tid / "children").read_text()
            found.extend(int(p) for p in text.split())
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError, PermissionError):
        pass
    return found


def _has_children_files() -> bool:
    return (_PROC / str(os.getpid()) / "task" / str(os.getpid()) / "children").exists()


_FAST = _has_children_files()


def running(pid: int | None) -> bool:
    """Whether `pid` is a process that has not ended (a zombie has ended; /proc, no psutil)."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return not _FAST and psutil.pid_exists(pid)  # no /proc: ask psutil
    return state not in ("Z", "X")


def started_at(pid: int | None) -> int | None:
    """When the process began, in clock ticks since boot (/proc/PID/stat field 22): with the
    pid, it names one process, even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            text = fh.read()
    except (OSError, TypeError):
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[19]) if len(fields) > 19 else None


def same_process(pid: int | None, since: int | None) -> bool:
    """Whether the process `pid` that began at `since` (its `started_at`; None: not recorded)
    still runs: a pid reused by another process does not count."""
    return bool(pid) and running(pid) and since in (None, started_at(pid))


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants that are alive now."""
    if not _FAST:
        try:
            root = psutil.Process(pid)
            return [pid, *(c.pid for c in root.children(recursive=True))]
        except psutil.Error:
            return []
    if not (_PROC / str(pid)).exists():
        return []
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children(current))
    return tree


class ProcessSampler:
    """CPU and memory of process trees; keeps psutil handles so CPU is a delta between samples.

    The first sample of a process reports its average CPU since it started (a one-shot CLI
    command has no earlier sample); later samples report use since the previous one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the faces sample from worker threads
        self._procs: dict[int, psutil.Process] = {}
        self._last: dict[int, tuple[float, float]] = {}  # pid -> (cpu seconds, wall time)

    def usage(self, pid: int | None) -> ResourceUsage:
        """One tree's usage; the handles of other trees stay for the next round."""
        if not pid:
            return ResourceUsage()
        with self._lock:
            return self._tree_usage(pid, set())

    def sample(self, pids) -> dict[int, ResourceUsage]:
        """Usage of several trees in one round; handles of processes not seen are dropped."""
        with self._lock:
            seen: set[int] = set()
            result = {pid: self._tree_usage(pid, seen) for pid in pids if pid}
            for gone in [p for p in self._procs if p not in seen]:
                self._procs.pop(gone, None)
                self._last.pop(gone, None)
            return result

    def _tree_usage(self, pid: int, seen: set[int]) -> ResourceUsage:
        cpu = memory = 0.0
        count = 0
        now = time.monotonic()
        for member in process_tree(pid):
            proc = self._procs.get(member)
            try:
                if proc is None:
                    proc = self._procs[member] = psutil.Process(member)
                with proc.oneshot():
                    times = proc.cpu_times()
                    memory += proc.memory_info().rss
                    seconds = times.user + times.system
                    previous = self._last.get(member)
                    if previous is None:
                        age = max(time.time() - proc.create_time(), 1e-3)
                        cpu += 100.0 * seconds / age
                    else:
                        cpu += 100.0 * (seconds - previous[0]) / max(now - previous[1], 1e-3)
                    self._last[member] = (seconds, now)
                seen.add(member)
                count += 1
            except psutil.Error:
                self._procs.pop(member, None)
                self._last.pop(member, None)
        return ResourceUsage(cpu_percent=round(max(cpu, 0.0), 1), memory_mb=round(memory / 2**20, 1), processes=count)


def with_environment(name: str, value: str) -> list[int]:
    """Processes (of this user; /proc) whose environment has `name=value`. Every process an
    agent starts inherits CC_ORCHESTRATOR_INSTANCE_ID, even one that left its process group
    and was re-parented to init (`setsid sleep 777 &`)."""
    wanted = f"{name}={value}".encode()
    found = []
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                if wanted in fh.read().split(b"\0"):
                    found.append(int(entry.name))
        except OSError:  # gone, or not ours
            continue
    return found


def terminate_tree(pid: int, timeout: float = 5.0) -> int:
    """End `pid`, its process group and every descendant: TERM, then KILL after `timeout`.

    Returns how many processes had to be killed. A process already gone is not an error.
    """
    members: dict[int, psutil.Process] = {}
    for member in process_tree(pid):
        try:
            members[member] = psutil.Process(member)
        except psutil.Error:
            pass
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        group = None
    if group is not None and group != os.getpgrp():
        try:
            os.killpg(group, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    for proc in members.values():
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(list(members.values()), timeout=timeout)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    if alive:
        psutil.wait_procs(alive, timeout=2.0)
    return len(alive)
