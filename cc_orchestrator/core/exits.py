"""Knowing the moment an agent's process ends, from the kernel: a pidfd per agent.

`os.pidfd_open(pid)` gives a descriptor that becomes readable when the process exits, zombie
or not, whoever its parent is. tmux's own `pane-died` hook is not enough: tmux 3.3 sometimes
never reaps an agent (tmux/tmux#4841), and then it neither reports the exit status nor runs the
hook. One thread polls every agent's pidfd and a pipe that wakes it when the set changes; it
costs nothing while nobody exits. Without pidfds (an old kernel), `available` is False and the
caller checks /proc on its sweep instead.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable, Iterable

available = hasattr(os, "pidfd_open")


class ExitWatcher:
    def __init__(self, on_exit: Callable[[int], None]) -> None:
        self.on_exit = on_exit
        self._fds: dict[int, int] = {}  # pid -> pidfd
        self._lock = threading.Lock()
        self._wake_read, self._wake_write = os.pipe()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="cc-orchestrator-exits", daemon=True)
        self._thread.start()

    def watch(self, pids: Iterable[int]) -> None:
        """Watch exactly these processes (a pid already gone is reported at once)."""
        wanted = {p for p in pids if p}
        gone: list[int] = []
        with self._lock:
            if self._stopped:
                return
            for pid in [p for p in self._fds if p not in wanted]:
                os.close(self._fds.pop(pid))
            for pid in wanted - self._fds.keys():
                try:
                    self._fds[pid] = os.pidfd_open(pid)
                except ProcessLookupError:
                    gone.append(pid)
                except OSError:
                    continue  # not ours to watch; the sweep still looks
            os.write(self._wake_write, b"x")  # under the lock: `stop` closes the pipe
        for pid in gone:
            self.on_exit(pid)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        os.write(self._wake_write, b"x")
        self._thread.join(timeout=5)
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _run(self) -> None:
        while not self._stopped:
            with self._lock:
                by_fd = {fd: pid for pid, fd in self._fds.items()}
            poller = select.poll()
            poller.register(self._wake_read, select.POLLIN)
            for fd in by_fd:
                poller.register(fd, select.POLLIN)
            for fd, flags in poller.poll():
                if fd == self._wake_read:
                    os.read(self._wake_read, 4096)
                    continue
                pid = by_fd.get(fd)
                with self._lock:  # the set may have changed while we waited: report only what is current
                    current = pid is not None and self._fds.get(pid) == fd and not flags & select.POLLNVAL
                    if current:
                        os.close(self._fds.pop(pid))
                if current:
                    self.on_exit(pid)
