"""Throttling wrong tokens per client address, in bounded memory.

Only failures are throttled: the right token is always let in, whatever came before it from
the same address (every local client is 127.0.0.1, so a lockout of the address would let any
local process lock the user out). Past the limit a wrong token is refused (429) after a pause
of `penalty` seconds, which keeps a guesser slow without holding up anyone who knows the token.
"""

from __future__ import annotations

import time
from collections import deque


class Throttle:
    """At most `max_failures` wrong tokens per client address in `window` seconds; more are
    refused after `penalty` seconds, and each counts, so a guesser who keeps on stays refused.

    Memory is bounded: at most `max_clients` addresses are remembered (oldest dropped).
    """

    def __init__(
        self, max_failures: int = 5, window: float = 60.0, max_clients: int = 10_000, penalty: float = 1.0
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self.penalty = penalty
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again; 0 when it may now."""
        failures = self._failures.get(client)
        if failures is None or len(failures) < self.max_failures:
            return 0.0
        wait = self.window - (time.monotonic() - failures[0])
        return max(wait, 0.0)

    def fail(self, client: str) -> float:
        """Count a wrong token from `client`: 0 while it was within the limit (refuse it: 401),
        else the seconds until it would be again (refuse it: 429, after `penalty`)."""
        over = self.retry_after(client) > 0
        failures = self._failures.pop(client, None) or deque(maxlen=self.max_failures)
        failures.append(time.monotonic())
        self._failures[client] = failures  # re-inserted: the dict stays oldest-first
        while len(self._failures) > self.max_clients:
            self._failures.pop(next(iter(self._failures)))
        return self.retry_after(client) if over else 0.0
