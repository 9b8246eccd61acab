"""The agents' screen output on disk: one log per instance, written by `tmux pipe-pane`.

The writer is `cat >> <log>`, which holds the file open with O_APPEND for the life of the
pane. So rotation copies and truncates (logrotate's copytruncate) instead of renaming: the
writer keeps its descriptor and its next write lands at the new end of the emptied file.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cc_orchestrator.core.ansi import display_lines
from cc_orchestrator.core.private import private_file

_BLOCK = 64 * 1024
_MAX_PARTIAL = 256 * 1024  # a "line" this long without a newline is shown anyway


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read(path: Path, start: int, end: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            return fh.read(max(0, end - start))
    except FileNotFoundError:
        return b""


def _tail_file(path: Path, lines: int) -> tuple[list[str], bool]:
    """The last `lines` display lines of a file, read backwards; and whether all was read."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return [], True
    with fh:
        end = fh.seek(0, os.SEEK_END)
        span = _BLOCK
        while True:
            start = max(0, end - span)
            fh.seek(start)
            data = fh.read(end - start)
            if start > 0:
                data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""
            shown = display_lines(data.decode("utf-8", "replace"))
            if len(shown) >= lines or start == 0:
                return shown[-lines:] if lines > 0 else [], start == 0
            span *= 2


def _follow(log: Path, backup: Path, offset: int, poll: float, stop: Callable[[], bool]) -> Iterator[list[str]]:
    while not stop():
        size, data = _size(log), b""
        if size < offset:
            # output since the last poll went to the backup; a partial line there is
            # finished at the start of the emptied log
            data, offset = _read(backup, offset, _size(backup)), 0
        if size > offset:
            chunk = _read(log, offset, size)
            cut = chunk.rfind(b"\n") + 1 or (len(chunk) if len(chunk) >= _MAX_PARTIAL else 0)
            data, offset = data + chunk[:cut], offset + cut
        batch = display_lines(data.decode("utf-8", "replace")) if data else []
        if batch:
            yield batch
        else:
            time.sleep(poll)


class PaneLogs:
    """Log files of agent panes in `logs_dir`, capped by copy-truncate rotation."""

    def __init__(self, logs_dir: Path, max_bytes: int = 5_000_000, backups: int = 2) -> None:
        self.logs_dir = Path(logs_dir)
        self.max_bytes = max_bytes
        self.backups = backups

    def path(self, instance_id: str) -> Path:
        return self.logs_dir / f"{instance_id}.log"

    def _backup(self, instance_id: str, n: int) -> Path:
        return self.logs_dir / f"{instance_id}.log.{n}"

    def pipe_command(self, instance_id: str) -> str:
        """The shell command for `tmux pipe-pane -o` that appends the pane's output to the log."""
        private_file(self.path(instance_id))  # before tmux's `cat` creates it under its umask
        return f"cat >> {shlex.quote(str(self.path(instance_id)))}"

    def rotate(self, instance_id: str) -> bool:
        """Copy-truncate the log once it exceeds max_bytes; whether it did.

        Output written between the copy and the truncate is lost, as with logrotate.
        """
        log = self.path(instance_id)
        if _size(log) <= self.max_bytes:
            return False
        try:
            if self.backups > 0:
                for n in range(self.backups - 1, 0, -1):
                    if (older := self._backup(instance_id, n)).exists():
                        os.replace(older, self._backup(instance_id, n + 1))
                shutil.copyfile(log, private_file(self._backup(instance_id, 1)))
            os.truncate(log, 0)
        except FileNotFoundError:  # removed meanwhile (the instance went away)
            return False
        return True

    def rotate_all(self) -> int:
        """Rotate every log that needs it; how many did."""
        return sum(self.rotate(log.name[: -len(".log")]) for log in self.logs_dir.glob("*.log"))

    def tail(self, instance_id: str, lines: int = 200) -> list[str]:
        """The last `lines` display lines, reaching into the newest backup after a rotation."""
        shown, whole = _tail_file(self.path(instance_id), lines)
        if whole and len(shown) < lines and self.backups > 0:
            older, _ = _tail_file(self._backup(instance_id, 1), lines - len(shown))
            shown = older + shown
        return shown

    def follow(
        self, instance_id: str, poll: float = 0.25, stop: Callable[[], bool] | None = None
    ) -> Iterator[list[str]]:
        """Batches of whole new display lines written after this call, until stop().

        A rotation (the file shrank) restarts at 0, after the backup's unread part.
        """
        log, backup = self.path(instance_id), self._backup(instance_id, 1)
        return _follow(log, backup, _size(log), poll, stop or (lambda: False))

    def remove(self, instance_id: str) -> None:
        """Delete the log and all its backups."""
        self.path(instance_id).unlink(missing_ok=True)
        pattern = glob.escape(str(self.path(instance_id))) + ".*"
        for name in glob.glob(pattern):
            if name.rsplit(".", 1)[-1].isdigit():
                Path(name).unlink(missing_ok=True)

    def files(self) -> dict[str, list[Path]]:
        """Every log and backup in the folder, by the instance it belongs to."""
        found: dict[str, list[Path]] = {}
        try:
            entries = list(os.scandir(self.logs_dir))
        except FileNotFoundError:
            return found
        for entry in entries:
            stem, dot, rest = entry.name.partition(".log")
            if stem and dot and (not rest or rest[1:].isdigit()) and entry.is_file():
                found.setdefault(stem, []).append(Path(entry.path))
        return found
