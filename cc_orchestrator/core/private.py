"""Prompts, agent output and the database are the user's alone: files 0600 in folders 0700,
whatever the umask (under the usual 022 they would be readable by every user)."""

from __future__ import annotations

import os
from pathlib import Path


def private_folder(path: Path) -> Path:
    """Make `path` (and missing parents) and keep it to its owner."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:  # not ours to change (a shared folder the user pointed us at)
        pass
    return path


def keep_private(path: Path) -> None:
    """Make an existing file readable by its owner only, without opening it: closing any
    descriptor of a SQLite file drops the process's locks on it (POSIX locks are per process),
    which lets another process truncate the shared memory under it (SIGBUS)."""
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass


def private_file(path: Path) -> Path:
    """Create `path` empty if missing, in a private folder, readable by its owner only; writers
    that append to it later (tmux's `cat >>`, a hook's `awk 1 >>`) keep that mode."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
    return path
