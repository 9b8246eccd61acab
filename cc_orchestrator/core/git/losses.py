"""What removing a worktree would lose: the promise is that nothing the user made goes without --force.

Work is every change git would not keep: modified, staged and untracked files; ignored files,
unless they are caches or build outputs (`DISPOSABLE`, never looked into); and commits that no
branch, tag or remote would hold once the worktree (and the branch we made for it) is gone,
a detached HEAD's commits included. Ignored files we cannot tell from hand-made ones (a `notes/`
folder, a local database) count as work: a wrong refusal costs a `--force`, a wrong removal
costs the work. The `protect` globs name files that are work even where they look disposable:
a glob without a "/" (`*.pem`) is matched against each path git lists, a cache folder's name
included, and one with a "/" (`dist/*.pem`, fnmatch's `*` crosses folders) is also looked for
inside the cache folders it could name (the only time one is looked into: a package's test keys
in `node_modules` must not block every removal). One or two git calls, however many files a
`node_modules` holds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase, translate
from pathlib import Path

from cc_orchestrator.core.git import repository as git
from cc_orchestrator.core.models import Worktree
from cc_orchestrator.errors import ExternalError

# Caches and build outputs, matched against every component of a path: they never block a removal.
DISPOSABLE = (
    *("node_modules", "bower_components", "vendor", "__pycache__", ".venv", "venv", "*.egg-info", ".eggs"),
    *(".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".tox", ".nox", "coverage", "htmlcov"),
    *("target", "dist", "build", "out", ".build", ".gradle", ".next", ".nuxt", ".svelte-kit", ".angular"),
    *(".turbo", ".parcel-cache", ".cache", ".terraform", ".dart_tool", ".stack-work", "DerivedData", ".idea"),
    *("*.pyc", "*.pyo", "*.o", "*.obj", "*.so", "*.a", "*.class", "*.log", "*.tsbuildinfo", ".eslintcache"),
    *(".coverage", ".coverage.*", ".DS_Store", "Thumbs.db", "*.swp", "*.swo", "*~"),
)
_DISPOSABLE_NAMES = frozenset(glob for glob in DISPOSABLE if not set(glob) & set("*?["))
_DISPOSABLE_GLOBS = re.compile("|".join(translate(glob) for glob in DISPOSABLE if glob not in _DISPOSABLE_NAMES))
# Made by us, not the user: the Claude Code hooks merged into each worktree (agents/claude_hooks.py).
OURS = frozenset({".claude/settings.local.json"})
_SHOWN = 5  # items of each kind named in a one-line refusal


@dataclass(frozen=True)
class Losses:
    """What removing `worktree` would delete that exists nowhere else."""

    worktree: Worktree
    files: list[str]  # modified, staged and untracked
    ignored: list[str]  # ignored, and neither a cache nor a build output (a folder ends in "/")
    commits: list[str]  # "<short sha> <subject>", on no branch, tag or remote that stays
    detached: bool = False  # HEAD is on no branch
    on_branch: bool = False  # some commits are on the branch removal deletes (--keep-branch keeps them)

    def __bool__(self) -> bool:
        return bool(self.files or self.ignored or self.commits)

    def message(self) -> str:
        """The refusal: everything that would be lost, in one line, and how to go on."""
        wt = self.worktree
        lost = []
        if self.files:
            lost.append(f"{_count(len(self.files), 'uncommitted file')} ({_some(self.files)})")
        if self.ignored:
            lost.append(f"{_count(len(self.ignored), 'ignored file')} ({_some(self.ignored)})")
        if self.commits:
            lost.append(
                f"{_count(len(self.commits), 'commit')} on no other branch, tag or remote ({_some(self.commits)})"
            )
        return f"worktree {wt.id} ({wt.branch}) has {_and(lost)}; {self._advice()}"

    def _advice(self) -> str:
        them = "it" if len(self.files) + len(self.ignored) + len(self.commits) == 1 else "them"
        steps = []
        if self.files:
            steps.append(f"commit or push {them}" if self.commits else f"commit {them}")
        elif self.commits:
            steps.append(f"put {them} on a branch" if self.detached else f"push or merge {them}")
        if self.ignored:
            steps.append("copy the ignored files elsewhere" if self.files or self.commits else f"copy {them} elsewhere")
        if self.on_branch:
            steps.append("pass --keep-branch to keep the branch")
        return ", ".join(steps) + f", or pass --force to delete {them}"


def losses_of(
    worktree: Worktree, delete_branch: bool, protect: Sequence[str] = (), merged_tip: str | None = None
) -> Losses:
    """What removing `worktree` (and its branch, with `delete_branch`) would lose. `merged_tip`:
    the branch's tip when it was merged into its base; its commits are home, even when the
    base holds them only as a squash or a rebase (commits made after it are not)."""
    path, repo = Path(worktree.path), Path(worktree.repo)
    exists = path.is_dir()
    files, ignored, detached = worktree_files(path, protect) if exists else ([], [], False)
    branch = worktree.branch if delete_branch else None
    home = [merged_tip] if merged_tip else []
    commits = lost_commits(repo, path if exists else None, branch, worktree.base_branch, home) if repo.is_dir() else []
    on_branch = False
    if commits and branch:  # a lost commit on the branch means its tip is lost too
        tip = git.resolve_commit(repo, f"refs/heads/{branch}") or "-"
        on_branch = any(tip.startswith(line.partition(" ")[0]) for line in commits)
    return Losses(worktree, files, ignored, commits, detached, on_branch)


def worktree_files(worktree: Path, protect: Sequence[str] = ()) -> tuple[list[str], list[str], bool]:
    """(uncommitted files, ignored files that are work, whether HEAD is detached).

    One `git status` lists an ignored folder, and an untracked one, without looking into it;
    only untracked folders that are not caches are then listed file by file (a second call)."""
    status = ("status", "--porcelain=v1", "-z", "--ignored=matching")
    out = git.run_git(worktree, *status, "--branch", "--untracked-files=normal")
    files, ignored, folders, detached = [], [], [], False
    guarded: dict[str, bool] = {}  # whether a protect glob names a cache folder: asked once per folder

    def is_work(name: str) -> bool:
        if name.rstrip("/") in OURS:
            return False
        cache = disposable_part(name)
        if cache is not None and cache not in guarded:
            guarded[cache] = protected(cache, protect)
        return cache is None or guarded[cache] or protected(name, protect)

    for code, name in _entries(out):
        if code == "##":
            detached = name.startswith("HEAD (no branch)")
        elif code not in ("??", "!!"):
            files.append(name)  # a change to a tracked file is work wherever it is
        elif is_work(name):
            (ignored if code == "!!" else folders if name.endswith("/") else files).append(name)
        elif name.endswith("/"):  # a cache folder: only what a path glob names inside it
            (ignored if code == "!!" else files).extend(protected_inside(worktree, name, protect))
    if folders:
        out = git.run_git(worktree, *status, "--untracked-files=all", "--", *folders)
        files += [name for code, name in _entries(out) if code == "??" and is_work(name)]
    return files, ignored, detached


def _entries(out: str):
    """(status code, path) of each entry of `git status --porcelain=v1 -z`."""
    entries = iter(out.split("\0"))
    for entry in entries:
        if entry.startswith("## "):
            yield "##", entry[3:]
        elif len(entry) >= 4:
            if entry[0] in "RC":  # a rename or copy is followed by its original path
                next(entries, None)
            yield entry[:2], entry[3:]


def protected(name: str, protect: Sequence[str]) -> bool:
    """Whether a `protect` glob names this path (by its name or its path in the worktree)."""
    path = name.rstrip("/")
    return any(fnmatchcase(path.rpartition("/")[2], glob) or fnmatchcase(path, glob) for glob in protect)


def protected_inside(worktree: Path, folder: str, protect: Sequence[str]) -> list[str]:
    """The files inside `folder` (a cache) that a `protect` glob with a "/" names."""
    globs = [glob for glob in protect if "/" in glob.rstrip("/") and _could_be_under(glob, folder)]
    found: list[str] = []
    if globs:
        for root, _, names in os.walk(worktree / folder):
            inside = Path(root).relative_to(worktree).as_posix()
            found += [f"{inside}/{n}" for n in names if any(fnmatchcase(f"{inside}/{n}", g) for g in globs)]
    return sorted(found)


def _could_be_under(glob: str, folder: str) -> bool:
    """Whether `glob` could match a path inside `folder`, by the glob's fixed start."""
    fixed, folder = re.split(r"[*?\[]", glob, maxsplit=1)[0], folder.rstrip("/") + "/"
    return fixed.startswith(folder) or folder.startswith(fixed)


def disposable_part(name: str) -> str | None:
    """The path up to its first component that is a cache or build output; None if it has none."""
    parts = name.rstrip("/").split("/")
    for n, part in enumerate(parts):
        if part in _DISPOSABLE_NAMES or _DISPOSABLE_GLOBS.match(part):
            return "/".join(parts[: n + 1])
    return None


def lost_commits(
    repo: Path, worktree: Path | None, deleted_branch: str | None, base: str | None, home: Sequence[str] = ()
) -> list[str]:
    """Commits reachable from the worktree's HEAD (when `worktree`) or from `deleted_branch`
    that no ref would hold afterwards: every ref but that branch and the worktree's own
    (refs/worktree, refs/bisect, refs/rewritten go with it), and `base`; nor `home` (commits
    whose work is in the base already: a merged branch's tip)."""
    tips = ["HEAD"] if worktree is not None else []
    if deleted_branch and git.branch_exists(repo, deleted_branch):
        tips.append(f"refs/heads/{deleted_branch}")
    if not tips:
        return []
    keep = [f"--exclude=refs/heads/{deleted_branch}"] if deleted_branch else []
    keep += ["--exclude=refs/worktree/*", "--exclude=refs/bisect/*", "--exclude=refs/rewritten/*", "--glob=refs/*"]
    base_sha = git.resolve_commit(repo, base) if base and base != deleted_branch else None
    keep += [sha for sha in (base_sha, *(git.resolve_commit(repo, h) for h in home)) if sha]
    cwd = worktree if worktree is not None else repo
    status, out, err = git.try_git(cwd, "log", "--format=%h %s", *tips, "--not", *keep, "--")
    if status != 0 and worktree is not None and git.resolve_commit(worktree, "HEAD") is None:
        return lost_commits(repo, None, deleted_branch, base, home)  # an unborn HEAD holds nothing
    if status != 0:
        raise ExternalError(f"git log failed: {git.reason(err)}")
    return [line for line in out.splitlines() if line.strip()]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _some(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
