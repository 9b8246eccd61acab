"""The server's view of its instances: one shared, briefly cached list, and CPU/memory history.

The instance service keeps process handles (CPU is a delta between two samples) and screen
capture times that are not meant for several threads at once, so every call into it from this
process goes through one lock (`call`). Requests read the list the last refresh made: a burst
of requests costs one refresh, and an instance event from any process makes the next read
refresh again (`invalidate`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from cc_orchestrator.core.models import Instance

T = TypeVar("T")

HISTORY = 900  # samples kept per instance: 15 minutes at one tick a second


class InstanceBoard:
    def __init__(self, orchestrator, max_age: float = 1.0) -> None:
        self.orchestrator = orchestrator
        self.max_age = max_age
        self._lock = threading.RLock()
        self._instances: list[Instance] = []
        self._refreshed = 0.0
        self._stale = True
        self._history: dict[str, deque[tuple[datetime, float, float]]] = {}

    # -- the lock around the instance service ------------------------------------------

    def call(self, fn: Callable[[], T]) -> T:
        """Run a blocking instance-service call alone (call it from a worker thread); the
        list is refreshed at the next read, since the call may have changed it."""
        with self._lock:
            try:
                return fn()
            finally:
                self._stale = True

    def invalidate(self) -> None:
        self._stale = True

    # -- reading -----------------------------------------------------------------------

    def instances(self) -> list[Instance]:
        """Every instance, oldest first, refreshed if the cached list is old or stale."""
        with self._lock:
            if self._stale or time.monotonic() - self._refreshed > self.max_age:
                self._store(self.orchestrator.instances.list())
            return self._instances

    def cached(self) -> list[Instance]:
        """The last list, without refreshing (for the event loop, which must not block)."""
        return self._instances

    def get(self, ref: str) -> Instance:
        """One instance, fresh from the store, with the usage of the last refresh."""
        with self._lock:
            instance = self.orchestrator.instances.get(ref, refresh=False)
            for known in self._instances:
                if known.id == instance.id:
                    return _with_usage(instance, known)
            return instance

    def tick(self) -> list[Instance]:
        """The long-lived face's round (ingest, refresh, health checks, auto-assign)."""
        with self._lock:
            self._store(self.orchestrator.tick())
            return self._instances

    # -- history -----------------------------------------------------------------------

    def history(self, instance_id: str) -> list[tuple[datetime, float, float]]:
        return list(self._history.get(instance_id, ()))

    def latest_usage(self, instance_id: str):
        for known in self._instances:
            if known.id == instance_id:
                return known.resource_usage
        return None

    def _store(self, instances: list[Instance]) -> None:
        now = datetime.now(UTC)
        live = set()
        for instance in instances:
            if instance.status.is_live:
                live.add(instance.id)
                usage = instance.resource_usage
                samples = self._history.setdefault(instance.id, deque(maxlen=HISTORY))
                # at most one sample per half second, however often the list is refreshed
                if not samples or (now - samples[-1][0]).total_seconds() >= 0.5:
                    samples.append((now, usage.cpu_percent, usage.memory_mb))
        known = {i.id for i in instances}
        for gone in [i for i in self._history if i not in known]:
            del self._history[gone]
        self._instances = instances
        self._refreshed = time.monotonic()
        self._stale = False


def _with_usage(instance: Instance, known: Instance) -> Instance:
    import dataclasses

    if instance.pid and instance.pid == known.pid:
        return dataclasses.replace(instance, resource_usage=known.resource_usage)
    return instance
