"""What tmux and the process table say an instance's status is (journey 3 of ARCHITECTURE)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.tmux.service import PaneState

# An agent whose tmux session vanished (a reboot, a killed tmux server); `instances recover`
# starts these again, resuming their conversations.
SESSION_LOST = "session lost: its tmux session has ended"


@dataclass(frozen=True)
class Observation:
    status: InstanceStatus
    message: str = ""
    pid: int | None = None
    exit_status: int | None = None


def starter_alive(pid: int | None) -> bool:
    """Is the process that began a start still running it? (A CLI killed mid-start is not.)"""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def observe(status: InstanceStatus, starter_pid: int | None, pane: PaneState | None) -> Observation | None:
    """The status an instance should have now, or None when nothing is known to have changed.

    RUNNING, WAITING_INPUT and IDLE of a live agent come from the agent itself (hooks or its
    screen); here only the process decides: alive, exited cleanly, failed, or gone.
    """
    if not status.is_live:
        return None
    if pane is None:
        if status is InstanceStatus.STARTING:
            if starter_alive(starter_pid):
                return None  # another process is still starting it
            return Observation(InstanceStatus.ERROR, "start was interrupted before the agent ran")
        return Observation(InstanceStatus.STOPPED, SESSION_LOST)
    if pane.dead:
        if pane.exit_status is None and pane.exit_signal is None:
            # tmux marks a pane dead when its pty closes and may never reap the status
            # (tmux/tmux#4841); the refresh has already waited a moment for it.
            return Observation(InstanceStatus.ERROR, "agent exited; tmux did not report its exit status")
        if pane.exit_signal:
            return Observation(InstanceStatus.ERROR, f"agent killed by signal {pane.exit_signal}", None, None)
        code = pane.exit_status or 0
        if code == 0:
            return Observation(InstanceStatus.STOPPED, "agent exited", None, 0)
        return Observation(InstanceStatus.ERROR, f"agent exited with status {code}", None, code)
    if status is InstanceStatus.STARTING and not starter_alive(starter_pid):
        return Observation(InstanceStatus.RUNNING, "", pane.pid)
    return None
