"""When an agent is ready for a prompt.

Without an agent profile (a later layer), "ready" means the agent has drawn something and its
screen has stopped changing: it is waiting on its input. A prompt pasted earlier could land in
a start-up dialog and answer it.
"""

from __future__ import annotations

import time

from cc_orchestrator.core.errors import NotFound
from cc_orchestrator.core.tmux.service import PaneState, TmuxService

SETTLE_SECONDS = 0.4
QUIET_SECONDS = 1.5  # tmux's activity clock counts whole seconds


def wait_until_ready(tmux: TmuxService, session: str, timeout: float) -> bool:
    """Poll the agent's screen until it is non-empty and unchanged for SETTLE_SECONDS."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        try:
            screen = tmux.capture(session).rstrip()
        except NotFound:
            return False
        now = time.monotonic()
        if screen != last:
            last, since = screen, now
        elif screen and now - since >= SETTLE_SECONDS:
            return True
        time.sleep(0.1)
    return False


def quiet(pane: PaneState, now: float | None = None) -> bool:
    """From a refresh snapshot alone: alive and no output for a while."""
    return not pane.dead and (now or time.time()) - pane.activity >= QUIET_SECONDS
