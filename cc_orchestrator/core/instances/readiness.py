"""When an agent is ready for its task's prompt, the last step of journey 2.

Two signals, either is enough:
- the profile's ready pattern is the lowest thing on the screen (Claude Code's "? for
  shortcuts"), the only signal for full-screen TUIs;
- exact, for any agent at a line prompt: its foreground process is blocked reading its
  terminal (`core/agents/terminal.py`) and its screen has stopped changing.
A dialog on the screen is never "ready" (a prompt pasted there would answer it); dialogs the
orchestrator answers itself (trust for our own worktrees, when configured) are answered here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cc_orchestrator.core.agents.screen import ScreenState
from cc_orchestrator.core.agents.terminal import ready_by_terminal
from cc_orchestrator.core.instances.answering import answer_dialog, look
from cc_orchestrator.errors import NotFound, OrchestratorError

if TYPE_CHECKING:
    from cc_orchestrator.core.instances.service import InstanceService

SETTLE_SECONDS = 0.1  # the screen must hold still this long after the agent began reading
QUIET_SECONDS = 0.4  # without ready patterns or /proc: how long a still screen means ready
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Readiness:
    ready: bool
    why: str  # what was seen; for a prompt still pending, what was not
    last_line: str = ""  # the lowest line on the agent's screen
    asking: bool = False  # a dialog waits for the user: waiting longer will not help
    gone: bool = False  # the session has ended


def check(service: InstanceService, row, quiet_since: float | None = None) -> Readiness:
    """One look at the agent: is it ready for a prompt now?"""
    profile = service.profile_for(row)
    try:
        screen = look(service.tmux_for(row.host), row.tmux_session, profile)
    except NotFound:
        return Readiness(False, "its tmux session has ended", gone=True)
    if screen.kind == "waiting" and screen.dialog is not None:
        return _dialog(service, row, profile, screen)
    if screen.kind == "ready":
        return Readiness(True, "its ready prompt is on the screen", screen.last_line)
    if screen.kind == "working":
        return Readiness(False, "it is working", screen.last_line)
    reading = ready_by_terminal(profile, row.pid)
    if reading and _settled(service, row, profile, screen):
        return Readiness(True, "it is reading its terminal and its screen is still", screen.last_line)
    if not profile.ready_patterns and reading is None and quiet_since is not None:
        if time.monotonic() - quiet_since >= QUIET_SECONDS:
            return Readiness(True, "its screen has stopped changing", screen.last_line)
    return Readiness(False, _not_yet(profile, reading), screen.last_line)


def wait_until_ready(service: InstanceService, row, timeout: float, progress=None) -> Readiness:
    """Look until the agent is ready, a dialog needs the user, or `timeout` passes.

    `progress(readiness)` is called whenever what is seen changes."""
    deadline = time.monotonic() + timeout
    last_text, quiet_since, said = None, time.monotonic(), None
    while True:
        try:
            text = service.tmux_for(row.host).capture(row.tmux_session)
        except NotFound:
            return Readiness(False, "its tmux session has ended", gone=True)
        if text != last_text:
            last_text, quiet_since = text, time.monotonic()
        state = check(service, row, quiet_since)
        if progress is not None and state.why != said:
            said = state.why
            progress(state)
        if state.ready or state.asking or state.gone or time.monotonic() >= deadline:
            return state
        time.sleep(POLL_SECONDS)


def _dialog(service: InstanceService, row, profile, screen: ScreenState) -> Readiness:
    if not service.auto_answers(row, screen.dialog):
        return Readiness(False, f"it asks: {screen.text}", screen.last_line, asking=True)
    try:
        answer = answer_dialog(service.tmux_for(row.host), row.tmux_session, profile, approve=True)
    except OrchestratorError as exc:
        return Readiness(False, f"it asks: {screen.text} ({exc.message})", screen.last_line, asking=True)
    service.events.log(
        f"answered the {answer.dialog} dialog of instance {row.id}: {answer.option or ' '.join(answer.keys)}",
        instance_id=row.id,
        data={"dialog": answer.dialog, "option": answer.option, "keys": list(answer.keys)},
    )
    return Readiness(False, f"answered its {answer.dialog} dialog", screen.last_line)


def _settled(service: InstanceService, row, profile, screen: ScreenState) -> bool:
    """The screen holds still a moment after the agent began reading (its prompt is drawn)."""
    time.sleep(SETTLE_SECONDS)
    try:
        again = look(service.tmux_for(row.host), row.tmux_session, profile)
    except NotFound:
        return False
    return again == screen and ready_by_terminal(profile, row.pid) is True


def _not_yet(profile, reading: bool | None) -> str:
    seen = []
    if profile.ready_patterns:
        seen.append(f"no ready prompt ({', '.join(profile.ready_patterns)}) on its screen")
    if profile.tty_ready:
        seen.append(
            "it is not reading its terminal"
            if reading is False
            else "/proc cannot tell whether it reads its terminal"
            if reading is None
            else "its screen is still changing"
        )
    return "; ".join(seen) or "it has shown nothing yet"
