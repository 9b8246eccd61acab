"""Throttling wrong tokens per client address, in bounded memory."""

from __future__ import annotations

import time
from collections import deque


class Throttle:
    """At most `max_failures` wrong tokens per client address in `window` seconds.

    Memory is bounded: at most `max_clients` addresses are remembered (oldest dropped).
    """

    def __init__(self, max_failures: int = 5, window: float = 60.0, max_clients: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again; 0 when it may now."""
        failures = self._failures.get(client)
        if failures is None or len(failures) < self.max_failures:
            return 0.0
        wait = self.window - (time.monotonic() - failures[0])
        return max(wait, 0.0)

    def fail(self, client: str) -> None:
        failures = self._failures.pop(client, None) or deque(maxlen=self.max_failures)
        failures.append(time.monotonic())
        self._failures[client] = failures  # re-inserted: the dict stays oldest-first
        while len(self._failures) > self.max_clients:
            self._failures.pop(next(iter(self._failures)))
