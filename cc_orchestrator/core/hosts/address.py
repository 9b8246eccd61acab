"""Host names and ssh URLs, checked before anything is run or saved."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cc_orchestrator.core.models import LOCAL_HOST
from cc_orchestrator.errors import InvalidInput

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
_HOSTNAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")
_USER = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*")
FORM = "ssh://user@host[:port]"


def host_name(text: str) -> str:
    """A name for a new host: lower-case letters, digits, `.`, `_`, `-`; `local` is taken."""
    name = text.strip()
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"invalid host name {text!r}: use up to 40 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if name == LOCAL_HOST:
        raise InvalidInput(f"the host name {LOCAL_HOST!r} is reserved for this machine")
    return name


@dataclass(frozen=True)
class Address:
    """Where ssh goes: a user (None: ssh's own choice), a host name or address (or an alias
    from the user's ssh config) and a port (None: ssh's own choice)."""

    user: str | None
    hostname: str
    port: int | None = None

    @property
    def url(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"ssh://{user}{host}{port}"


def parse_url(text: str) -> Address:
    """An `ssh://user@host[:port]` URL, or InvalidInput saying what is wrong in one line."""
    raw = text.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"invalid host URL {text!r}: {exc}; expected {FORM}") from None
    if parts.scheme != "ssh":
        raise InvalidInput(f"invalid host URL {text!r}: expected {FORM}")
    if parts.password is not None:
        raise InvalidInput("a host URL holds no password: ssh uses your own keys, agent and ssh config")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidInput(f"invalid host URL {text!r}: nothing may follow the host and port; expected {FORM}")
    hostname = parts.hostname or ""
    if not _HOSTNAME.fullmatch(hostname) and not _is_ip(hostname):
        raise InvalidInput(f"invalid host URL {text!r}: {hostname or 'no'} host name; expected {FORM}")
    user = parts.username
    if user is not None and not _USER.fullmatch(user):
        raise InvalidInput(f"invalid host URL {text!r}: bad user name {user!r}; expected {FORM}")
    if port == 0:
        raise InvalidInput(f"invalid host URL {text!r}: port 0; expected {FORM}")
    return Address(user or None, hostname, port)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
