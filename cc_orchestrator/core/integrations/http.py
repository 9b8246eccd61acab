"""One careful HTTP client for every service we call: GitHub, Jira, Slack.

Network faults are ordinary, so each call has a timeout, retries with backoff where repeating
is safe, waits out a rate limit the server announces (GitHub's X-RateLimit-* headers, any
Retry-After) up to `max_wait`, and turns every failure into one IntegrationError line that
names the setting to fix. Secrets never reach a message: tokens travel in headers only, and
every message is scrubbed of them before it leaves.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from cc_orchestrator.errors import Conflict, IntegrationError

# httpx logs every request URL at INFO; a Slack webhook URL is itself a secret.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

_SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_MAX_RATE_WAITS = 3
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class HttpClient:
    """Calls to one service. `service` names it in messages ("GitHub"); `token_setting` and
    `url_setting` are the settings a person fixes when the service says 401/403/404."""

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        token_setting: str,
        url_setting: str,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        secrets: Iterable[str] = (),
        timeout: float = 10.0,
        retries: int = 3,
        max_wait: float = 60.0,
        show_url: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.token_setting = token_setting
        self.url_setting = url_setting
        self.secrets = [s for s in secrets if s]
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.show_url = show_url  # False when the URL itself is a secret (a Slack webhook)
        self.sleep = sleep
        parts = urlsplit(self.base_url)
        if self.secrets and parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise Conflict(
                f"refusing to send a secret over plain http to {parts.hostname}; use https in "
                + (url_setting if show_url else "the URL")
            )
        self._resume_at = 0.0  # a rate limit ran out: nothing before this time
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"User-Agent": "cc-orchestrator", **(headers or {})},
            auth=auth,
            timeout=timeout,
            follow_redirects=True,  # httpx drops credentials when a redirect changes host
        )

    @classmethod
    def from_settings(cls, settings: Any, service: str, base_url: str, **kwargs: Any) -> HttpClient:
        """A client with the `http_timeout`, `http_retries` and `http_max_wait` settings."""
        return cls(
            service,
            base_url,
            timeout=settings.http_timeout,
            retries=settings.http_retries,
            max_wait=settings.http_max_wait,
            **kwargs,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str = "",
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        ok: Iterable[int] = (),
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send, retry and wait as needed; a 2xx (or a status in `ok`) comes back, anything
        else raises IntegrationError. `what` names the resource for messages ("issue #4")."""
        method = method.upper()
        safe = method in _SAFE_METHODS
        accepted = set(ok)
        attempt = rate_waits = 0
        while True:
            self._wait_for_rate_limit()
            try:
                response = self._client.request(method, url, params=params, json=json, content=content, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent
                failure = self._scrub(f"cannot reach {self._where()}: {_reason(exc)}")
            except httpx.TimeoutException:
                failure = f"{self.service} did not answer within {self.timeout:g} s"
                if not safe:  # it may have acted; repeating could do it twice
                    raise IntegrationError(failure) from None
            except httpx.HTTPError as exc:
                failure = self._scrub(f"{self.service} request failed: {_reason(exc)}")
                if not safe:
                    raise IntegrationError(failure) from None
            else:
                self._note_rate_limit(response)
                if response.is_success or response.status_code in accepted:
                    return response
                wait = self._rate_limit_wait(response)
                if wait is not None:
                    rate_waits += 1
                    if rate_waits > _MAX_RATE_WAITS:
                        raise IntegrationError(f"{self.service} kept rate-limiting the requests; try again later")
                    self._sleep_or_refuse(wait)
                    continue
                if response.status_code not in _RETRY_STATUSES or not (safe or response.status_code == 503):
                    raise IntegrationError(self.explain(response, what))
                failure = self.explain(response, what)
            attempt += 1
            if attempt > self.retries:
                raise IntegrationError(failure)
            self.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random()))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def paginate(self, url: str, *, params: dict[str, Any] | None = None, what: str = "") -> list[Any]:
        """Every item of a JSON-list endpoint, following `Link: <...>; rel="next"` headers
        (GitHub's pagination). A next link to another host is refused: it would get our token."""
        items: list[Any] = []
        response = self.get(url, params=params, what=what)
        while True:
            page = response.json()
            if not isinstance(page, list):
                raise IntegrationError(f"{self.service} answered {what or url} with something other than a list")
            items.extend(page)
            following = response.links.get("next", {}).get("url")
            if not following:
                return items
            if urlsplit(following).netloc != urlsplit(self.base_url).netloc:
                raise IntegrationError(f"{self.service} pointed the next page at another host; stopped")
            response = self.get(following, what=what)

    # -- rate limits ----------------------------------------------------------------------

    def _note_rate_limit(self, response: httpx.Response) -> None:
        """GitHub says how many calls remain; at 0, later calls wait for the reset."""
        if response.headers.get("x-ratelimit-remaining") == "0" and response.is_success:
            reset = _float(response.headers.get("x-ratelimit-reset"))
            if reset:
                self._resume_at = max(self._resume_at, reset + 1)

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait before repeating, when the answer is a rate limit; else None."""
        status = response.status_code
        retry_after = _float(response.headers.get("retry-after"))
        if status == 429 or (status == 403 and retry_after is not None):
            return retry_after if retry_after is not None else 1.0
        if status == 403 and response.headers.get("x-ratelimit-remaining") == "0":
            reset = _float(response.headers.get("x-ratelimit-reset")) or time.time() + 60
            return max(0.0, reset - time.time()) + 1
        return None

    def _wait_for_rate_limit(self) -> None:
        if self._resume_at > time.time():
            self._sleep_or_refuse(self._resume_at - time.time())

    def _sleep_or_refuse(self, seconds: float) -> None:
        if seconds > self.max_wait:
            until = datetime.fromtimestamp(time.time() + seconds, UTC).strftime("%H:%M UTC")
            raise IntegrationError(
                f"{self.service} rate limit reached; it resets at {until} "
                f"(more than http_max_wait={self.max_wait:g} s away); try again then"
            )
        self.sleep(max(0.0, seconds))

    # -- messages -------------------------------------------------------------------------

    def _where(self) -> str:
        return f"{self.service} at {self.base_url}" if self.show_url else self.service

    def explain(self, response: httpx.Response, what: str) -> str:
        """One line saying what went wrong and which setting to look at."""
        status = response.status_code
        said = _server_message(response)
        subject = f" {what}" if what else ""
        if status == 401 and not self.secrets:
            text = f"{self.service} needs a token for this (401): set {self.token_setting}"
        elif status == 401:
            text = f"{self.service} refused the credentials (401): check {self.token_setting}"
        elif status == 403:
            text = (
                f"{self.service} denied access to{subject or ' this'} (403): {said or 'forbidden'}; "
                f"the token in {self.token_setting} lacks the permission"
            )
        elif status == 404:
            text = (
                f"{self.service} has no{subject or ' such resource'} (404), or the token in "
                f"{self.token_setting} cannot see it"
                + (f"; {self.url_setting} is {self.base_url}" if self.show_url else f"; check {self.url_setting}")
            )
        else:
            text = f"{self.service} refused{subject or ' the request'} ({status})" + (f": {said}" if said else "")
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return " ".join(text.split())[:400]


def _server_message(response: httpx.Response) -> str:
    """The reason a service gave: GitHub's "message", Jira's "errorMessages", Slack's text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict):
        parts = []
        if isinstance(body.get("message"), str):
            parts.append(body["message"])
        for error in body.get("errors") or []:
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                parts.append(error["message"])
        if isinstance(body.get("errorMessages"), list):
            parts.extend(str(m) for m in body["errorMessages"])
        if isinstance(body.get("errors"), dict):
            parts.extend(f"{k}: {v}" for k, v in body["errors"].items())
        return "; ".join(parts)[:300]
    return ""


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
