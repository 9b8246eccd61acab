"""What a user does to a live agent: answer its question, interrupt it, bring it back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from cc_orchestrator.core.instances.answering import NoDialog, Unanswered, answer_dialog
from cc_orchestrator.core.instances.rows import find_row
from cc_orchestrator.core.instances.status import set_status
from cc_orchestrator.core.models import Instance, InstanceStatus, Level
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.errors import Conflict

if TYPE_CHECKING:
    from cc_orchestrator.core.instances.service import InstanceService


def answer(service: InstanceService, ref: str, approve: bool) -> Instance:
    """Approve or reject the question the agent shows now, by the meaning of its options.

    When the dialog will not leave the screen, the instance stays WAITING_INPUT with a
    message saying which option could not be chosen, and the Conflict says so too."""
    instance = service.live_instance(ref)
    row = service.store.read(lambda: find_row(instance.id))
    verb = "approved" if approve else "rejected"
    try:
        given = answer_dialog(service.tmux_for(row.host), row.tmux_session, service.profile_for(row), approve)
    except Unanswered as exc:
        _stuck(service, row, exc.message)
        raise Conflict(f"instance {instance.id}: {exc.message}") from None
    except NoDialog:
        raise Conflict(f"instance {instance.id} is not asking anything right now") from None
    except Conflict as exc:
        raise Conflict(f"instance {instance.id}: {exc.message}") from None
    chosen = given.option or " ".join(given.keys)

    def record() -> None:
        current = InstanceRow.get_by_id(row.id)
        if current.status == InstanceStatus.WAITING_INPUT.value:
            set_status(service.events, current, InstanceStatus.RUNNING, f"{verb} by user", source="user")
        service.events.log(
            f"{verb} {given.dialog} on instance {row.id} ({chosen}): {given.question}",
            instance_id=row.id,
            data={"dialog": given.dialog, "option": given.option, "keys": list(given.keys)},
        )

    service.store.write(record)
    service.refresher.forget(row.id)  # RUNNING was a guess: the next refresh reads the screen
    return service.get(row.id, refresh=False)


def _stuck(service: InstanceService, row, message: str) -> None:
    def record() -> None:
        InstanceRow.update(status_message=message).where(InstanceRow.id == row.id).execute()
        service.events.log(f"instance {row.id}: {message}", level=Level.WARNING, instance_id=row.id)

    service.store.write(record)


def interrupt(service: InstanceService, ref: str) -> Instance:
    instance = service.live_instance(ref)
    row = service.store.read(lambda: find_row(instance.id))
    service.tmux_for(row.host).send_keys(row.tmux_session, *service.profile_for(row).interrupt_keys)
    service.refresher.forget(row.id)
    service.events.log(f"interrupted instance {row.id}", instance_id=row.id)
    return service.get(row.id, refresh=False)


def restart(service: InstanceService, ref: str, command: list[str] | None = None) -> Instance:
    """Start a dead or stopped agent again in its worktree, continuing its conversation: with
    the session id it recorded (Claude Code `--resume ID`, Codex `resume ID`), else the
    profile's continue arguments. Its session is reused when it is still there. It takes a
    slot like a start (STARTING first, so a concurrent start or stop sees it)."""
    from cc_orchestrator.core.instances import remote_start
    from cc_orchestrator.core.instances.rows import is_local
    from cc_orchestrator.core.instances.starting import agent_argv, agent_session, require_program
    from cc_orchestrator.core.tmux.layouts import resolve_layout

    service.refresh()
    row = service.store.read(lambda: find_row(ref))
    here = is_local(row.host)
    remote = None if here else service.fleet.remote(row.host)
    tmux = service.tmux_for(row.host)
    pane = tmux.panes().get(row.tmux_session)  # dead panes too
    if pane is not None and not pane.dead:
        raise Conflict(f"instance {row.id} is still running; stop it first")
    if not row.worktree_path or not _folder_there(remote, row.worktree_path):
        raise Conflict(f"instance {row.id} has no worktree left to restart in")
    profile = service.profile_for(row)
    argv = list(command) if command else resume_argv(row, profile, agent_argv)
    if here:
        require_program(argv, profile, service.settings.profiles)
    previous = service.store.write(lambda: _reserve_restart(service, row.id))
    try:
        run = previous.restarts + 1
        if remote is None:
            argv, env = agent_session(service, row.id, profile, argv, row.worktree_path, run)
            log = service.logs.pipe_command(row.id)
        else:
            argv, env = remote_start.prepare_run(remote, row.id, profile, argv, row.worktree_path, run)
            log = remote.pipe_command(row.id)
        if pane is not None:
            state = tmux.respawn(row.tmux_session, pane.pane_id, row.worktree_path, argv, env, log)
        else:
            plan = resolve_layout(row.layout, service.settings.custom_layouts)
            state = tmux.create_session(row.tmux_session, row.worktree_path, argv, plan, env, log_command=log)
    except BaseException as exc:
        service.store.write(lambda error=exc: _undo_restart(service, row.id, previous, error))
        raise
    service.refresher.forget(row.id)

    def running() -> None:
        current = InstanceRow.get_by_id(row.id)
        InstanceRow.update(exit_status=None, held_until=None, starter_pid=None).where(
            InstanceRow.id == row.id
        ).execute()
        if current.status == InstanceStatus.STARTING.value:
            set_status(service.events, current, InstanceStatus.RUNNING, "restarted", pid=state.pid, source="user")
        else:  # it was live in the database but its process was gone
            InstanceRow.update(pid=state.pid).where(InstanceRow.id == row.id).execute()
        _prompt_again(service, current)

    service.store.write(running)
    return service.get(row.id, refresh=False)


def _prompt_again(service: InstanceService, row: InstanceRow) -> None:
    """A task whose prompt never reached the agent (it died first) is given to it again."""
    from cc_orchestrator.core.instances.starting import task_prompt
    from cc_orchestrator.core.models import TaskStatus

    if row.task_id is None:
        return
    task = service.tasks.get(row.task_id)
    if task.status is TaskStatus.PENDING and not task.blocked:
        service.tasks.assign(task.id, row.id)
    elif not (task.status is TaskStatus.ASSIGNED and task.assigned_instance == row.id):
        return  # delivered before, or someone else's now
    InstanceRow.update(pending_prompt=task_prompt(task), delivering=None).where(InstanceRow.id == row.id).execute()


def resume_argv(row: InstanceRow, profile, agent_argv) -> list[str]:
    """The agent's own command plus what continues its conversation."""
    argv = json.loads(row.agent_command or "[]") or agent_argv(profile)
    if row.session_id and profile.resume_args:
        extra = [a.replace("{session_id}", row.session_id) for a in profile.resume_args]
    else:
        extra = list(profile.continue_args)
    return argv + [a for a in extra if a not in argv]


def _folder_there(remote, path: str) -> bool:
    """Whether `path` is a folder here (`remote` None) or on that host."""
    if remote is None:
        return Path(path).is_dir()
    return remote.run(["test", "-d", path]).returncode == 0


def _reserve_restart(service: InstanceService, instance_id: str) -> InstanceRow:
    """A new run (its own spool from offset 0), STARTING if the instance was not live and a slot
    is free; the row as it was before."""
    current = InstanceRow.get_by_id(instance_id)
    before = InstanceRow(**current.__data__)
    if not InstanceStatus(current.status).is_live:
        from cc_orchestrator.core.instances.starting import require_slot

        require_slot(service, current.host)
        set_status(service.events, current, InstanceStatus.STARTING, "restarting", source="user")
    InstanceRow.update(starter_pid=os.getpid(), restarts=before.restarts + 1, spool_offset=0).where(
        InstanceRow.id == instance_id
    ).execute()
    return before


def _undo_restart(service: InstanceService, instance_id: str, before: InstanceRow, exc: BaseException) -> None:
    current = InstanceRow.get_by_id(instance_id)
    InstanceRow.update(starter_pid=None, restarts=before.restarts, spool_offset=before.spool_offset).where(
        InstanceRow.id == instance_id
    ).execute()
    if current.status == InstanceStatus.STARTING.value and before.status != current.status:
        reason = str(exc) or type(exc).__name__
        set_status(service.events, current, InstanceStatus(before.status), f"restart failed: {reason}", source="user")
