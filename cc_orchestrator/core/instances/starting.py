"""Starting an instance (journey 2): reserve a slot and a row (STARTING) -> worktree -> hooks
-> tmux session -> RUNNING. Each step is recorded; a failure rolls back what this call made,
and a process killed midway leaves a row that reconciliation finishes or marks ERROR.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from cc_orchestrator.core.events import utcnow
from cc_orchestrator.core.instances.rows import is_local, new_instance_id, slots_taken
from cc_orchestrator.core.instances.status import set_status
from cc_orchestrator.core.models import LOCAL_HOST, Instance, InstanceStatus, Level, TaskStatus
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.core.tmux.layouts import resolve_layout
from cc_orchestrator.core.tmux.service import session_name
from cc_orchestrator.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from cc_orchestrator.core.instances.service import InstanceService


def task_prompt(task) -> str:
    """What the agent is told: the title, the description, and where the task came from."""
    parts = [task.title, task.description]
    if task.source_url:
        parts.append(f"(From {task.source_label}: {task.source_url})")
    return "\n\n".join(p for p in parts if p).strip()


def start(
    service: InstanceService,
    repo: Path,
    *,
    task_id: int | None = None,
    branch: str | None = None,
    base: str | None = None,
    command: list[str] | None = None,
    layout: str | None = None,
    prompt: str | None = None,
    agent: str | None = None,
    host: str | None = None,
) -> Instance:
    """Start an agent in a new worktree and tmux session. Rolls back fully on failure.

    `agent` picks the profile (how to start it and read its state); `command` overrides
    only the program to run; `host` (a name `hosts list` shows) runs it on that machine.
    """
    from cc_orchestrator.core.git.repository import find_repo, validate_branch_name

    if host is not None and not is_local(host.strip().lower()):
        raise InvalidInput("a remote start goes through InstanceService.start")

    service.tmux.require()
    plan = resolve_layout(layout or service.settings.default_layout, service.settings.custom_layouts)
    profile = service.settings.profile(agent, command)
    argv = agent_argv(profile)
    require_program(argv, profile, service.settings.profiles)
    repo = find_repo(repo)
    task = service.tasks.get(task_id) if task_id is not None else None
    if task is not None and prompt is None:
        prompt = task_prompt(task)
    if prompt is not None:
        from cc_orchestrator.core.text import checked

        checked(prompt, "the prompt")

    instance_id = service.store.read(new_instance_id)
    branch = validate_branch_name(repo, branch) if branch else _free_branch(service, repo, instance_id, task)
    row = service.store.write(
        lambda: _reserve(service, instance_id, repo, branch, argv, plan.name, task_id, prompt, profile.name)
    )
    created_worktree = None
    try:
        worktree = service.worktrees.create(repo, branch, base, instance_id=instance_id)
        created_worktree = worktree.id
        service.store.write(
            lambda: (
                InstanceRow.update(worktree_id=worktree.id, worktree_path=worktree.path)
                .where(InstanceRow.id == instance_id)
                .execute()
            )
        )
        command, env = agent_session(service, instance_id, profile, argv, worktree.path)
        pane = service.tmux.create_session(
            row.tmux_session, worktree.path, command, plan, env, log_command=service.logs.pipe_command(instance_id)
        )

        service.store.write(lambda: mark_running(service, instance_id, pane.pid))
    except BaseException as exc:
        _roll_back(service, instance_id, row.tmux_session, created_worktree, task_id, exc)
        raise
    return service.get(instance_id, refresh=False)


def mark_running(service: InstanceService, instance_id: str, pid: int | None) -> None:
    """The session is up: RUNNING (unless a stop or the refresh moved it meanwhile), and no
    starter holds the row any more (inside the caller's write transaction)."""
    current = InstanceRow.get_by_id(instance_id)
    if current.status == InstanceStatus.STARTING.value:
        set_status(service.events, current, InstanceStatus.RUNNING, pid=pid)
    InstanceRow.update(starter_pid=None).where(InstanceRow.id == instance_id).execute()


def require_slot(service: InstanceService, host: str = LOCAL_HOST) -> None:
    """Refuse when every slot of `host` is taken (inside the caller's write transaction): here,
    `max_instances`; on a remote host, its own limit (`hosts set NAME max_instances N`), else
    that same setting."""
    from cc_orchestrator.core.store.tables import HostRow

    limit = service.settings.max_instances
    if not is_local(host):
        found = HostRow.get_or_none(HostRow.name == host)
        if found is None:
            raise Conflict(f"host {host} was removed")
        limit = found.max_instances or limit
    if slots_taken(host) >= limit:
        where = "" if is_local(host) else f" on host {host}"
        how = "raise max_instances" if is_local(host) else f"`hosts set {host} max_instances N`"
        raise Conflict(f"all {limit} instance slots{where} are in use; stop an instance or {how}")


def _reserve(
    service: InstanceService, instance_id, repo, branch, argv, layout, task_id, prompt, agent, host=LOCAL_HOST
) -> InstanceRow:
    require_slot(service, host)
    now = utcnow()
    row = InstanceRow.create(
        id=instance_id,
        task=task_id,
        worktree_path="",
        tmux_session=session_name(instance_id),
        status=InstanceStatus.STARTING.value,
        repo=str(repo),
        branch=branch,
        agent_command=json.dumps(argv),
        layout=layout,
        starter_pid=os.getpid(),
        pending_prompt=prompt,
        agent=agent,
        created_at=now,
        last_activity=now,
        host=host,
    )
    if task_id is not None:
        service.tasks.assign(task_id, instance_id)
    return row


def _roll_back(service: InstanceService, instance_id, session, worktree_id, task_id, exc) -> None:
    """Undo what this start made: the session, the rows, then the brand-new worktree."""
    try:
        if service.tmux.panes().get(session) is not None:
            service.tmux.kill_session(session)
    except Exception:
        pass

    def undo() -> None:
        InstanceRow.delete().where(InstanceRow.id == instance_id).execute()
        if task_id is not None:
            service.tasks.set_status(task_id, TaskStatus.PENDING)

    try:
        service.store.write(undo)
        if worktree_id is not None:  # after the row: a live instance would protect it
            service.worktrees.remove(worktree_id, force=True)
        reason = str(exc) or type(exc).__name__
        service.events.log(f"could not start an instance: {reason}", level=Level.ERROR)
    except Exception:
        pass  # the original error is what the user needs to see


def agent_session(
    service, instance_id: str, profile, argv: list[str], worktree: str, run: int = 0
) -> tuple[list[str], dict]:
    """The command and environment an agent's pane runs, with our hooks wired in: Claude Code's
    in the worktree's settings, Codex's notify program on its command line, writing to the
    spool of this run."""
    env = {**profile.env, "CC_ORCHESTRATOR_INSTANCE_ID": instance_id}
    spool = service.ingester.path(instance_id, run)
    if profile.hooks == "claude":
        from cc_orchestrator.core.agents import claude_hooks

        claude_hooks.install(Path(worktree), spool)
    elif profile.hooks == "codex":
        from cc_orchestrator.core.agents import codex
        from cc_orchestrator.core.private import private_file

        private_file(spool)
        argv = [argv[0], *codex.notify_args(spool, codex.codex_home(profile.env)), *argv[1:]]
    return argv, env


def require_program(argv: list[str], profile, profiles) -> None:
    """Refuse, before anything is made, to start a program that is not installed."""
    import shutil

    from cc_orchestrator.errors import MissingDependency

    program = argv[0]
    found = shutil.which(program) if os.sep not in program else (program if os.access(program, os.X_OK) else None)
    if found is not None:
        return
    how = f"install it with `{profile.install}`" if profile.install else "install it or put it on PATH"
    others = ", ".join(name for name in profiles if name != profile.name)
    raise MissingDependency(
        f"{program} is not installed or not on PATH: {how}, or start another agent with --agent ({others})"
    )


def agent_argv(profile) -> list[str]:
    import shlex

    from cc_orchestrator.errors import InvalidInput

    argv = shlex.split(profile.command) + list(profile.args)
    if not argv:
        raise InvalidInput(
            f"agent {profile.name!r} has no command: set agents.{profile.name}.command or pass --command"
        )
    return argv


def _free_branch(service: InstanceService, repo: Path, instance_id: str, task) -> str:
    """The default branch name, or `-2`, `-3` ... after it when an earlier attempt at the same
    task left that branch (or its folder) behind: a task can always be assigned again."""
    from cc_orchestrator.core.git.repository import branch_exists, validate_branch_name

    name = validate_branch_name(repo, _default_branch(instance_id, task))
    for n in range(1, 100):
        candidate = name if n == 1 else f"{name}-{n}"
        if not branch_exists(repo, candidate) and not service.worktrees.path_for(repo, candidate).exists():
            return candidate
    return f"{name}-{instance_id}"


def _default_branch(instance_id: str, task) -> str:
    if task is None:
        return f"cco/{instance_id}"
    words = "".join(c if c.isalnum() else "-" for c in task.title.lower()).split("-")
    slug = "-".join(w for w in words if w)[:40].strip("-")
    return f"cco/task-{task.id}-{slug}" if slug else f"cco/task-{task.id}"
