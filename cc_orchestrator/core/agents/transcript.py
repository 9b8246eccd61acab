"""Token usage from a Claude Code transcript (JSONL), read incrementally.

Each assistant reply is written as one line per content block, all with the same
`message.id` and the same full `message.usage`, so a reply is counted once, by its id.
Those lines are adjacent, so remembering the last id counted is enough, even across reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TranscriptUsage:
    offset: int  # bytes consumed so far (only whole lines)
    last_message_id: str | None
    input_tokens: int  # input + cache creation + cache read
    output_tokens: int
    model: str | None


EMPTY = TranscriptUsage(offset=0, last_message_id=None, input_tokens=0, output_tokens=0, model=None)
_INPUT_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _count(usage: dict[str, Any], key: str) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) and value > 0 else 0


def _assistant_message(line: bytes) -> dict[str, Any] | None:
    """The `message` of an assistant line carrying usage; None for anything else."""
    try:
        entry = json.loads(line)
    except ValueError:  # a malformed line: skip it rather than stop counting
        return None
    if not isinstance(entry, dict) or entry.get("type") != "assistant":
        return None
    message = entry.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("usage"), dict):
        return None
    return message


def read_usage(path: str | Path, since: TranscriptUsage | None = None) -> TranscriptUsage:
    """Totals after reading the transcript's whole lines from `since.offset` on.

    A partial last line (still being written) is left for the next call; a missing file
    changes nothing.
    """
    since = since or EMPTY
    try:
        with open(path, "rb") as fh:
            fh.seek(since.offset)
            data = fh.read()
    except FileNotFoundError:
        return since
    end = data.rfind(b"\n") + 1
    if end == 0:
        return since
    last_id, model = since.last_message_id, since.model
    input_tokens, output_tokens = since.input_tokens, since.output_tokens
    for line in data[:end].split(b"\n"):
        message = _assistant_message(line) if line.strip() else None
        if message is None:
            continue
        message_id = message.get("id") if isinstance(message.get("id"), str) else None
        if message_id is not None and message_id == last_id:
            continue  # another content block of the reply already counted
        last_id = message_id
        usage = message["usage"]
        input_tokens += sum(_count(usage, key) for key in _INPUT_KEYS)
        output_tokens += _count(usage, "output_tokens")
        name = message.get("model")
        # Claude Code writes local notices as model "<synthetic>": not the model in use
        if isinstance(name, str) and name and not name.startswith("<"):
            model = name
    return TranscriptUsage(
        offset=since.offset + end,
        last_message_id=last_id,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        model=model,
    )
