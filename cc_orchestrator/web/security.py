"""Who may talk to the server: this server can run commands on the user's machine.

Every HTTP request and WebSocket handshake passes `Guard` first:
- the Host header must name this machine (localhost, 127.0.0.1, [::1], any port), so a page
  on another site whose DNS name was rebound to 127.0.0.1 is refused;
- a WebSocket's Origin, when sent, must be this very origin (`null` is refused);
- a credential: `Authorization: Bearer <token>` (scripts) or the session cookie that the
  one-time sign-in link `/?token=...` or the `/login` form sets (browsers);
- a state change made with the cookie must echo the CSRF cookie in `X-CSRF-Token` (and its
  Origin, when sent, must be ours);
- failed token attempts are throttled per client address.

The token is compared with `secrets.compare_digest` and never logged; the cookies hold values
derived from it (HMAC), not the token itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = frozenset({"/login", "/login.css"})  # the sign-in form must load without a token
CSRF_HEADER = "x-csrf-token"
COOKIE_MAX_AGE = 7 * 24 * 3600
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}

# Pages only: /docs loads Swagger UI from its CDN with an inline script, so it gets no CSP.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_NO_CSP_PREFIXES = ("/docs", "/redoc")


def _derive(token: str, purpose: str) -> str:
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def _equal(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class Credentials:
    """The server's token and the cookie values derived from it."""

    token: str
    session: str = field(init=False)
    csrf: str = field(init=False)

    def __post_init__(self) -> None:
        if len(self.token) < 16:
            raise ValueError("the web token must be at least 16 characters")
        object.__setattr__(self, "session", _derive(self.token, "session"))
        object.__setattr__(self, "csrf", _derive(self.token, "csrf"))

    def is_token(self, value: str) -> bool:
        return _equal(value, self.token)

    def is_session(self, value: str) -> bool:
        return _equal(value, self.session)

    def is_csrf(self, value: str) -> bool:
        return _equal(value, self.csrf)


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


def _split_host(value: str) -> tuple[str, int | None] | None:
    """`host[:port]` -> (lower-case host, port); IPv6 keeps its brackets. None if malformed."""
    value = value.strip().lower()
    if not value or any(c in value for c in "@/\\ ?#"):
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[: end + 1], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    else:
        host, _, port_text = value.partition(":")
        port_text = port_text if ":" in value else None
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return host, int(port_text)


def host_allowed(value: str | None, allowed: Iterable[str]) -> bool:
    parsed = _split_host(value or "")
    return parsed is not None and parsed[0] in allowed


def same_origin(origin: str, host: str, scheme: str) -> bool:
    """Whether an Origin header names the origin the request was sent to (Host + scheme)."""
    if origin.strip().lower() == "null":
        return False
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return False
    target = _split_host(host)
    if target is None:
        return False
    want_scheme = "https" if scheme in ("https", "wss") else "http"
    origin_host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return (
        parts.scheme == want_scheme
        and origin_host == target[0]
        and (origin_port or _DEFAULT_PORTS[parts.scheme]) == (target[1] or _DEFAULT_PORTS[want_scheme])
    )


def cookie_names(host: str | None, scheme: str) -> tuple[str, str]:
    """Session and CSRF cookie names. Cookies ignore ports, so each port gets its own names
    and two servers on one machine do not overwrite each other's sign-in."""
    parsed = _split_host(host or "")
    port = parsed[1] if parsed and parsed[1] else _DEFAULT_PORTS.get(scheme, 80)
    return f"cco_session_{port}", f"cco_csrf_{port}"


def sign_in(response: Response, credentials: Credentials, host: str | None, scheme: str) -> Response:
    """Set the HttpOnly session cookie and the CSRF cookie the page's script echoes."""
    session_name, csrf_name = cookie_names(host, scheme)
    secure = scheme in ("https", "wss")
    common = dict(max_age=COOKIE_MAX_AGE, path="/", samesite="strict", secure=secure)
    response.set_cookie(session_name, credentials.session, httponly=True, **common)
    response.set_cookie(csrf_name, credentials.csrf, httponly=False, **common)
    response.headers["Cache-Control"] = "no-store"
    return response


def sign_out(response: Response, host: str | None, scheme: str) -> Response:
    for name in cookie_names(host, scheme):
        response.delete_cookie(name, path="/", samesite="strict")
    return response


def error_body(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class Guard:
    """ASGI middleware enforcing the rules in this module's docstring."""

    def __init__(
        self,
        app: ASGIApp,
        credentials: Credentials,
        allowed_hosts: Iterable[str] = LOOPBACK_HOSTS,
        throttle: Throttle | None = None,
    ) -> None:
        self.app = app
        self.credentials = credentials
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.throttle = throttle or Throttle()
        self.link_used = False  # the printed sign-in link works once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        response = self.check(scope)
        if response is not None:
            await _respond(response, scope, receive, send)
            return
        await self.app(scope, receive, _with_security_headers(scope, send))

    def check(self, scope: Scope) -> Response | None:
        """None to let the request through; otherwise the refusal (or sign-in redirect)."""
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not host_allowed(host, self.allowed_hosts):
            return error_body(400, "bad_host", "this server answers only to its own host names")
        websocket = scope["type"] == "websocket"
        origin = headers.get("origin")
        if websocket and origin is not None and not same_origin(origin, host, scope["scheme"]):
            return error_body(403, "bad_origin", "WebSocket connections are accepted only from this dashboard")
        path, method = scope["path"], scope.get("method", "GET")
        if not websocket and path in PUBLIC_PATHS:
            return None
        client = client_address(scope)
        session_name, _ = cookie_names(host, scope["scheme"])
        authorization = headers.get("authorization")
        if authorization is not None:
            return self._check_bearer(authorization, client)
        cookie = _cookies(headers).get(session_name)
        if cookie is not None and self.credentials.is_session(cookie):
            if path == "/" and _query_token(scope) is not None:  # signed in: drop it from the URL
                return _see_other("/")
            if not websocket and method not in SAFE_METHODS:
                return self._check_csrf(headers, host, scope["scheme"])
            return None
        query_token = _query_token(scope)
        if query_token is not None and not websocket and path == "/" and method == "GET":
            return self._first_visit(query_token, client, host, scope["scheme"])
        if not websocket and method == "GET" and path in ("/", "/docs", "/redoc"):
            response = _see_other("/login")
            return sign_out(response, host, scope["scheme"]) if cookie is not None else response
        response = _unauthorized("sign in: send `Authorization: Bearer <token>`")
        return sign_out(response, host, scope["scheme"]) if cookie is not None else response

    def _check_bearer(self, authorization: str, client: str) -> Response | None:
        if wait := self.throttle.retry_after(client):
            return _too_many(wait)
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value and self.credentials.is_token(value.strip()):
            return None
        self.throttle.fail(client)
        return _unauthorized("wrong token")

    def _check_csrf(self, headers: Headers, host: str, scheme: str) -> Response | None:
        origin = headers.get("origin")
        if origin is not None and not same_origin(origin, host, scheme):
            return error_body(403, "bad_origin", "cross-site request refused")
        sent = headers.get(CSRF_HEADER)
        if sent is None or not self.credentials.is_csrf(sent):
            return error_body(403, "csrf_failed", f"missing or wrong {CSRF_HEADER} header")
        return None

    def _first_visit(self, token: str, client: str, host: str, scheme: str) -> Response:
        if self.link_used:
            return _unauthorized(
                "this sign-in link was used already; sign in at /login with the token", html=True
            )
        if wait := self.throttle.retry_after(client):
            return _too_many(wait)
        if not self.credentials.is_token(token):
            self.throttle.fail(client)
            return _unauthorized("wrong token; sign in at /login", html=True)
        self.link_used = True
        return sign_in(_see_other("/"), self.credentials, host, scheme)


def _query_token(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    if "token" not in query:
        return None
    values = parse_qs(query, keep_blank_values=True).get("token")
    return values[0] if values else None


def _cookies(headers: Headers) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in headers.getlist("cookie"):
        for part in header.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name not in found:
                found[name] = value.strip().strip('"')
    return found


def _see_other(location: str) -> Response:
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def _unauthorized(message: str, html: bool = False) -> Response:
    if html:
        from html import escape

        body = f'<!doctype html><title>Sign in</title><p>{escape(message)}</p><p><a href="/login">Sign in</a></p>'
        response: Response = Response(body, status_code=401, media_type="text/html")
    else:
        response = error_body(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _too_many(wait: float) -> Response:
    seconds = max(int(wait + 0.999), 1)
    response = error_body(429, "too_many_attempts", f"too many wrong tokens; try again in {seconds} s")
    response.headers["Retry-After"] = str(seconds)
    return response


async def _respond(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    """Send a refusal; a WebSocket handshake gets it as an HTTP response when the server can
    send one (uvicorn can), else the handshake is closed (the client sees 403)."""
    if scope["type"] == "websocket" and "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    await response(scope, receive, _with_security_headers(scope, send))


def _with_security_headers(scope: Scope, send: Send) -> Send:
    page = not scope["path"].startswith(_NO_CSP_PREFIXES)

    async def sending(message: Message) -> None:
        if message["type"] in ("http.response.start", "websocket.http.response.start"):
            headers = MutableHeaders(scope=message)
            headers.setdefault("X-Content-Type-Options", "nosniff")
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("Referrer-Policy", "no-referrer")
            if page:
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        await send(message)

    return sending
