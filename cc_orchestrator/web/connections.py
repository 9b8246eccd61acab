"""The connections `serve` holds: a cap, and deadlines for clients that hold one without using it.

uvicorn times out an idle keep-alive connection only after it has answered a request on it; a
client that connects and sends nothing, or sends its request a byte at a time, holds a file
descriptor for ever. A thousand of them use up the process's descriptors, and then nothing
works: accept() fails in a loop, the database cannot be opened. `GuardedH11Protocol` adds:

- a cap on open connections (HTTP and WebSocket). A new connection past it takes the place of
  the one that has waited longest for a request; when every connection is busy, it gets 503
  and is closed at once, so it costs a descriptor for a moment only;
- a deadline for each request head (`client_timeout` after the connection opened or the last
  response ended, however slowly its bytes trickle in), and for each pause in a request body.

The cap stays well below the descriptor limit, which `raise_fd_limit` lifts to the hard limit.
"""

from __future__ import annotations

import asyncio
import os
import resource
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from cc_orchestrator.errors import InvalidInput

MAX_CONNECTIONS_ENV = "CC_ORCHESTRATOR_WEB_MAX_CONNECTIONS"
CLIENT_TIMEOUT_ENV = "CC_ORCHESTRATOR_WEB_CLIENT_TIMEOUT"
MAX_CONNECTIONS = 512  # a browser holds about 7 (6 HTTP, 1 WebSocket); scripts a few
CLIENT_TIMEOUT = 10.0  # seconds
FD_RESERVE = 128  # descriptors kept for the database, watchers, pidfds and git/tmux pipes
ACCEPT_BURST = 64  # connections accepted per wake-up (and the listen queue's length)

_BUSY = b'{"error": {"code": "busy", "message": "too many open connections; try again soon"}}'
_REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY)
)


@dataclass(frozen=True)
class Limits:
    max_connections: int = MAX_CONNECTIONS
    client_timeout: float = CLIENT_TIMEOUT


def raise_fd_limit() -> int:
    """Lift the soft limit on open files to the hard one; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    infinite = resource.RLIM_INFINITY
    targets = [hard] if hard != infinite else [hard, 1 << 16, 10240]  # macOS refuses "unlimited"
    for target in targets:
        if soft != infinite and (target == infinite or target > soft):
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
                break
            except (ValueError, OSError):
                continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def limits(fd_limit: int) -> Limits:
    """The limits for a process allowed `fd_limit` open files, with the environment's overrides."""
    wanted = _number(MAX_CONNECTIONS_ENV, MAX_CONNECTIONS, int)
    timeout = _number(CLIENT_TIMEOUT_ENV, CLIENT_TIMEOUT, float)
    room = fd_limit - FD_RESERVE - 2 * ACCEPT_BURST if fd_limit != resource.RLIM_INFINITY else wanted
    return Limits(max_connections=max(min(wanted, room), 8), client_timeout=timeout)


def _number(name: str, default: Any, kind: type) -> Any:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not 0 < value < 1e6:
        raise InvalidInput(f"{name} must be a positive number, not {text[:40]!r}")
    return value


def protocol_class(given: Limits) -> type[H11Protocol]:
    """uvicorn's `http` protocol, with these limits."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": given})


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and client deadlines (this module's docstring)."""

    limits: ClassVar[Limits] = Limits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._waiting_since: float | None = None  # when it began to wait for a request head
        self._upgraded = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if _open(self.connections) > self.limits.max_connections and not self._evict():
            transport.write(_REFUSAL)
            transport.close()
            return
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._upgraded = True  # the WebSocket protocol has its own pings and timeouts
        self._cancel()
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm the deadline that fits the request's state: the whole head, or the next piece of body."""
        if self._upgraded or self.transport.is_closing():
            return self._cancel()
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._waiting_since is None:  # the head's deadline is not moved by trickling bytes
                self._waiting_since = self.loop.time()
                self._arm()
        elif state is h11.SEND_BODY:
            self._waiting_since = None
            self._arm()
        else:  # the request is in; answering it is our part, not the client's
            self._waiting_since = None
            self._cancel()

    def _arm(self) -> None:
        self._cancel()
        self._timer = self.loop.call_later(self.limits.client_timeout, self._expired)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self._upgraded or self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY and self.flow.read_paused:  # we stopped reading, not the client
            return self._arm()
        if state in (h11.IDLE, h11.SEND_BODY):
            self.transport.close()

    def _evict(self) -> bool:
        """Close the connection that has waited longest for a request; False when none waits."""
        waiting = [
            c
            for c in self.connections
            if isinstance(c, GuardedH11Protocol)
            and c is not self
            and c._waiting_since is not None
            and not c.transport.is_closing()
        ]
        if not waiting:
            return False
        min(waiting, key=lambda c: c._waiting_since or 0.0).transport.close()
        return True


def _open(connections: set[Any]) -> int:
    """Connections not already closing (a closed one leaves the set a loop turn later)."""
    transports = (getattr(c, "transport", None) for c in connections)
    return sum(1 for t in transports if t is not None and not t.is_closing())
