"""Where each worktree stands, for a face that stays open (the TUI's worktree map): its changed
files, and how far its branch is ahead of and behind its base. One git process a worktree, at
most two, where the full report (`WorktreeService.inspect`, unpushed commits too) runs nine:

- the tips of a repository's branches and remote branches come from one `git for-each-ref`,
  shared by every worktree of that repository for TIPS_SECONDS;
- a worktree's changed files and its HEAD from one `git status --porcelain=v2 --branch`, so a
  commit made there a moment ago counts at once;
- ahead/behind from one `git rev-list --left-right --count` only for a pair of tips not counted
  before (the same tip on both sides: 0 and 0, no process).

git runs as a plain process here, not through GitPython, which an idle dashboard then never
imports (about 3 MB of memory and 70 ms).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cc_orchestrator.core.git import repository
from cc_orchestrator.core.models import Worktree
from cc_orchestrator.errors import ExternalError, MissingDependency

TIPS_SECONDS = 30.0
TIMEOUT = 60.0
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Standing:
    """A worktree's changed files (staged, unstaged, untracked) and its branch against its base."""

    uncommitted_files: tuple[str, ...]
    ahead: int
    behind: int


class Standings:
    """Standings of worktrees, remembering what git said that cannot have changed since."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._tips: dict[str, tuple[float, dict[str, str]]] = {}  # repo -> (when read, ref -> commit)
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}  # (tip, base tip) -> (ahead, behind)

    def of(self, worktree: Worktree, fresh: bool = False) -> Standing | None:
        """None when its folder is gone or git no longer knows it; `fresh` reads the tips again."""
        path = Path(worktree.path)
        if not path.is_dir():
            return None
        status, out, _ = git(path, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all")
        if status != 0:
            return None
        head, branch, files = parse_status(out)
        repo = Path(worktree.repo)
        if not repo.is_dir():
            return Standing(files, 0, 0)
        tips = self._tips_of(repo, fresh)
        tip = head if branch == worktree.branch else tips.get(f"refs/heads/{worktree.branch}")
        base = base_tip(tips, worktree.base_branch) or _resolve(repo, worktree.base_branch)
        return Standing(files, *self._count(repo, tip, base))

    def _tips_of(self, repo: Path, fresh: bool) -> dict[str, str]:
        known = self._tips.get(str(repo))
        if known is not None and not fresh and self.clock() - known[0] < TIPS_SECONDS:
            return known[1]
        status, out, _ = git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/remotes")
        tips = {}
        for line in out.splitlines() if status == 0 else []:
            commit, _, ref = line.partition(" ")
            tips[ref] = commit
        self._tips[str(repo)] = (self.clock(), tips)
        return tips

    def _count(self, repo: Path, tip: str | None, base: str | None) -> tuple[int, int]:
        if not tip or not base or tip == base:
            return 0, 0
        if (tip, base) not in self._counts:
            status, out, _ = git(repo, "rev-list", "--left-right", "--count", f"{tip}...{base}", "--")
            ahead, _, behind = out.strip().partition("\t")
            if status != 0 or not ahead.isdigit() or not behind.isdigit():
                return 0, 0
            self._counts[(tip, base)] = int(ahead), int(behind)
        return self._counts[(tip, base)]


def parse_status(out: str) -> tuple[str | None, str | None, tuple[str, ...]]:
    """(HEAD's commit, the branch checked out, changed files) from `git status --porcelain=v2
    --branch -z`: headers, then one entry per file (a rename's entry is followed by its origin)."""
    head = branch = None
    files: list[str] = []
    entries = iter(out.split("\0"))
    for entry in entries:
        if entry.startswith("# branch.oid "):
            head = entry.removeprefix("# branch.oid ")
            head = head if set(head) <= _HEX else None  # "(initial)": no commit yet
        elif entry.startswith("# branch.head "):
            branch = entry.removeprefix("# branch.head ")
            branch = None if branch == "(detached)" else branch
        elif entry[:2] in ("1 ", "u "):
            files.append(entry.split(" ", 8 if entry[0] == "1" else 10)[-1])
        elif entry[:2] == "2 ":
            files.append(entry.split(" ", 9)[-1])
            next(entries, None)  # the path it was renamed or copied from
        elif entry[:2] == "? ":
            files.append(entry[2:])
    return head, branch, tuple(files)


def base_tip(tips: dict[str, str], name: str) -> str | None:
    """The commit a base branch names, as `git rev-parse` would find it among branches and
    remote branches (a full sha names itself); None: ask git (a tag, `HEAD~2`, ...)."""
    if len(name) == 40 and set(name) <= _HEX:
        return name
    for ref in (f"refs/heads/{name}", f"refs/remotes/{name}", f"refs/remotes/{name}/HEAD"):
        if ref in tips:
            return tips[ref]
    return None


def _resolve(repo: Path, rev: str) -> str | None:
    if not rev or rev.startswith("-"):
        return None
    status, out, _ = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    return out.strip() or None if status == 0 else None


def git(cwd: Path, *args: str) -> tuple[int, str, str]:
    """One git process in `cwd`: (exit status, stdout, stderr), in the environment
    `repository.try_git` uses (no prompts, no optional locks, messages in English)."""
    if not Path(cwd).is_dir():
        raise ExternalError(f"folder {cwd} does not exist")
    env = {**os.environ, **repository._ENV, "LC_ALL": "C", "LANGUAGE": "C"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT
        )
    except FileNotFoundError:
        raise MissingDependency("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise ExternalError(f"git {args[0]} did not answer within {TIMEOUT:.0f} s") from None
    return done.returncode, done.stdout.decode("utf-8", "surrogateescape"), done.stderr.decode("utf-8", "replace")
