"""What a user does to a live agent: answer its question, interrupt it, bring it back."""

from __future__ import annotations

import json
from pathlib import Path

from cc_orchestrator.core.errors import Conflict
from cc_orchestrator.core.instances.rows import find_row
from cc_orchestrator.core.instances.status import set_status
from cc_orchestrator.core.models import Instance, InstanceStatus
from cc_orchestrator.core.store.tables import InstanceRow


def answer(service, ref: str, approve: bool) -> Instance:
    """Approve or reject whatever yes/no question the agent shows now."""
    instance = service._live(ref)
    row = service.store.read(lambda: find_row(instance.id))
    screen = service.refresher.capture(row)
    if screen is None or screen.kind != "waiting" or screen.dialog is None:
        raise Conflict(f"instance {instance.id} is not asking anything right now")
    keys = screen.dialog.approve if approve else screen.dialog.reject
    service.tmux.send_keys(row.tmux_session, *keys)
    verb = "approved" if approve else "rejected"
    _until_answered(service, row, screen)

    def record() -> None:
        current = InstanceRow.get_by_id(row.id)
        if current.status == InstanceStatus.WAITING_INPUT.value:
            set_status(service.events, current, InstanceStatus.RUNNING, f"{verb} by user", source="user")
        service.events.log(
            f"{verb} {screen.dialog.name} on instance {row.id}: {screen.text}",
            instance_id=row.id,
            data={"dialog": screen.dialog.name, "keys": keys},
        )

    service.store.write(record)
    service.refresher.forget(row.id)  # RUNNING was a guess: the next refresh reads the screen
    return service.get(row.id, refresh=False)


def _until_answered(service, row, asked, timeout: float = 1.0) -> None:
    """Wait (briefly) until the question has left the screen, so the next refresh does not see
    it again and a second approve does not land in whatever comes next."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.05)
        screen = service.refresher.capture(row)
        if screen is None or screen.kind != "waiting" or screen.text != asked.text:
            return


def interrupt(service, ref: str) -> Instance:
    instance = service._live(ref)
    row = service.store.read(lambda: find_row(instance.id))
    service.tmux.send_keys(row.tmux_session, *service.profile_for(row).interrupt_keys)
    service.refresher.forget(row.id)
    service.events.log(f"interrupted instance {row.id}", instance_id=row.id)
    return service.get(row.id, refresh=False)


def restart(service, ref: str, command: list[str] | None = None) -> Instance:
    """Start a dead agent again in its worktree, resuming its conversation where the profile
    knows how (Claude Code: --continue). Its session is reused when it is still there."""
    from cc_orchestrator.core.instances.starting import agent_argv
    from cc_orchestrator.core.tmux.layouts import resolve_layout

    service.refresh()
    row = service.store.read(lambda: find_row(ref))
    pane = service.tmux.snapshot().get(row.tmux_session)  # dead panes too
    if pane is not None and not pane.dead:
        raise Conflict(f"instance {row.id} is still running; stop it first")
    if not row.worktree_path or not Path(row.worktree_path).is_dir():
        raise Conflict(f"instance {row.id} has no worktree left to restart in")
    profile = service.profile_for(row)
    argv = list(command) if command else (json.loads(row.agent_command) or agent_argv(profile))
    if not command:
        argv += [a for a in profile.continue_args if a not in argv]
    if profile.hooks == "claude":
        from cc_orchestrator.core.agents import claude_hooks

        claude_hooks.install(Path(row.worktree_path), service.ingester.path(row.id))
    env = {**profile.env, "CC_ORCHESTRATOR_INSTANCE_ID": row.id}
    log = service.logs.pipe_command(row.id)
    if pane is not None:
        state = service.tmux.respawn(row.tmux_session, pane.pane_id, row.worktree_path, argv, env, log)
    else:
        plan = resolve_layout(row.layout, service.settings.custom_layouts)
        state = service.tmux.create_session(row.tmux_session, row.worktree_path, argv, plan, env, log_command=log)
    service.refresher.forget(row.id)

    def running() -> None:
        current = InstanceRow.get_by_id(row.id)
        InstanceRow.update(restarts=current.restarts + 1, exit_status=None, held_until=None).where(
            InstanceRow.id == row.id
        ).execute()
        if not InstanceStatus(current.status).is_live:
            set_status(service.events, current, InstanceStatus.RUNNING, "restarted", pid=state.pid, source="user")
        else:  # it was live in the database but its process was gone
            InstanceRow.update(pid=state.pid).where(InstanceRow.id == row.id).execute()

    service.store.write(running)
    return service.get(row.id, refresh=False)
