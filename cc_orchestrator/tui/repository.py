"""Which repository the dashboard starts instances in, found before the first frame.

The core's `Orchestrator.repo` asks git (GitPython and a process, ~70 ms). The usual layouts
need neither: a `.git` folder, or a linked worktree's `.git` file pointing at the main one. Those
are read here from the files; anything else (a submodule, a bare repository, GIT_DIR set, no
`.git` above an explicit --repo) is left to the core.
"""

from __future__ import annotations

import os
from pathlib import Path

_UNSURE = "unsure"


def repository(repo: str | None) -> str | None:
    """--repo, else the repository holding the current folder, else None (tasks carry theirs)."""
    found = _from_files(Path(repo).expanduser() if repo else Path.cwd(), explicit=repo is not None)
    if found is _UNSURE:
        from cc_orchestrator.core.orchestrator import Orchestrator

        path = Orchestrator.repo(repo, required=False)
        return str(path) if path else None
    return found


def _from_files(start: Path, explicit: bool) -> str | None:
    if any(name in os.environ for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES")):
        return _UNSURE
    try:
        if explicit and not start.exists():
            return _UNSURE  # the core says what is wrong with it
        start = start.resolve()
        folder = start if start.is_dir() else start.parent
        for here in (folder, *folder.parents):
            if here.name == ".git":
                return _UNSURE  # inside the git folder itself
            dot = here / ".git"
            if dot.is_dir():
                return str(here) if (dot / "HEAD").is_file() else _UNSURE
            if dot.is_file():
                return _main_of(here, dot)
    except OSError:
        return _UNSURE
    return _UNSURE if explicit else None


def _main_of(worktree: Path, dot: Path) -> str:
    """The main repository of a linked worktree: `.git` names its git folder, whose `commondir`
    names the main one's `.git`."""
    text = dot.read_text().strip()
    if not text.startswith("gitdir:"):
        return _UNSURE
    gitdir = (worktree / text.removeprefix("gitdir:").strip()).resolve()
    commondir = gitdir / "commondir"
    if not commondir.is_file():
        return _UNSURE
    common = (gitdir / commondir.read_text().strip()).resolve()
    return str(common.parent) if common.name == ".git" and (common / "HEAD").is_file() else _UNSURE
