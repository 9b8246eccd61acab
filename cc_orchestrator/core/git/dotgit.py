"""Finding the main repository from the files alone, for the usual layouts.

Asking git costs a process (and GitPython ~70 ms to import). The usual layouts need neither: a
`.git` folder, or a linked worktree's `.git` file naming its git folder, whose `commondir` names
the main one's `.git`. Anything else (a submodule, a bare repository, GIT_DIR set, a separate
git dir) is UNSURE, and git is asked.
"""

from __future__ import annotations

import os
from pathlib import Path

UNSURE = object()


def main_repo(start: Path, explicit: bool) -> Path | None | object:
    """The main repository holding `start`; None when no `.git` is above it (and `start` came
    from the current folder); UNSURE when only git can say."""
    if any(name in os.environ for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES")):
        return UNSURE
    try:
        if explicit and not start.exists():
            return UNSURE  # git says what is wrong with it
        start = start.resolve()
        folder = start if start.is_dir() else start.parent
        for here in (folder, *folder.parents):
            if here.name == ".git":
                return UNSURE  # inside the git folder itself
            dot = here / ".git"
            if dot.is_dir():
                return here if (dot / "HEAD").is_file() else UNSURE
            if dot.is_file():
                return _main_of(here, dot)
    except OSError:
        return UNSURE
    return UNSURE if explicit else None


def _main_of(worktree: Path, dot: Path) -> Path | object:
    text = dot.read_text().strip()
    if not text.startswith("gitdir:"):
        return UNSURE
    gitdir = (worktree / text.removeprefix("gitdir:").strip()).resolve()
    commondir = gitdir / "commondir"
    if not commondir.is_file():
        return UNSURE
    common = (gitdir / commondir.read_text().strip()).resolve()
    return common.parent if common.name == ".git" and (common / "HEAD").is_file() else UNSURE
