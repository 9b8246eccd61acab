"""A small base for fake HTTP APIs: a real server on 127.0.0.1, records, routes and faults.

Subclasses register routes and the server does the rest. Standard library only.

    class FakeThing(FakeServer):
        def __init__(self) -> None:
            super().__init__()
            self.route("GET", r"/things/(?P<name>[^/]+)", self._get_thing)

        def _get_thing(self, request: Recorded, name: str) -> Response:
            return Response(200, {"name": name})

    with FakeThing() as thing:                    # a free port, a daemon thread
        httpx.get(f"{thing.base_url}/things/a")
        assert thing.requests[-1].path == "/things/a"
        thing.fail_next(503, times=2)             # the next two requests get 503
        thing.fail_next(200, delay=5)             # then one that answers late (client timeouts)

Every request is recorded in `requests` (a `Recorded`), faults included. Queued faults are
served instead of the real handler, first in first out; `delay` (seconds) slows every answer.
An unknown route gets 404 {"message": "Not Found"}; an exception in a handler, 500 with its
traceback. Handlers run one at a time (under a lock), so they need no locking of their own.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

Body = bytes | str | dict | list | None


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str  # without the query string, percent-decoded
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        return self.query.get(name, [default])[0]


@dataclass
class Response:
    """What a handler answers: a dict or list body is sent as JSON, a str as plain text."""

    status: int = 200
    body: Body = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, dict[str, str]]:
        """The body's bytes and the headers to send, Content-Type filled in."""
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            data, kind = json.dumps(self.body).encode(), "application/json; charset=utf-8"
        elif isinstance(self.body, str):
            data, kind = self.body.encode(), "text/plain; charset=utf-8"
        else:
            data, kind = self.body or b"", "application/octet-stream"
        if data and not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = kind
        return data, headers


Handler = Callable[..., Response]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real services
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log on stderr

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers, then the blank line
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        request = Recorded(
            method=self.command,
            path=unquote(parts.path),
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self._body(),
        )
        response = self.server.fake._answer(request)
        data, headers = response.encode()
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and response.status not in (204, 304):
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeServer) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out hang up on purpose


class FakeServer:
    """A fake HTTP API on 127.0.0.1 and a free port, run from a daemon thread."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.delay: float = 0.0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[tuple[Response, float]] = []
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._server = _Server(self)
        serve = self._server.serve_forever  # polling every 0.05 s, so that shutdown is quick
        self._thread = threading.Thread(target=serve, args=(0.05,), name=type(self).__name__, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- for tests ---------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        body: Body = "",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests with this response, after `delay` seconds."""
        with self._lock:
            self._faults += [(Response(status, body, dict(headers or {})), delay) for _ in range(times)]

    # -- for subclasses ----------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Send METHOD requests whose whole path matches `pattern` to handler(request, **groups)."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def handle(self, request: Recorded) -> Response:
        """The answer to one request; subclasses may override it and call `dispatch`."""
        return self.dispatch(request)

    def dispatch(self, request: Recorded) -> Response:
        """Call the first route matching the method (HEAD as GET) and the path, or answer 404."""
        wanted = "GET" if request.method == "HEAD" else request.method
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == wanted:
                return handler(request, **match.groupdict())
        return self.not_found(request)

    def not_found(self, request: Recorded) -> Response:
        return Response(404, {"message": "Not Found"})

    def finish(self, request: Recorded, response: Response) -> Response:
        """A last look at every response, faults included (GitHub adds rate-limit headers)."""
        return response

    # -- machinery ---------------------------------------------------------------------------

    def _answer(self, request: Recorded) -> Response:
        with self._lock:
            self.requests.append(request)
            fault, fault_delay = self._faults.pop(0) if self._faults else (None, 0.0)
        if self.delay or fault_delay:
            self._closing.wait(self.delay + fault_delay)
        with self._lock:
            try:
                response = fault or self.handle(request)
            except Exception:  # a bug in the fake: say so instead of hanging up
                response = Response(500, traceback.format_exc())
            return self.finish(request, response)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # cut delays short
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
