"""Codex CLI: its turn-complete notification, the session it records, and its token counts.

Codex runs a `notify` program at the end of each turn with a JSON argument
(`{"type": "agent-turn-complete", "thread-id": ..., "last-assistant-message": ...}`). We pass
a shell one-liner with `-c notify=[...]` that appends that JSON as a line to the instance's
spool, as Claude Code's hooks do; a `notify` the user configured runs after it, unchanged.
The session (thread) is recorded under `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*-ID.jsonl`,
with the model (`turn_context`) and running token totals (`token_count` events). Codex also
runs a side thread to title the session, which notifies too but records no rollout: only a
thread with a rollout is the instance's session.
"""

from __future__ import annotations

import json
import os
import shlex
import tomllib
from pathlib import Path

from cc_orchestrator.core.agents.transcript import TranscriptUsage

TURN_COMPLETE = "agent-turn-complete"


def codex_home(env: dict[str, str]) -> Path:
    """Where Codex keeps its config and sessions for an agent started with `env`."""
    return Path(env.get("CODEX_HOME") or os.environ.get("CODEX_HOME") or Path.home() / ".codex").expanduser()


def notify_args(spool: Path, home: Path) -> list[str]:
    """`-c notify=[...]`: append the notification to `spool`, then run the user's own notify."""
    theirs: list[str] = []
    try:
        configured = tomllib.loads((home / "config.toml").read_text()).get("notify")
        if isinstance(configured, list) and all(isinstance(a, str) for a in configured):
            theirs = configured
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        pass
    record = f"for last; do :; done; printf '%s\\n' \"$last\" >> {shlex.quote(str(spool))}"
    script = record + ('; exec "$@"' if theirs else "")
    return ["-c", "notify=" + json.dumps(["sh", "-c", script, "sh", *theirs])]


def is_notification(payload: dict) -> bool:
    return payload.get("type") == TURN_COMPLETE and "thread-id" in payload


def find_rollout(home: Path, thread_id: str) -> Path | None:
    """The rollout file of a thread (newest day first); None for a thread that keeps none."""
    if not thread_id or "/" in thread_id or not (home / "sessions").is_dir():
        return None
    found = sorted((home / "sessions").glob(f"*/*/*/rollout-*-{thread_id}.jsonl"), reverse=True)
    return found[0] if found else None


def describe(payload: dict) -> str:
    return f"turn ended: {_short(payload.get('last-assistant-message'))}"


def _short(text, width: int = 200) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def is_rollout(path: str | Path) -> bool:
    return Path(path).name.startswith("rollout-")


def read_usage(path: str | Path, since: TranscriptUsage) -> TranscriptUsage:
    """Totals from a rollout's whole lines after `since.offset`: the newest `token_count`
    total (Codex keeps running totals per thread) and the newest model."""
    try:
        with open(path, "rb") as fh:
            fh.seek(since.offset)
            data = fh.read()
    except FileNotFoundError:
        return since
    end = data.rfind(b"\n") + 1
    if end == 0:
        return since
    tokens_in, tokens_out, model = since.input_tokens, since.output_tokens, since.model
    for line in data[:end].split(b"\n"):
        if b"token_count" not in line and b"turn_context" not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        payload = entry.get("payload") if isinstance(entry, dict) else None
        if not isinstance(payload, dict):
            continue
        if entry.get("type") == "turn_context" and isinstance(payload.get("model"), str):
            model = payload["model"]
        elif payload.get("type") == "token_count":
            total = (payload.get("info") or {}).get("total_token_usage") or {}
            tokens_in = _count(total, "input_tokens", tokens_in)
            tokens_out = _count(total, "output_tokens", tokens_out)
    return TranscriptUsage(since.offset + end, since.last_message_id, tokens_in, tokens_out, model)


def _count(usage: dict, key: str, default: int) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) and value >= 0 else default
