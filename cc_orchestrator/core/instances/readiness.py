"""When an agent is ready for a prompt: its profile's ready pattern is the lowest thing on its
screen. A profile without ready patterns falls back to a screen that has stopped changing.
A prompt pasted earlier could land in a start-up dialog and answer it.
"""

from __future__ import annotations

import time

SETTLE_SECONDS = 0.4


def wait_until_ready(service, row, timeout: float) -> bool:
    """Poll the agent's screen until it is ready; answer dialogs the profile answers itself."""
    profile = service.profile_for(row)
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        screen = service.refresher.capture(row)
        if screen is None:
            return False
        if screen.kind == "ready":
            return True
        if screen.kind == "waiting" and screen.dialog and service.auto_answers(row, screen.dialog):
            service.tmux.send_keys(row.tmux_session, *screen.dialog.approve)
        elif not profile.ready_patterns:
            text = service.tmux.capture(row.tmux_session).rstrip()
            now = time.monotonic()
            if text != last:
                last, since = text, now
            elif text and now - since >= SETTLE_SECONDS:
                return True
        time.sleep(0.1)
    return False
