"""Reading what tmux's hooks append to the events file (set by `commands.event_hooks`): one
`<hook> <session>` line each, read once, from where the reader started (history is not news).
Once read past KEEP_BYTES, the file is emptied: a line lost in that instant is a death or a
silence the pidfd and the sweep still see."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

KEEP_BYTES = 256 * 1024


@dataclass(frozen=True)
class HookLine:
    hook: str  # pane-died, pane-exited, alert-silence
    session: str


class HookLines:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = _size(path)

    def new(self) -> list[HookLine]:
        """The complete lines appended since the last call (from the start if the file shrank)."""
        if _size(self.path) < self.offset:
            self.offset = 0
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return []
        complete = data[: data.rfind(b"\n") + 1]  # a line tmux is still writing waits for the next call
        self.offset += len(complete)
        if self.offset > KEEP_BYTES and len(complete) == len(data):
            os.truncate(self.path, 0)
            self.offset = 0
        found = []
        for line in complete.decode("utf-8", "replace").splitlines():
            hook, _, session = line.strip().partition(" ")
            if hook and session:
                found.append(HookLine(hook, session))
        return found


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
