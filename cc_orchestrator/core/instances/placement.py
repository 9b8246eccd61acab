"""Where a ready task runs: the host it names; else here while a slot is free; else a remote
host that holds its repository (the same folder name), answers, and has a free slot."""

from __future__ import annotations

from cc_orchestrator.core.instances.rows import slots_taken
from cc_orchestrator.core.models import LOCAL_HOST, Host, Task
from cc_orchestrator.core.store.tables import HostRow


def free_slots(local_limit: int) -> dict[str, int]:
    """Free slots per host (inside the caller's transaction); an unreachable host has none."""
    free = {LOCAL_HOST: max(0, local_limit - slots_taken(LOCAL_HOST))}
    for row in HostRow.select():
        if row.unreachable_since is None:
            free[row.name] = max(0, (row.max_instances or local_limit) - slots_taken(row.name))
    return free


def holds(host: Host, repo: str | None) -> bool:
    if not repo:
        return len(host.repos) == 1
    name = repo.rstrip("/").rsplit("/", 1)[-1]
    return any(r.rstrip("/").rsplit("/", 1)[-1] == name for r in host.repos)


def place(task: Task, free: dict[str, int], hosts: dict[str, Host]) -> str | None:
    """The host for `task` now, or None (no free slot where it may run)."""
    if task.host:
        return task.host if free.get(task.host, 0) > 0 else None
    if free.get(LOCAL_HOST, 0) > 0:
        return LOCAL_HOST
    for name, host in sorted(hosts.items()):
        if name != LOCAL_HOST and free.get(name, 0) > 0 and holds(host, task.repo):
            return name
    return None
