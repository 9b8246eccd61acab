"""What a worktree holds, in git's own terms: the commit, the tree with leftovers, the commits
its base lacks; and committing the leftovers. No working file and no index is touched to know
it: the leftovers' tree is written through a temporary index."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cc_orchestrator.core.git.repository import reason, try_git
from cc_orchestrator.errors import ExternalError

IDENTITY = ("-c", "user.name=cc-orchestrator", "-c", "user.email=cc-orchestrator@localhost")


@dataclass(frozen=True)
class Work:
    head: str  # the commit checked out
    tree: str  # the tree of the files as they are, uncommitted ones included
    dirty: bool  # files differ from HEAD (untracked ones included)
    ahead: int  # commits on HEAD that the base lacks

    @property
    def new(self) -> bool:
        return self.dirty or self.ahead > 0


def _git(folder: Path | str, *args: str, env: dict[str, str] | None = None) -> str:
    status, out, err = try_git(folder, *args, env=env)
    if status != 0:
        raise ExternalError(f"git {args[0]} in {folder} failed: {reason(err)}")
    return out.strip()


def inspect(folder: Path | str, base: str) -> Work:
    """Four git calls: HEAD and its tree, the status, the commits ahead of `base`; one more for
    the leftovers' tree when the folder is dirty."""
    head, head_tree = _git(folder, "rev-parse", "HEAD", "HEAD^{tree}").splitlines()
    dirty = bool(_git(folder, "status", "--porcelain", "--untracked-files=all"))
    ahead = int(_git(folder, "rev-list", "--count", f"{base}..HEAD", "--") or 0) if base else 0
    tree = leftovers_tree(folder) if dirty else head_tree
    return Work(head=head, tree=tree, dirty=dirty, ahead=ahead)


def leftovers_tree(folder: Path | str) -> str:
    """The tree `git add -A && git write-tree` would make, through a throwaway index."""
    gitdir = Path(_git(folder, "rev-parse", "--absolute-git-dir"))
    handle, index = tempfile.mkstemp(prefix="cco-index-", dir=gitdir)
    os.close(handle)
    try:
        env = {"GIT_INDEX_FILE": index}
        try:  # the real index's stat data: only changed files are hashed again
            shutil.copyfile(gitdir / "index", index)
        except OSError:
            _git(folder, "read-tree", "HEAD", env=env)
        _git(folder, "add", "-A", env=env)
        return _git(folder, "write-tree", env=env)
    finally:
        Path(index).unlink(missing_ok=True)


def commit_leftovers(folder: Path | str, message: str) -> str:
    """Commit every change in the folder (untracked files included, ignored ones not); the
    new HEAD. The repository's own author is used; without one, cc-orchestrator's."""
    _git(folder, "add", "-A")
    status, _, err = try_git(folder, "commit", "-q", "-m", message)
    if status != 0 and ("tell me who you are" in err.lower() or "user.email" in err):
        status, _, err = try_git(folder, *IDENTITY, "commit", "-q", "-m", message)
    if status != 0:
        raise ExternalError(f"committing the leftovers in {folder} failed: {reason(err)}")
    return _git(folder, "rev-parse", "HEAD")
