"""Reading an agent's state from its screen: the fallback for agents without hooks, and for
what hooks do not say (Claude Code's permission prompt, its start-up dialogs, an interrupt).

Only the bottom of the screen counts, and the lowest match wins: a dialog answered a moment ago
is still visible above the agent's next prompt, and Claude Code's footer sits below everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cc_orchestrator.config.agents import AgentProfile, Dialog

TAIL_LINES = 25


@dataclass(frozen=True)
class ScreenState:
    kind: str  # "waiting", "working", "ready" or "unknown"
    dialog: Dialog | None = None
    text: str = ""  # the question, for WAITING_INPUT
    usage_limit: str | None = None  # the reset time as the agent printed it


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
    """The dialog's question: its first line, plus the paragraph above it when the line is short."""
    start = tail.rfind("\n", 0, match.start()) + 1
    end = tail.find("\n", match.start())
    line = tail[start : end if end != -1 else len(tail)].strip()
    return " ".join(line.split())[:300]


def classify(screen: str, profile: AgentProfile) -> ScreenState:
    lines = screen.rstrip().splitlines()
    tail = "\n".join(lines[-TAIL_LINES:])
    limit = None
    if profile.usage_limit_pattern:
        hit = _compiled(profile.usage_limit_pattern).search(tail)
        if hit is not None:
            limit = (hit.groupdict().get("when") or hit.group(0)).strip()
    dialog_at, dialog_match, dialog = -1, None, None
    for candidate in profile.dialogs:
        at, match = _last_match([candidate.pattern], tail)
        if at > dialog_at:
            dialog_at, dialog_match, dialog = at, match, candidate
    working_at, _ = _last_match(profile.working_patterns, tail)
    ready_at, _ = _last_match(profile.ready_patterns, tail)
    lowest = max(dialog_at, working_at, ready_at)
    if lowest < 0:
        return ScreenState("unknown", usage_limit=limit)
    if lowest == dialog_at:
        return ScreenState("waiting", dialog, question_text(tail, dialog_match), limit)
    if lowest == working_at:
        return ScreenState("working", usage_limit=limit)
    return ScreenState("ready", usage_limit=limit)
