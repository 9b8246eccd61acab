"""The remote hosts this process drives: each one's tmux and folders, its refresh (one round trip,
`batch.py`), its health, and its agents' CPU and memory.

Hosts are refreshed in parallel, each on a thread of its own; a refresh waits for them at most
`WAIT_SECONDS`. A host that answers later gives its answer to the next refresh; one that does not
answer at all is marked unreachable in the store (its instances then show UNREACHABLE, their
rows untouched) and asked again after a backoff: 1, 2, 4 ... 30 s. The first answer after that
clears the mark, and the refresh that applies it restores the true states: the host's tmux kept
the agents alive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.hosts import batch
from cc_orchestrator.core.hosts.remote import RemoteHost
from cc_orchestrator.core.hosts.service import to_host
from cc_orchestrator.core.hosts.ssh import Ssh
from cc_orchestrator.core.models import EventKind, Level, ResourceUsage
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import HostRow
from cc_orchestrator.errors import ExternalError, HostUnreachable, NotFound, message_of

WAIT_SECONDS = 2.0  # the longest a refresh waits for a slow host
BATCH_TIMEOUT = 10.0  # after this, a host that has not answered is unreachable
BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds before asking an unreachable host again
SEEN_EVERY = 30.0  # seconds between two writes of a healthy host's last_seen


@dataclass
class _Health:
    """This process's view of one host between refreshes."""

    pending: threading.Thread | None = None
    answer: batch.Batch | Exception | None = None
    failures: int = 0
    retry_at: float = 0.0
    seen_written: float = 0.0
    cpu: dict[int, tuple[int, float]] = field(default_factory=dict)  # pane pid -> (ticks, when)


class Fleet:
    def __init__(
        self, store: Store, events: EventLog, ssh: Callable[[], Ssh], data_dir: Path, socket_name, marker: str
    ) -> None:
        self.store = store
        self.events = events
        self._ssh = ssh
        self.data_dir = data_dir
        self.socket_name = socket_name
        self.marker = marker
        self._remotes: dict[str, RemoteHost] = {}
        self._health: dict[str, _Health] = {}
        self._lock = threading.Lock()
        self.usage: dict[tuple[str, int], ResourceUsage] = {}
        self.round_trips = 0  # batches sent by this process (the benchmark reads it)

    # -- one host ---------------------------------------------------------------------------

    def remote(self, name: str) -> RemoteHost:
        """The host named `name` (NotFound when it was never added, or was removed)."""
        with self._lock:
            found = self._remotes.get(name)
        if found is not None:
            return found
        row = self.store.read(lambda: HostRow.get_or_none(HostRow.name == name))
        if row is None:
            raise NotFound(f"no host named {name!r} (see `hosts list`)")
        ssh = self._ssh()
        home = row.home
        if not home:
            done = ssh.run(to_host(row), ["sh", "-c", 'printf %s "$HOME"'])
            home = done.text.strip()
            if done.returncode != 0 or not home.startswith("/"):
                raise ExternalError(f"host {name}: cannot find its home folder")
            self.store.write(lambda: HostRow.update(home=home).where(HostRow.name == name).execute())
        remote = RemoteHost(ssh, to_host(row), home, self.data_dir, self.socket_name, self.marker)
        with self._lock:
            self._remotes[name] = remote
        return remote

    # -- refreshing -------------------------------------------------------------------------

    def poll(self, wanted: dict[str, list[tuple[str, str, int | str, int]]]) -> dict[str, batch.Batch]:
        """Ask each host in `wanted` for its batch, in parallel: name -> the files to read
        there (kind "spool", "log" or "transcript"; instance id; the agent's run, or the
        transcript's path; the offset we hold). Return
        the answers that arrived within `WAIT_SECONDS` (a host in backoff, or still answering an
        earlier call, is left out). Health is recorded on the way."""
        now = time.monotonic()
        started = []
        for name, files in wanted.items():
            health = self._health.setdefault(name, _Health())
            if health.pending is not None or now < health.retry_at or health.answer is not None:
                continue
            thread = threading.Thread(target=self._ask, args=(name, files, health), daemon=True, name=f"host-{name}")
            health.pending = thread
            thread.start()
            started.append(thread)
        deadline = now + WAIT_SECONDS
        for thread in started:
            thread.join(max(0.0, deadline - time.monotonic()))
        answers: dict[str, batch.Batch] = {}
        for name in wanted:
            health = self._health[name]
            if health.pending is not None or health.answer is None:
                continue
            answer, health.answer = health.answer, None
            if isinstance(answer, Exception):
                self._failed(name, health, answer)
            else:
                self._answered(name, health, answer)
                answers[name] = answer
        return answers

    def _ask(self, name: str, files, health: _Health) -> None:
        try:
            remote = self.remote(name)
            where = {"spool": remote.spool, "log": lambda i, run: remote.log(i), "transcript": lambda i, path: path}
            paths = [(kind, i, where[kind](i, run), offset) for kind, i, run, offset in files]
            boundary, argv = batch.argv(self.socket_name, paths)
            self.round_trips += 1
            done = remote.run(argv, timeout=BATCH_TIMEOUT)
            answer = batch.parse(done.stdout, boundary, self.marker)
            answer.seconds = done.seconds
            if not answer.complete:
                raise HostUnreachable(f"host {name} unreachable: its answer was cut short")
            health.answer = answer
        except Exception as exc:  # noqa: BLE001 - any failure is the host's state, shown to the user
            health.answer = exc
        finally:
            health.pending = None

    def _answered(self, name: str, health: _Health, answer: batch.Batch) -> None:
        self._usage(name, health, answer)
        recovered = health.failures > 0
        health.failures, health.retry_at = 0, 0.0
        now = time.monotonic()
        if not recovered and now - health.seen_written < SEEN_EVERY:
            return
        health.seen_written = now

        def seen() -> None:
            row = HostRow.get_or_none(HostRow.name == name)
            if row is None:
                return
            if row.unreachable_since is not None:
                away = (utcnow() - row.unreachable_since).total_seconds()
                self.events.add(EventKind.LOG_MESSAGE, f"host {name} answers again (after {away:.0f} s)")
            values = {"last_seen": utcnow(), "unreachable_since": None, "last_error": ""}
            HostRow.update(values).where(HostRow.name == name).execute()

        self.store.write(seen)

    def _failed(self, name: str, health: _Health, exc: Exception) -> None:
        health.failures += 1
        health.retry_at = time.monotonic() + BACKOFF[min(health.failures, len(BACKOFF)) - 1]
        if not isinstance(exc, HostUnreachable):
            message = f"host {name}: {message_of(exc)}"
        else:
            message = message_of(exc)
        with self._lock:
            self._remotes.pop(name, None)  # its home or url may have changed: read again

        def mark() -> None:
            row = HostRow.get_or_none(HostRow.name == name)
            if row is None:
                return
            values: dict = {"last_error": message}
            if row.unreachable_since is None:
                values["unreachable_since"] = utcnow()
                self.events.add(EventKind.LOG_MESSAGE, f"{message}; its instances are UNREACHABLE", level=Level.WARNING)
            if row.last_error != message or row.unreachable_since is None:
                HostRow.update(values).where(HostRow.name == name).execute()

        self.store.write(mark)

    def _usage(self, name: str, health: _Health, answer: batch.Batch) -> None:
        """CPU from the change in CPU ticks since the last batch; memory as it is now."""
        now = time.monotonic()
        cpu = {}
        usage = {k: v for k, v in self.usage.items() if k[0] != name}
        for pid, (ticks, pages, processes) in answer.proc.items():
            before = health.cpu.get(pid)
            percent = 0.0
            if before is not None and now > before[1]:
                percent = max(0.0, (ticks - before[0]) / batch.TICKS_PER_SECOND / (now - before[1]) * 100)
            cpu[pid] = (ticks, now)
            usage[(name, pid)] = ResourceUsage(
                cpu_percent=round(percent, 1),
                memory_mb=round(pages * batch.PAGE_BYTES / 1_048_576, 1),
                processes=processes,
            )
        health.cpu = cpu
        self.usage = usage

    def in_backoff(self, name: str) -> bool:
        health = self._health.get(name)
        return health is not None and health.failures > 0
