"""`serve`'s end of the core's `Live`: pushed snapshots become WebSocket messages, CPU/memory
history and the instance list REST answers with; a request that changed something asks Live to
look now and waits for the snapshot that shows it.

Live calls `_pushed` on its thread; the clients' queues belong to the event loop, so the
messages are built there and handed over with `call_soon_threadsafe`. Requests (worker
threads) read the newest snapshot, which is replaced whole, never changed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cc_orchestrator.core.models import Event, EventKind, Instance, ResourceUsage
from cc_orchestrator.core.snapshot import EVENTS_PER_SNAPSHOT, Snapshot
from cc_orchestrator.web.events import Clients, encode, event_message, metrics_message

if TYPE_CHECKING:
    from cc_orchestrator.core.live import Live
    from cc_orchestrator.core.orchestrator import Orchestrator

log = logging.getLogger(__name__)

HISTORY = 900  # CPU/memory samples kept per instance
METRICS_EVERY = 1.0  # seconds between two `metrics` messages, at least
SETTLE_SECONDS = 5.0  # a request waits at most this long for the snapshot showing its change
FIRST_SNAPSHOT_SECONDS = 30.0


class Feed:
    def __init__(self, orch: Orchestrator, sweep: float | None = None) -> None:
        self.orch = orch
        self.sweep = sweep  # Live's safety sweep (and CPU/memory sampling), default 5 s
        self.clients = Clients()
        self.last_id = 0  # the newest event offered to clients (loop); `hello` says it
        self._read_id = 0  # the newest event turned into messages (Live's thread)
        self._live: Live | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._snapshot: Snapshot | None = None
        self._pushed_once = threading.Condition()
        self._history = _History()
        self._focus: list[str] = []  # instances whose pane output clients follow, newest last
        self._reason: str | None = None
        self._metrics_at = 0.0
        self._metrics_sent: dict | None = None
        self._metrics_queued = False  # a `metrics` message is due when METRICS_EVERY has passed

    async def start(self) -> None:
        """Start Live; clients get what happens from now on. Returns once the first snapshot
        (the store alone) is in, so requests always have one."""
        self._loop = asyncio.get_running_loop()
        self._read_id = self.last_id = await asyncio.to_thread(self.orch.events.latest_id)
        self._live = await asyncio.to_thread(self.orch.live, self._pushed, self._failed, self.sweep, self._read_id)
        await asyncio.to_thread(self._wait, self._first_in, FIRST_SNAPSHOT_SECONDS)
        if self._snapshot is None:  # the store failed: answer with nothing until a round works
            self._snapshot = Snapshot()

    def _first_in(self) -> bool:
        return self._snapshot is not None or self._reason is not None

    def stop(self) -> None:
        """Stop Live (blocking: call from a worker thread)."""
        if self._live is not None:
            self._live.stop()

    # -- what requests read and do ----------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot or Snapshot()

    def instances(self) -> list[Instance]:
        """Every instance, oldest first, as the newest snapshot shows them."""
        return list(self.snapshot.instances)

    def get(self, ref: str) -> Instance:
        """One instance by id or unique id prefix, from the newest snapshot; one it does not
        show yet (or a bad reference) is the store's to find or refuse."""
        shown = self.snapshot.instances
        found = [i for i in shown if i.id == ref] or [i for i in shown if ref and i.id.startswith(ref)]
        if len(found) == 1:
            return found[0]
        return self.orch.instances.get(ref, refresh=False)

    def history(self, instance_id: str) -> list[tuple[datetime, float, float]]:
        return self._history.of(instance_id)

    def settle(self, kick: bool = True, timeout: float = SETTLE_SECONDS) -> None:
        """After a request changed something: with `kick`, Live asks tmux and the store now
        (an instance's state may have moved); then wait until a snapshot holds every event
        recorded so far, so the next read shows the change. Blocking: a worker thread's."""
        newest = self.orch.events.latest_id()
        if self._live is not None:
            self._live.kick() if kick else self._live.store_changed()
        # not while Live's rounds fail: the request has done its part, and says so at once
        self._wait(lambda: self.snapshot.last_event_id >= newest or self._reason is not None, timeout)

    def focus(self, instance_id: str) -> None:
        """A client follows this instance: Live samples its CPU and memory every second."""
        self._focus.append(instance_id)
        self._refocus()

    def unfocus(self, instance_id: str) -> None:
        if instance_id in self._focus:
            self._focus.remove(instance_id)
            self._refocus()

    def _refocus(self) -> None:
        if self._live is not None:
            self._live.focus(self._focus[-1] if self._focus else None)

    def _wait(self, done, timeout: float) -> None:
        with self._pushed_once:
            self._pushed_once.wait_for(done, timeout)

    # -- Live's thread ---------------------------------------------------------------------

    def _pushed(self, snapshot: Snapshot) -> None:
        before = self._snapshot
        events = self._new_events(snapshot, before.last_event_id if before else 0)
        if events is None:
            texts = [encode({"type": "resync", "reason": "more happened at once than a client could take; reload"})]
        else:
            texts = [encode(event_message(e, _usage(snapshot, e))) for e in events]
        live = [i for i in snapshot.instances if i.status.is_live]
        self._history.add(snapshot.instances, live)
        with self._pushed_once:
            self._snapshot = snapshot
            self._pushed_once.notify_all()
        if self._reason is not None:
            log.warning("the refresh works again")
            self._reason = None
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._offer, texts, self._read_id, live)
            except RuntimeError:  # the loop closed: the server is going away
                pass

    def _new_events(self, snapshot: Snapshot, after: int) -> list[Event] | None:
        """The events no client was offered yet, oldest first; None when more came at once than
        one snapshot holds (everyone resyncs; the cursor skips to the newest)."""
        if self._read_id >= after and len(snapshot.events) < EVENTS_PER_SNAPSHOT:
            events = [e for e in snapshot.events if e.id > self._read_id]
            self._read_id = max(self._read_id, snapshot.last_event_id)
            return events
        # Live reads a backlog a batch per round (the history before we started, or a burst)
        events = self.orch.events.since(self._read_id, limit=EVENTS_PER_SNAPSHOT)
        if len(events) < EVENTS_PER_SNAPSHOT:
            if events:
                self._read_id = events[-1].id
            return events
        self._read_id = max(self.orch.events.latest_id(), snapshot.last_event_id)
        return None

    def _failed(self, reason: str) -> None:
        if reason != self._reason:  # a round fails, the next may work: say it once
            log.warning("refreshing instances failed: %s", reason)
            self._reason = reason
        with self._pushed_once:
            self._pushed_once.notify_all()

    # -- the event loop --------------------------------------------------------------------

    def _offer(self, texts: list[str], read_id: int, live: list[Instance]) -> None:
        for text in texts:
            self.clients.publish(text)
        self.last_id = max(self.last_id, read_id)
        if live:
            self._metrics(live)

    def _metrics(self, live: list[Instance]) -> None:
        """A `metrics` message when the figures changed, at most every METRICS_EVERY."""
        figures = {i.id: (i.status, i.resource_usage) for i in live}
        if figures == self._metrics_sent:
            return
        wait = self._metrics_at + METRICS_EVERY - time.monotonic()
        if wait > 0:
            if not self._metrics_queued:
                self._loop.call_later(wait, self._metrics_due)
                self._metrics_queued = True
            return
        self._metrics_at, self._metrics_sent = time.monotonic(), figures
        self.clients.publish(metrics_message(live))

    def _metrics_due(self) -> None:
        """The figures as the newest snapshot has them (an instance may have stopped since)."""
        self._metrics_queued = False
        if live := [i for i in self.snapshot.instances if i.status.is_live]:
            self._metrics(live)


def _usage(snapshot: Snapshot, event: Event):
    if event.kind is not EventKind.INSTANCE_STATUS:
        return None
    instance = snapshot.instance(event.instance_id)
    return instance.resource_usage if instance is not None else None


class _History:
    """CPU and memory per instance, for the charts: each sample Live took (it samples every
    sweep, every second for an instance a client follows), at most one a second: a newer one
    within the second replaces the last, since its figures hold until the next change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._samples: dict[str, deque[tuple[datetime, float, float]]] = {}
        self._taken: dict[str, ResourceUsage] = {}  # the sample each instance's last one came from

    def add(self, instances, live: list[Instance]) -> None:
        now = datetime.now(UTC)
        with self._lock:
            for instance in live:
                usage = instance.resource_usage
                if not usage.processes or self._taken.get(instance.id) is usage:  # none yet, or no new one
                    continue
                samples = self._samples.setdefault(instance.id, deque(maxlen=HISTORY))
                sample = (now, usage.cpu_percent, usage.memory_mb)
                if samples and (now - samples[-1][0]).total_seconds() < 1.0:
                    samples[-1] = (samples[-1][0], *sample[1:])  # the newest figures hold from then on
                else:
                    samples.append(sample)
                self._taken[instance.id] = usage
            known = {i.id for i in instances}
            for gone in [i for i in self._samples if i not in known]:
                del self._samples[gone]
                self._taken.pop(gone, None)

    def of(self, instance_id: str) -> list[tuple[datetime, float, float]]:
        with self._lock:
            return list(self._samples.get(instance_id, ()))
