"""Finding our worktrees without the database: the folders under the worktree root, and the
folders our sessions work in. Each linked worktree's `.git` file leads to its repository, and
its branch's reflog to the base it was made from."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cc_orchestrator.core.git import repository as git
from cc_orchestrator.core.git.dotgit import main_repo
from cc_orchestrator.errors import OrchestratorError


def worktree_top(folder: Path) -> Path | None:
    """The linked worktree holding `folder` (itself or a parent with a `.git` file); None
    inside a main working tree or outside git."""
    folder = Path(folder)
    for candidate in (folder, *folder.parents):
        dot_git = candidate / ".git"
        if dot_git.is_file():
            return candidate.resolve()
        if dot_git.exists():
            return None
    return None


def under_root(root: Path) -> list[Path]:
    """Linked worktrees at most two levels under `root`: `<repo>-<hash>/<branch>` as we make
    them, and a folder put there by hand. Never looks inside a worktree."""
    found: list[Path] = []
    if not Path(root).is_dir():
        return found
    for first in sorted(Path(root).iterdir()):
        if (first / ".git").is_file():
            found.append(first.resolve())
        elif first.is_dir() and not first.is_symlink():
            found += [second.resolve() for second in sorted(first.iterdir()) if (second / ".git").is_file()]
    return found


def repos_of(worktrees: Iterable[Path]) -> dict[Path, list[Path]]:
    """The worktrees grouped by their main repository; those whose repository is gone are left out.
    Their `.git` files say where it is; git is asked only where they cannot."""
    grouped: dict[Path, list[Path]] = {}
    for worktree in worktrees:
        repo = main_repo(worktree, explicit=True)
        if not isinstance(repo, Path):
            try:
                repo = git.find_repo(worktree)
            except OrchestratorError:  # its repository was deleted or moved: nothing to record
                continue
        grouped.setdefault(repo, []).append(worktree)
    return grouped


def strays(repo: Path, root: Path, also: Iterable[Path], known: set[str]) -> list[tuple[Path, str, str, str]]:
    """Worktrees of `repo` under `root` or in `also` whose path is not `known`, each as
    (path, branch or detached sha, base, "<short sha> <subject>"): the base is the one the
    branch's reflog says it was made from, else a guess, the repository's current branch."""
    root, also = Path(root).resolve(), {Path(folder).resolve() for folder in also}
    found = [
        w
        for w in git.list_worktrees(repo)
        if not (w.bare or w.prunable)
        and w.path.is_dir()
        and (w.path.resolve().is_relative_to(root) or w.path.resolve() in also)
        and w.path.resolve() != repo
        and str(w.path.resolve()) not in known
    ]
    current = git.current_branch(repo) if found else ""
    return [
        (
            w.path.resolve(),
            w.branch or w.head,
            (w.branch and created_from(repo, w.branch)) or current,
            git.head_commit(w.path)[0],
        )
        for w in found
    ]


def created_from(repo: Path, branch: str) -> str | None:
    """The base `branch` was made from, as its reflog remembers it ("branch: Created from main");
    None when the reflog is gone or says HEAD."""
    status, out, _ = git.try_git(repo, "reflog", "show", "--format=%gs", f"refs/heads/{branch}", "--")
    lines = out.splitlines() if status == 0 else []
    first = lines[-1] if lines else ""
    base = first.removeprefix("branch: Created from ").strip()
    if base == first or not base or base == "HEAD":
        return None
    return base.removeprefix("refs/heads/")
