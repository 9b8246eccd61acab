"""Claude Code hooks: each event appends its JSON payload to the instance's spool file.

The hook is `awk 1 >> SPOOL` (about 1.3 ms; starting Python would cost 30 ms per tool call).
Our entries are merged into the worktree's `.claude/settings.local.json` beside whatever the
user has there, and that file is kept out of commits through git's info/exclude.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from cc_orchestrator.core.private import private_file
from cc_orchestrator.errors import InvalidInput

EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "Notification",
    "Stop",
    "SessionEnd",
)
SETTINGS = Path(".claude") / "settings.local.json"
EXCLUDE_LINE = "/.claude/settings.local.json"


def hook_command(spool: Path) -> str:
    return f"awk 1 >> {shlex.quote(str(spool))}"


def merged_settings(existing: dict, spool: Path) -> dict:
    """`existing` with our hook on every event, added once, nothing of the user's touched."""
    command = hook_command(spool)
    settings = dict(existing)
    hooks = dict(settings.get("hooks") or {})
    for event in EVENTS:
        entries = list(hooks.get(event) or [])
        ours = any(h.get("command") == command for e in entries for h in (e.get("hooks") or []))
        if not ours:
            entries.append({"hooks": [{"type": "command", "command": command}]})
        hooks[event] = entries
    settings["hooks"] = hooks
    return settings


def install(worktree: Path, spool: Path) -> None:
    """Merge our hooks into the worktree's settings.local.json and exclude it from commits."""
    path = Path(worktree) / SETTINGS
    existing: dict = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text() or "{}")
        except ValueError:
            raise InvalidInput(f"{path} is not valid JSON; fix it so hooks can be added") from None
        if not isinstance(existing, dict):
            raise InvalidInput(f"{path} does not hold a JSON object")
    private_file(spool)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.cco-tmp")
    temporary.write_text(json.dumps(merged_settings(existing, spool), indent=2) + "\n")
    os.replace(temporary, path)
    _exclude(Path(worktree))


def _exclude(worktree: Path) -> None:
    result = subprocess.run(
        ["git", "-C", str(worktree), "rev-parse", "--git-path", "info/exclude"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return
    exclude = Path(result.stdout.strip())
    if not exclude.is_absolute():
        exclude = worktree / exclude
    text = exclude.read_text() if exclude.exists() else ""
    if EXCLUDE_LINE not in text.splitlines():
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a") as fh:
            fh.write(("\n" if text and not text.endswith("\n") else "") + EXCLUDE_LINE + "\n")
