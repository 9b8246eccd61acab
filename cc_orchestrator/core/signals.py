"""What changed since `Live`'s last round: posted from watchdog's and the exit watcher's threads
(and by a face that just acted), taken by `Live`'s thread.

Each post notes what changed and wakes the round; nothing here does any work. Output is taken
per instance once it is due: soon after the first write (its burst ends), and at most every
AT_MOST_EVERY while output keeps coming.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

FIRST_READ = 0.02  # after an agent's first output, read its screen this soon
AT_MOST_EVERY = 0.25  # while output keeps coming, read a screen at most this often


@dataclass
class Changes:
    output: set[str] = field(default_factory=set)  # instances whose screens are due a read
    hooks: set[str] = field(default_factory=set)  # instances whose hook spools grew
    tmux: bool = False  # tmux's hooks wrote to their events file
    store: bool = False  # the database's WAL changed (someone committed)
    kicked: bool = False  # the user acted: look at everything
    exited: bool = False  # the kernel says an agent's process ended
    hosts: set[str] = field(default_factory=set)  # remote hosts where something moved

    def __bool__(self) -> bool:
        return bool(self.output or self.hooks or self.tmux or self.kicked or self.exited or self.hosts)


class Signals:
    def __init__(self) -> None:
        self.wake = threading.Event()
        self._lock = threading.Lock()
        self._output: dict[str, float] = {}  # instance id -> when output arrived, not yet read
        self._read_at: dict[str, float] = {}  # instance id -> when its screen was last read
        self._next = Changes()

    # -- posted (any thread) -----------------------------------------------------------------

    def output(self, instance_id: str) -> None:
        with self._lock:
            self._output.setdefault(instance_id, time.monotonic())
        self.wake.set()

    def hook(self, instance_id: str) -> None:
        with self._lock:
            self._next.hooks.add(instance_id)
        self.wake.set()

    def host(self, name: str) -> None:
        """Something moved on a remote host (its watcher said so)."""
        with self._lock:
            self._next.hosts.add(name)
        self.wake.set()

    def tmux_event(self) -> None:
        self._flag("tmux")

    def store_changed(self) -> None:
        self._flag("store")

    def kick(self) -> None:
        self._flag("kicked")

    def exited(self) -> None:
        self._flag("exited")

    def _flag(self, name: str) -> None:
        with self._lock:
            setattr(self._next, name, True)
        self.wake.set()

    # -- taken (Live's thread) ---------------------------------------------------------------

    def due_times(self) -> list[float]:
        with self._lock:
            return [self._due(i, t) for i, t in self._output.items()]

    def take(self, now: float) -> Changes:
        """Everything posted since the last take, and the output due a read by `now`."""
        with self._lock:
            taken, self._next = self._next, Changes()
            taken.output = {i for i, t in self._output.items() if self._due(i, t) <= now}
            for instance_id in taken.output:
                del self._output[instance_id]
                self._read_at[instance_id] = now
        return taken

    def _due(self, instance_id: str, arrived: float) -> float:
        return max(arrived + FIRST_READ, self._read_at.get(instance_id, 0.0) + AT_MOST_EVERY)
