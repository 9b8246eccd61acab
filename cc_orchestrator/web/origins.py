"""Host and Origin headers: which names this server answers to, and which origin a request
comes from. Against DNS rebinding (a foreign name resolving to 127.0.0.1) and cross-site
WebSocket hijacking."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def split_host(value: str) -> tuple[str, int | None] | None:
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
    parsed = split_host(value or "")
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
    target = split_host(host)
    if target is None:
        return False
    want_scheme = "https" if scheme in ("https", "wss") else "http"
    origin_host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return (
        parts.scheme == want_scheme
        and origin_host == target[0]
        and (origin_port or DEFAULT_PORTS[parts.scheme]) == (target[1] or DEFAULT_PORTS[want_scheme])
    )


def foreign_origin(origin: str | None, host: str, scheme: str) -> bool:
    """For requests where the CSRF token is the real check: an Origin naming another site.
    `null` (sent under some referrer policies) and no Origin at all are not evidence."""
    if origin is None or origin.strip().lower() == "null":
        return False
    return not same_origin(origin, host, scheme)
