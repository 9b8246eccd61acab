"""The hosts agents may run on: `local` (this machine, always there) and remote ones over ssh.

A host is checked before it is saved: ssh works in batch mode, tmux and git are there, each
repository path is a git repository. Nothing secret is stored: the URL names a user, a host and
a port; ssh finds the keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property, partial

from cc_orchestrator.core.events import EventLog, aware, utcnow
from cc_orchestrator.core.hosts.address import host_name, parse_url
from cc_orchestrator.core.hosts.probe import probe, run_local
from cc_orchestrator.core.hosts.ssh import Ssh
from cc_orchestrator.core.models import LOCAL_HOST, EventKind, Host, HostCheck, Level
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import HostRow, InstanceRow
from cc_orchestrator.errors import Conflict, HostUnreachable, InvalidInput, NotFound

SETTABLE = ("max_instances",)  # `hosts set NAME KEY VALUE`
_ENDED = ("STOPPED", "ERROR")  # instance statuses that hold no slot


def _live_counts() -> dict[str, int]:
    query = (
        InstanceRow.select(InstanceRow.host, InstanceRow.id)
        .where(InstanceRow.status.not_in(_ENDED))
        .tuples()
        .iterator()
    )
    counts: dict[str, int] = {}
    for host, _ in query:
        counts[host or LOCAL_HOST] = counts.get(host or LOCAL_HOST, 0) + 1
    return counts


def to_host(row: HostRow, instances: int = 0) -> Host:
    return Host(
        name=row.name,
        url=row.url,
        repos=tuple(json.loads(row.repos or "[]")),
        max_instances=row.max_instances,
        added_at=aware(row.added_at),
        last_seen=aware(row.last_seen),
        last_error=row.last_error,
        latency_ms=row.latency_ms,
        tmux_version=row.tmux_version,
        git_version=row.git_version,
        agents=tuple(json.loads(row.agents or "[]")),
        instances=instances,
        unreachable_since=aware(row.unreachable_since),
    )


def _repo_path(text: str) -> str:
    path = text.strip()
    if not path or any(ord(c) < 32 for c in path):
        raise InvalidInput(f"invalid repository path {text!r}")
    if not (path.startswith("/") or path == "~" or path.startswith("~/")):
        raise InvalidInput(f"repository path {text!r} on a remote host must be absolute (or start with ~/)")
    return path.rstrip("/") or "/"


def stored_hosts() -> list[Host]:
    """`local` first, then the remote hosts by name (inside the caller's transaction)."""
    counts = _live_counts()
    rows = HostRow.select().order_by(HostRow.name)
    local = Host(name=LOCAL_HOST, url="", instances=counts.get(LOCAL_HOST, 0))
    return [local, *(to_host(r, counts.get(r.name, 0)) for r in rows)]


class HostService:
    """Add, list, check and remove hosts; `ssh` runs commands on them."""

    def __init__(self, store: Store, events: EventLog, ssh: Callable[[], Ssh]) -> None:
        self.store = store
        self.events = events
        self._ssh = ssh  # built when first needed: it reads the settings

    @cached_property
    def ssh(self) -> Ssh:
        return self._ssh()

    # -- reading ---------------------------------------------------------------------------

    def local(self, instances: int | None = None) -> Host:
        if instances is None:
            instances = self.store.read(_live_counts).get(LOCAL_HOST, 0)
        return Host(name=LOCAL_HOST, url="", instances=instances)

    def list(self) -> list[Host]:
        """`local` first, then the remote hosts by name."""

        return self.store.read(stored_hosts)

    def get(self, name: str) -> Host:
        wanted = name.strip().lower()
        if wanted == LOCAL_HOST:
            return self.local()

        def query() -> Host:
            row = HostRow.get_or_none(HostRow.name == wanted)
            if row is None:
                raise NotFound(f"no host named {name!r} (see `hosts list`)")
            return to_host(row, _live_counts().get(row.name, 0))

        return self.store.read(query)

    # -- changing --------------------------------------------------------------------------

    def add(self, name: str, url: str, repos: list[str] | tuple[str, ...] = (), accept_new: bool = False) -> Host:
        """Check the host, then save it: ssh works in batch mode (its host key known, or
        trusted now with `accept_new`), tmux and git are there, each repository path is a git
        repository (saved as the repository's root). Nothing is saved when any check fails."""
        name = host_name(name)
        url = parse_url(url).url
        paths = tuple(dict.fromkeys(_repo_path(r) for r in repos))
        if self.store.read(lambda: HostRow.get_or_none(HostRow.name == name)) is not None:
            raise Conflict(f"a host named {name!r} exists already (`hosts rm {name}` first to replace it)")
        host = Host(name=name, url=url)
        found = probe(partial(self.ssh.run, host, accept_new=accept_new), name, paths, samples=1)
        if found.problems:
            raise Conflict(f"host {name} not added: {'; '.join(found.problems)}")
        now = utcnow()

        def save() -> None:
            if HostRow.get_or_none(HostRow.name == name) is not None:
                raise Conflict(f"a host named {name!r} exists already")
            HostRow.create(
                name=name,
                url=url,
                repos=json.dumps(sorted(dict.fromkeys(r.toplevel for r in found.repos))),
                added_at=now,
                last_seen=now,
                latency_ms=found.latency_ms,
                tmux_version=found.tmux_version,
                git_version=found.git_version,
                agents=json.dumps(sorted(found.agents)),
            )
            self.events.add(EventKind.LOG_MESSAGE, f"host {name} added ({url})")

        self.store.write(save)
        return self.get(name)

    def check(self, name: str) -> HostCheck:
        """A doctor for a host: how fast it answers, its tmux and git, the agent CLIs on its
        PATH, and whether its repositories are still there. An unreachable host is a check
        that failed (not an error); what was found is kept for `hosts list`."""
        host = self.get(name)
        if host.is_local:
            return probe(run_local, LOCAL_HOST)
        try:
            found = probe(partial(self.ssh.run, host), host.name, host.repos)
        except HostUnreachable as exc:
            self._seen(host.name, error=exc.message)
            return HostCheck(host=host.name, reachable=False, problems=(exc.message,))
        self._seen(host.name, found=found, error="; ".join(found.problems))
        return found

    def _seen(self, name: str, found: HostCheck | None = None, error: str = "") -> None:
        values: dict = {HostRow.last_error: error}
        if found is not None:
            values |= {
                HostRow.last_seen: utcnow(),
                HostRow.latency_ms: found.latency_ms,
                HostRow.tmux_version: found.tmux_version,
                HostRow.git_version: found.git_version,
                HostRow.agents: json.dumps(sorted(found.agents)),
            }
        self.store.write(lambda: HostRow.update(values).where(HostRow.name == name).execute())

    def set(self, name: str, key: str, value: str | int | None) -> Host:
        """Change one of a host's settings: `max_instances` (a number, or `none` for no limit
        of its own)."""
        host = self.get(name)
        if key != "max_instances":
            raise InvalidInput(f"unknown host setting {key!r}: choose one of {', '.join(SETTABLE)}")
        if host.is_local:
            raise InvalidInput("the local host's limit is the max_instances setting: `config set max_instances N`")
        limit = _limit(value)

        def save() -> None:
            HostRow.update(max_instances=limit).where(HostRow.name == host.name).execute()
            self.events.add(EventKind.LOG_MESSAGE, f"host {host.name}: max_instances = {limit or 'none'}")

        self.store.write(save)
        return self.get(host.name)

    def remove(self, name: str, force: bool = False) -> Host:
        """Forget a host; refused while instances run there, unless `force` (their rows stay,
        and so do their agents on that host's tmux)."""
        host = self.get(name)
        if host.is_local:
            raise InvalidInput(f"the host {LOCAL_HOST!r} is this machine: it cannot be removed")

        def delete() -> None:
            live = list(
                InstanceRow.select(InstanceRow.id)
                .where((InstanceRow.host == host.name) & InstanceRow.status.not_in(_ENDED))
                .order_by(InstanceRow.id)
            )
            if live and not force:
                ids = ", ".join(r.id for r in live[:5]) + (", ..." if len(live) > 5 else "")
                raise Conflict(
                    f"host {host.name} has {len(live)} live instance(s) ({ids}): stop them first, "
                    "or use --force to forget the host anyway"
                )
            HostRow.delete().where(HostRow.name == host.name).execute()
            level = Level.WARNING if live else Level.INFO
            note = f" with {len(live)} live instance(s) left there" if live else ""
            self.events.add(EventKind.LOG_MESSAGE, f"host {host.name} removed{note}", level=level)

        self.store.write(delete)
        self.ssh.disconnect(host)
        return host


def _limit(value: str | int | None) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "unset")):
        return None
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"max_instances must be a whole number or 'none', not {value!r}") from None
    if not 1 <= limit <= 500:
        raise InvalidInput("max_instances must be between 1 and 500")
    return limit
