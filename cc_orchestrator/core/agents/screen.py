"""Reading an agent's state from its screen: the fallback for agents without hooks, and for
what hooks do not say (Claude Code's permission prompt, its start-up dialogs, an interrupt).

Only the bottom of the screen counts, and the lowest match wins: a dialog answered a moment ago
is still visible above the agent's next prompt, and Claude Code's footer sits below everything.
A profile's `status_lines` make a working line in the agent's live status area win over the
prompt below it. A dialog with a menu counts only when its options are there to be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from cc_orchestrator.core.agents.menu import Menu, read_menu

if TYPE_CHECKING:  # pydantic: not imported by a refresh that reads no screen
    from cc_orchestrator.config.agents import AgentProfile, Dialog

TAIL_LINES = 25


@dataclass(frozen=True)
class ScreenState:
    kind: str  # "waiting", "working", "ready" or "unknown"
    dialog: Dialog | None = None
    text: str = ""  # the question, for WAITING_INPUT
    usage_limit: str | None = None  # the reset time as the agent printed it
    menu: Menu | None = None  # the dialog's options, when it has a menu
    last_line: str = ""  # the lowest non-blank line, to say what the agent shows


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


def _last_match(patterns, tail: str) -> tuple[int, re.Match | None]:
    """The match that ends lowest on the screen (its end offset), for any of the patterns."""
    best, found = -1, None
    for pattern in patterns:
        for match in _compiled(pattern).finditer(tail):
            if match.end() > best:
                best, found = match.end(), match
    return best, found


def question_text(tail: str, match: re.Match) -> str:
    """The dialog's question: the line the pattern matched, whitespace collapsed."""
    start = tail.rfind("\n", 0, match.start()) + 1
    end = tail.find("\n", match.start())
    line = tail[start : end if end != -1 else len(tail)].strip()
    return " ".join(line.split())[:300]


def _dialog(profile: AgentProfile, tail: str, styled: str | None) -> tuple[int, Dialog | None, str, Menu | None]:
    """The lowest dialog on the screen whose menu (if it has one) can be read."""
    found: tuple[int, Dialog | None, str, Menu | None] = (-1, None, "", None)
    for candidate in profile.dialogs:
        for match in _compiled(candidate.pattern).finditer(tail):
            if match.end() <= found[0]:
                continue
            menu = None
            if candidate.menu:
                menu = read_menu(tail, tail.count("\n", 0, match.start()), styled)
                if menu is None:
                    continue  # the words without the options: text on screen, not this dialog
            found = (match.end(), candidate, question_text(tail, match), menu)
    return found


def classify(screen: str, profile: AgentProfile, styled: str | None = None) -> ScreenState:
    """The agent's state from its screen; `styled` is the same screen with its escapes (it shows
    a menu's highlighted option when no marker does)."""
    lines = screen.split("\n")
    end = next((i + 1 for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), 0)
    start = max(0, end - TAIL_LINES)
    tail_lines = lines[start:end]
    tail = "\n".join(tail_lines)
    styled_tail = "\n".join(styled.split("\n")[start:end]) if styled is not None else None
    last_line = tail_lines[-1].strip() if tail_lines else ""
    limit = None
    if profile.usage_limit_pattern:
        hit = _compiled(profile.usage_limit_pattern).search(tail)
        if hit is not None:
            limit = (hit.groupdict().get("when") or hit.group(0)).strip()
    dialog_at, dialog, question, menu = _dialog(profile, tail, styled_tail)
    working_at, _ = _last_match(profile.working_patterns, tail)
    ready_at, _ = _last_match(profile.ready_patterns, tail)
    if profile.status_lines and working_at > dialog_at:
        status_area = (
            len("\n".join(tail_lines[: -profile.status_lines])) if len(tail_lines) > profile.status_lines else -1
        )
        if working_at > status_area:
            ready_at = -1  # the prompt under a live working line is not ready
    lowest = max(dialog_at, working_at, ready_at)
    if lowest < 0:
        return ScreenState("unknown", usage_limit=limit, last_line=last_line)
    if lowest == dialog_at:
        return ScreenState("waiting", dialog, question, limit, menu, last_line)
    if lowest == working_at:
        return ScreenState("working", usage_limit=limit, last_line=last_line)
    return ScreenState("ready", usage_limit=limit, last_line=last_line)
