"""Who may talk to the server: this server can run commands on the user's machine.

Every HTTP request and WebSocket handshake passes `Guard` first:
- the Host header must name this machine (localhost, 127.0.0.1, [::1], any port), so a page
  on another site whose DNS name was rebound to 127.0.0.1 is refused;
- a WebSocket's Origin, when sent, must be this very origin (`null` is refused);
- a credential: `Authorization: Bearer <token>` (scripts) or the session cookie that the
  one-time sign-in link `/?token=...` or the `/login` form sets (browsers);
- a state change made with the cookie must echo the CSRF cookie in `X-CSRF-Token` (and an
  Origin naming another site is refused);
- wrong tokens are throttled per client address (`throttle.py`); the right one always gets in.

The token is compared first, with `secrets.compare_digest`, and never logged; the cookies hold
values derived from it (HMAC), not the token itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cc_orchestrator.web.origins import (
    DEFAULT_PORTS,
    LOOPBACK_HOSTS,
    foreign_origin,
    host_allowed,
    same_origin,
    split_host,
)
from cc_orchestrator.web.throttle import Throttle

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = frozenset({"/login", "/login.css"})  # the sign-in form must load without a token
CSRF_HEADER = "x-csrf-token"
MAX_BODY = 1024 * 1024  # bytes; the largest legitimate body is a long prompt
COOKIE_MAX_AGE = 7 * 24 * 3600

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


def cookie_names(host: str | None, scheme: str) -> tuple[str, str]:
    """Session and CSRF cookie names. Cookies ignore ports, so each port gets its own names
    and two servers on one machine do not overwrite each other's sign-in."""
    parsed = split_host(host or "")
    port = parsed[1] if parsed and parsed[1] else DEFAULT_PORTS.get(scheme, 80)
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
        cors: bool = False,
    ) -> None:
        self.app = app
        self.credentials = credentials
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.throttle = throttle or Throttle()
        self.cors = cors  # CORS preflights carry no credentials: let the CORS middleware answer
        self.link_used = False  # the printed sign-in link works once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        response = self.check(scope)
        if response is not None:
            if response.status_code == 429:  # a guesser past the limit: slow it down
                await asyncio.sleep(self.throttle.penalty)
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
        if not websocket and (refusal := _body_refusal(headers)) is not None:
            return refusal
        if not websocket and path in PUBLIC_PATHS:
            return None
        if self.cors and method == "OPTIONS" and "access-control-request-method" in headers:
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
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value and self.credentials.is_token(value.strip()):
            return None
        if wait := self.throttle.fail(client):
            return _too_many(wait)
        return _unauthorized("wrong token")

    def _check_csrf(self, headers: Headers, host: str, scheme: str) -> Response | None:
        if foreign_origin(headers.get("origin"), host, scheme):
            return error_body(403, "bad_origin", "cross-site request refused")
        sent = headers.get(CSRF_HEADER)
        if sent is None or not self.credentials.is_csrf(sent):
            return error_body(403, "csrf_failed", f"missing or wrong {CSRF_HEADER} header")
        return None

    def _first_visit(self, token: str, client: str, host: str, scheme: str) -> Response:
        if not self.credentials.is_token(token):
            if wait := self.throttle.fail(client):
                return _too_many(wait)
            return _unauthorized("wrong token; sign in at /login", html=True)
        if self.link_used:
            return _unauthorized("this sign-in link was used already; sign in at /login with the token", html=True)
        self.link_used = True
        return sign_in(_see_other("/"), self.credentials, host, scheme)


def _body_refusal(headers: Headers) -> Response | None:
    """Bodies must say their length, and be at most MAX_BODY: nothing reads an unbounded body."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return error_body(411, "length_required", "send the body with a Content-Length")
    length = headers.get("content-length")
    if length is None:
        return None
    if not length.strip().isdigit():
        return error_body(400, "bad_request", "invalid Content-Length")
    if int(length) > MAX_BODY:
        return error_body(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
    return None


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
    # no-referrer: the page this came from may have the token in its address
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return RedirectResponse(location, status_code=303, headers=headers)


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
            headers.setdefault("Referrer-Policy", "same-origin")
            if page:
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        await send(message)

    return sending
