"""Answering an agent's dialog by what its options mean, and checking that it was answered.

The menu is read from the screen (with its styles, for a cursor shown only by a highlight);
the option whose label matches the profile's approve or reject pattern is reached with arrow
keys, one at a time, each move checked on the screen; then it is confirmed. The dialog must
then leave the screen: if it stays, this tries once more from what the screen shows then, and
otherwise says which option could not be chosen. Dialogs without options to read, such as
`(y/n)` prompts, get the profile's keystrokes instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cc_orchestrator.core.agents.menu import plain
from cc_orchestrator.core.agents.screen import ScreenState, classify
from cc_orchestrator.errors import Conflict, NotFound

if TYPE_CHECKING:
    from cc_orchestrator.config.agents import AgentProfile
    from cc_orchestrator.core.tmux.service import TmuxService

# Waits end as soon as the screen shows the change, so they cost time only when it never
# comes; long enough that a loaded machine's slow redraw is not taken for a deaf menu.
STEP_TIMEOUT = 1.5  # for one arrow key to show on the screen
DIGIT_WAIT = 0.6  # for a typed option number to answer a menu by itself (else Enter follows)
GONE_TIMEOUT = 2.0  # for the dialog to leave the screen once answered
STILL_SECONDS = 0.15  # how long a dialog must hold still before the first key
SETTLE_TIMEOUT = 0.6  # at most, for that
POLL = 0.02


@dataclass(frozen=True)
class Answer:
    dialog: str
    question: str
    option: str | None  # the label chosen; None when keystrokes were sent (no menu to read)
    keys: tuple[str, ...]
    confirmed: bool = True  # False: the cursor never reached the option, nothing was confirmed


class Unanswered(Conflict):
    """The dialog stayed on the screen after the answer, twice."""


class NoDialog(Conflict):
    """Nothing is being asked."""


def look(tmux: TmuxService, session: str, profile: AgentProfile, pane_id: str | None = None) -> ScreenState:
    """The screen as the profile reads it, styles included (one tmux call)."""
    styled = tmux.capture(session, pane_id=pane_id, escapes=True)
    return classify(plain(styled), profile, styled)


def answer_dialog(
    tmux: TmuxService,
    session: str,
    profile: AgentProfile,
    approve: bool,
    timeout: float = GONE_TIMEOUT,
    retries: int = 1,
) -> Answer:
    """Approve or reject the dialog on the screen; Conflict when there is none or no option
    means that, Unanswered when it would not leave the screen."""
    pane = tmux.agent_pane(session)
    screen = _settled(tmux, session, pane, profile)
    if screen.kind != "waiting" or screen.dialog is None:
        raise NoDialog("it is not asking anything right now")
    answer = None
    for _ in range(retries + 1):
        answer = _answer_once(tmux, session, pane, profile, screen, approve)
        if answer.confirmed:
            left = _until_gone(tmux, session, pane, profile, screen, timeout)
            if left is None:
                return answer
            screen = left
        else:  # the cursor would not go there: read the dialog again
            screen = look(tmux, session, profile, pane)
            if screen.kind != "waiting" or screen.dialog is None:
                return answer
    assert answer is not None
    what = f"{answer.option!r}" if answer.option else f"the keys {' '.join(answer.keys)}"
    raise Unanswered(f"could not choose {what} in the {answer.dialog} dialog: it is still on the screen")


def _settled(tmux, session, pane, profile) -> ScreenState:
    """The screen once it has held still for STILL_SECONDS: a dialog can be drawn again just
    after it shows, and the redraw puts its cursor back (Claude Code 2.1.332's trust dialog
    does, within about 0.1 s), so a key sent before that is lost."""
    screen, since = look(tmux, session, profile, pane), time.monotonic()
    deadline = since + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        time.sleep(POLL)
        again = look(tmux, session, profile, pane)
        if again != screen:
            screen, since = again, time.monotonic()
        elif time.monotonic() - since >= STILL_SECONDS:
            break
    return screen


def _answer_once(tmux, session, pane, profile, screen: ScreenState, approve: bool) -> Answer:
    dialog = screen.dialog
    menu = screen.menu
    if menu is None:
        keys = dialog.approve if approve else dialog.reject
        tmux.send_keys(session, *keys)
        return Answer(dialog.name, screen.text, None, tuple(keys))
    wanted = dialog.approve_label if approve else dialog.reject_label
    target = menu.pick(wanted, dialog.never_approve if approve else None)
    if target is None:
        verb = "approve" if approve else "reject"
        offered = "; ".join(menu.labels)
        raise Conflict(f"the {dialog.name} dialog has no option to {verb} with (wanted {wanted}): it offers {offered}")
    option = menu.options[target]
    sent: list[str] = []
    if menu.cursor is None:
        if option.number is None:
            raise Conflict(f"cannot see which option of the {dialog.name} dialog is selected")
        # A numbered menu without a visible cursor: its number, and Enter if that alone did not
        # answer it (some menus take the digit at once, a line prompt waits for the Enter).
        sent.append(str(option.number))
        tmux.send_keys(session, sent[-1])
        if _until_gone(tmux, session, pane, profile, screen, DIGIT_WAIT) is not None:
            tmux.send_keys(session, *dialog.confirm)
            sent.extend(dialog.confirm)
        return Answer(dialog.name, screen.text, option.label, tuple(sent))
    cursor = menu.cursor
    for _ in range(len(menu.options) * 3):  # the cursor may wrap, skip or be put back; never loop forever
        if cursor == target:
            cursor = _cursor_now(tmux, session, pane, profile, screen)
            if cursor == target:
                tmux.send_keys(session, *dialog.confirm)
                sent.extend(dialog.confirm)
                break
        if cursor is None:
            break  # the dialog changed under us: the retry reads it again
        step = "Down" if target > cursor else "Up"
        tmux.send_keys(session, step)
        sent.append(step)
        moved = _cursor_after(tmux, session, pane, profile, screen, cursor)
        if moved == cursor:
            break  # the key did not move it: this menu is not listening
        cursor = moved
    confirmed = bool(sent) and sent[-len(dialog.confirm) :] == list(dialog.confirm)
    return Answer(dialog.name, screen.text, option.label, tuple(sent), confirmed)


def _cursor_now(tmux, session, pane, profile, asked: ScreenState) -> int | None:
    """Where the cursor is a moment later (a redraw may have put it back); None if the dialog went."""
    time.sleep(POLL)
    screen = look(tmux, session, profile, pane)
    if screen.menu is None or screen.text != asked.text:
        return None
    return screen.menu.cursor


def _cursor_after(tmux, session, pane, profile, asked: ScreenState, before: int) -> int | None:
    """Where the cursor is once a key moved it (or STEP_TIMEOUT passed); None if the dialog went."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        time.sleep(POLL)
        screen = look(tmux, session, profile, pane)
        if screen.menu is None or screen.text != asked.text:
            return None
        if screen.menu.cursor != before or time.monotonic() > deadline:
            return screen.menu.cursor


def _until_gone(tmux, session, pane, profile, asked: ScreenState, timeout: float) -> ScreenState | None:
    """None once the question has left the screen; else the screen as it still is."""
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(POLL)
        try:
            screen = look(tmux, session, profile, pane)
        except NotFound:  # the session ended: the agent was told to exit (a "No, exit" answer)
            return None
        if screen.kind != "waiting" or screen.text != asked.text or screen.dialog != asked.dialog:
            return None
        if time.monotonic() > deadline:
            return screen
