"""Merging a branch into another without touching anyone's working tree.

A merge's result is built from objects alone (`merge-tree --write-tree`, then `commit-tree`);
a rebase replays commits in a scratch worktree of our own. The base branch then moves by a
fast-forward of the checkout that has it (git updates its files, or refuses and changes
nothing), or, when no checkout has it, by a compare-and-swap of the ref: a base that moved
meanwhile is refused, never overwritten.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from cc_orchestrator.core.git import repository as git
from cc_orchestrator.errors import Conflict, ExternalError, OrchestratorError

_SHORTSTAT = re.compile(r"(\d+) (?:insertion|deletion)")


def merge_tree(repo: Path, base: str, tip: str) -> tuple[str, list[str]]:
    """(the merged tree, the files that conflict): `tip` merged into `base`, nothing written
    but objects."""
    status, out, err = git.try_git(repo, "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", base, tip)
    if status not in (0, 1):
        raise ExternalError(f"git merge-tree failed: {git.reason(err)}")
    tree, *names = out.split("\0")
    return tree.strip(), sorted({name for name in names if name}) if status == 1 else []


def commit_tree(repo: Path, tree: str, parents: list[str], message: str) -> str:
    """A commit of `tree` on `parents`, by the repository's configured user."""
    args = [arg for parent in parents for arg in ("-p", parent)]
    return git.run_git(repo, "commit-tree", tree, *args, "-m", message).strip()


def is_ancestor(repo: Path, older: str, newer: str) -> bool:
    status, _, err = git.try_git(repo, "merge-base", "--is-ancestor", older, newer)
    if status not in (0, 1):
        raise ExternalError(f"git merge-base failed: {git.reason(err)}")
    return status == 0


def subjects(repo: Path, base: str, tip: str) -> list[str]:
    """The subjects of the commits `tip` has that `base` lacks, oldest first."""
    out = git.run_git(repo, "log", "--reverse", "--format=%s", f"{base}..{tip}", "--")
    return [line for line in out.splitlines() if line.strip()]


def changed_lines(repo: Path, base: str, tip: str) -> int:
    """Lines added and deleted by `tip` since it left `base` (the size of a change)."""
    status, out, _ = git.try_git(repo, "diff", "--shortstat", f"{base}...{tip}", "--")
    return sum(int(n) for n in _SHORTSTAT.findall(out)) if status == 0 else 0


def tracked_changes(worktree: Path) -> list[str]:
    """Modified and staged tracked files (untracked ones are no one's loss in a merge)."""
    out = git.run_git(worktree, "status", "--porcelain=v1", "-z", "--untracked-files=no")
    files, entries = [], iter(out.split("\0"))
    for entry in entries:
        if len(entry) >= 4:
            files.append(entry[3:])
            if entry[0] in "RC":  # a rename or copy is followed by its original path
                next(entries, None)
    return files


def checkouts(repo: Path, branch: str) -> list[Path]:
    """Every worktree (the main one included) that has `branch` checked out."""
    return [w.path for w in git.list_worktrees(repo) if w.branch == branch and not w.bare and not w.prunable]


@contextmanager
def scratch_worktree(repo: Path, folder: Path, commit: str) -> Iterator[Path]:
    """A detached worktree at `commit`, removed afterwards whatever happens."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        git.run_git(repo, "worktree", "add", "--detach", str(folder), commit)
        yield folder
    finally:
        with suppress(OrchestratorError):
            git.try_git(repo, "worktree", "remove", "--force", "--force", str(folder))
        shutil.rmtree(folder, ignore_errors=True)
        with suppress(OrchestratorError):
            git.try_git(repo, "worktree", "prune")


def rebase(folder: Path, onto: str) -> tuple[str | None, list[str]]:
    """Replay the commits checked out (detached) in `folder` onto `onto`: (the new tip, []),
    or (None, the files in conflict) with the rebase undone."""
    status, _, err = git.try_git(folder, "rebase", "--no-autosquash", onto)
    if status == 0:
        return git.run_git(folder, "rev-parse", "HEAD").strip(), []
    conflicts = git.try_git(folder, "diff", "--name-only", "-z", "--diff-filter=U")[1].split("\0")
    git.try_git(folder, "rebase", "--abort")
    if not any(conflicts):
        raise ExternalError(f"git rebase failed: {git.reason(err)}")
    return None, sorted(name for name in conflicts if name)


def fast_forward(checkout: Path, branch: str, new: str, old: str) -> None:
    """Move `branch`, checked out clean in `checkout`, from `old` to `new` with its files;
    Conflict saying what to do when git refuses (nothing changed then)."""
    head = git.resolve_commit(checkout, "HEAD")
    if head != old:
        raise Conflict(f"{branch} moved while merging (it is at {str(head)[:8]} in {checkout}); merge again")
    status, _, err = git.try_git(checkout, "merge", "--ff-only", "--quiet", new)
    if status == 0:
        return
    overwritten = _untracked_in_the_way(err)
    if overwritten:
        raise Conflict(
            f"{branch} is checked out at {checkout}, where untracked files would be overwritten by the merge "
            f"({', '.join(overwritten[:5])}); move them away and merge again"
        )
    raise Conflict(f"could not fast-forward {branch} at {checkout}: {git.reason(err)}; nothing was changed")


def swap_ref(repo: Path, branch: str, new: str, old: str, message: str) -> None:
    """Point refs/heads/`branch` at `new` if it is still at `old`."""
    status, _, err = git.try_git(repo, "update-ref", "-m", message, f"refs/heads/{branch}", new, old)
    if status != 0:
        now = git.resolve_commit(repo, f"refs/heads/{branch}")
        if now != old:
            raise Conflict(f"{branch} moved while merging (it is at {str(now)[:8]}); merge again")
        raise ExternalError(f"git update-ref failed: {git.reason(err)}")


def _untracked_in_the_way(stderr: str) -> list[str]:
    if "untracked working tree files would be" not in stderr:
        return []
    lines = stderr.split("overwritten by merge:", 1)[-1].splitlines()
    return [line.strip() for line in lines if line.startswith(("\t", "    ")) and line.strip()]


def named(files: list[str], most: int = 5) -> str:
    """`a.py, b.py and 4 more`: files in a one-line message."""
    shown = ", ".join(files[:most])
    return shown + (f" and {len(files) - most} more" if len(files) > most else "")
