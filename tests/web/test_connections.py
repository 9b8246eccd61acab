"""Issue 12, item 4: clients that hold connections without using them, against the real uvicorn
server with `serve`'s protocol (a small app in a thread), and the log filter for error storms."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import subprocess
import sys
import threading

import pytest

from cc_orchestrator.web.connections import Limits, protocol_class
from cc_orchestrator.web.log_limit import StormFilter
from tests.helpers import retry_until

TIMEOUT = 0.5
RELEASE = threading.Event()
WAITING: list[str] = []  # a line per request that /wait holds


async def app(scope, receive, send):
    """/ answers at once, /wait when the test releases it; a body is read whole; a WebSocket echoes."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": f"{message['type']}.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message.get("text")})
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/wait":
        WAITING.append(scope["path"])
        while not RELEASE.is_set():
            await asyncio.sleep(0.01)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def make_guarded():
    """Servers with serve's protocol, at most 4 connections each, in threads of this process."""
    import uvicorn

    RELEASE.clear()
    WAITING.clear()
    running = []

    def make(client_timeout: float = TIMEOUT) -> int:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        limits = Limits(max_connections=4, client_timeout=client_timeout)
        config = uvicorn.Config(app, log_level="warning", http=protocol_class(limits))
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread, sock))
        retry_until(lambda: server.started or not thread.is_alive(), timeout=15)
        assert thread.is_alive()
        return sock.getsockname()[1]

    yield make
    RELEASE.set()
    for server, thread, sock in running:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def guarded(make_guarded) -> int:
    """The port of a server whose clients get TIMEOUT seconds."""
    return make_guarded()


@pytest.fixture
def patient(make_guarded) -> int:
    """The port of a server whose clients get a minute: nothing times out during a test."""
    return make_guarded(60.0)


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def closed_by_server(client: socket.socket) -> bool:
    client.settimeout(0.05)
    try:
        return client.recv(4096) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def request(port: int, path: str = "/", client: socket.socket | None = None) -> bytes:
    """The start of the answer to a GET (b"" when the server closed first), on `client` or a
    connection of its own."""
    if client is None:
        with connect(port) as own:
            return request(port, path, own)
    client.settimeout(10)
    try:
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        return client.recv(4096)
    except ConnectionResetError:
        return b""


def test_a_client_that_sends_nothing_is_closed(guarded):
    with connect(guarded) as idle:
        retry_until(lambda: closed_by_server(idle))


def test_a_request_head_sent_a_byte_at_a_time_is_closed(guarded):
    with connect(guarded) as slow:
        head = iter(b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 100_000)

        def trickle() -> bool:
            try:
                slow.send(bytes([next(head)]))
            except OSError:
                return True
            return closed_by_server(slow)

        retry_until(trickle, timeout=30)


def test_a_body_that_stops_coming_is_closed(guarded):
    with connect(guarded) as slow:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789")
        retry_until(lambda: closed_by_server(slow))


def test_an_idle_keep_alive_connection_is_closed_after_its_answer(guarded):
    with connect(guarded) as client:
        assert request(guarded, client=client).startswith(b"HTTP/1.1 200")
        retry_until(lambda: closed_by_server(client))


def test_past_the_cap_a_new_client_takes_the_place_of_an_idle_one(patient):
    idle = [connect(patient) for _ in range(4)]
    try:
        retry_until(lambda: request(patient).startswith(b"HTTP/1.1 200"))  # in the place of the oldest
        assert closed_by_server(idle[0]) and not any(closed_by_server(c) for c in idle[1:])
    finally:
        for client in idle:
            client.close()


def test_past_the_cap_with_every_connection_busy_a_new_one_gets_503(patient):
    busy = [connect(patient) for _ in range(4)]
    try:
        for client in busy:
            client.sendall(b"GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        retry_until(lambda: len(WAITING) == 4)
        refused = retry_until(lambda: (answer := request(patient)).startswith(b"HTTP/1.1 503") and answer)
        assert b"too many open connections" in refused and b"retry-after: 1" in refused.lower()
        RELEASE.set()
        for client in busy:
            client.settimeout(10)
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for client in busy:
            client.close()
    retry_until(lambda: request(patient).startswith(b"HTTP/1.1 200"))


def test_a_websocket_is_not_closed_by_the_request_deadline(guarded):
    from websockets.sync.client import connect as ws_connect

    with ws_connect(f"ws://127.0.0.1:{guarded}/ws", open_timeout=10) as ws:
        with connect(guarded) as later:  # opened after the WebSocket: its deadline comes later
            retry_until(lambda: closed_by_server(later))
        ws.send("still here")
        assert ws.recv(timeout=10) == "still here"


# -- the log filter ------------------------------------------------------------------------------


def record(message: str, exc: BaseException | None = None, name: str = "asyncio") -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, None, exc_info)


def test_a_storm_of_fd_errors_becomes_one_line_every_interval_with_a_count():
    now = [100.0]
    storm = StormFilter(interval=10, clock=lambda: now[0])
    emfile = OSError(errno.EMFILE, "Too many open files")
    first = record("socket.accept() out of system resource\nsocket: <fd=3>", emfile)
    assert storm.filter(first)
    assert first.getMessage() == "socket.accept() out of system resource: Too many open files"
    assert first.exc_info is None  # no traceback
    held = [record("socket.accept() out of system resource", emfile) for _ in range(5000)]
    assert not any(storm.filter(r) for r in held)
    wrapped = RuntimeError("cannot open database")
    wrapped.__context__ = OSError(errno.EMFILE, "Too many open files")
    assert not storm.filter(record("reading the events failed", wrapped, name="cc_orchestrator.web"))
    now[0] += 10
    later = record("socket.accept() out of system resource", emfile)
    assert storm.filter(later)
    assert "(5,001 more like it in the last 10 s)" in later.getMessage()


def test_other_repeated_lines_are_held_back_and_distinct_ones_pass_within_a_budget():
    now = [0.0]
    storm = StormFilter(interval=10, budget=3, clock=lambda: now[0])
    assert storm.filter(record("database busy"))
    assert not storm.filter(record("database busy"))
    assert storm.filter(record("another thing"))
    assert storm.filter(record("a third thing"))
    assert not storm.filter(record("a fourth thing"))  # past the budget of 3 lines in 10 s
    now[0] = 10.5
    again = record("database busy")
    assert storm.filter(again) and "(1 more like it" in again.getMessage()


def test_the_soft_fd_limit_is_raised_to_the_hard_one():
    code = "from cc_orchestrator.web.connections import raise_fd_limit; print(raise_fd_limit())"

    def low_soft_limit():
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 512))

    out = subprocess.run(
        [sys.executable, "-c", code], preexec_fn=low_soft_limit, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "512"


def test_the_timeouts_and_the_cap_come_from_the_environment(monkeypatch):
    from cc_orchestrator.errors import InvalidInput
    from cc_orchestrator.web.connections import MAX_CONNECTIONS, limits

    assert limits(1 << 20) == Limits(MAX_CONNECTIONS, 10.0)
    assert limits(1024).max_connections <= 1024 - 128  # descriptors kept for everything else
    assert limits(64).max_connections >= 8
    monkeypatch.setenv("CC_ORCHESTRATOR_WEB_CLIENT_TIMEOUT", "1.5")
    monkeypatch.setenv("CC_ORCHESTRATOR_WEB_MAX_CONNECTIONS", "20")
    assert limits(1 << 20) == Limits(20, 1.5)
    monkeypatch.setenv("CC_ORCHESTRATOR_WEB_CLIENT_TIMEOUT", "soon")
    with pytest.raises(InvalidInput, match="CC_ORCHESTRATOR_WEB_CLIENT_TIMEOUT must be a positive number"):
        limits(1 << 20)
