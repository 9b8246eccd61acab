"""Finding repositories, running git, checking branch names, and asking git about a worktree.

The commands here run through GitPython, imported on first use so CLI start-up never pays for it
(the background reports in `reports.py` run git themselves, with a timeout; `dotgit.py` finds
the usual repositories from their files alone). A failure comes back as one line of git's own
stderr in an ExternalError, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cc_orchestrator.errors import (
    ExternalError,
    InvalidInput,
    MissingDependency,
    NotARepository,
)

_MISSING = "git is not installed or not on PATH"
# No credential prompts, and no optional index locks that could collide with the git commands
# an agent runs in the same worktree while we poll its status.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


def _gitpython():
    try:
        import git
    except ImportError:  # GitPython refuses to import when it cannot find a git executable
        raise MissingDependency(_MISSING) from None
    return git


def reason(stderr: str) -> str:
    """The line of git's stderr that says what went wrong, without its `fatal:` prefix."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return line[len(prefix) :]
    return lines[0] if lines else "unknown error"


def try_git(cwd: Path | str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run git in `cwd` and return (exit status, stdout, stderr) whatever the status; `env`
    adds variables (GIT_INDEX_FILE for a throwaway index)."""
    if not Path(cwd).is_dir():
        # Popen would fail with an OSError that GitPython reports as "git not found".
        raise ExternalError(f"folder {cwd} does not exist")
    if any("\x00" in arg for arg in args):  # Popen would raise "embedded null byte"
        raise InvalidInput("a NUL character cannot be passed to git")
    git = _gitpython()
    command = [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", *args]
    try:
        status, out, err = git.Git(str(cwd)).execute(
            command, with_extended_output=True, with_exceptions=False, env={**_ENV, **(env or {})}
        )
    except git.GitCommandNotFound:
        raise MissingDependency(_MISSING) from None
    return status, out, err


def run_git(cwd: Path | str, *args: str) -> str:
    """Run git in `cwd` and return its stdout; ExternalError with git's reason on failure."""
    status, out, err = try_git(cwd, *args)
    if status != 0:
        command = " ".join(args[:2] if args and args[0] == "worktree" else args[:1])
        raise ExternalError(f"git {command} failed: {reason(err)}")
    return out


def remove_worktree(repo: Path, path: Path, force: bool = False, recheck: Callable[[], None] | None = None) -> None:
    """`git worktree remove`. Without `force`, git refuses untracked files, which the caller
    has already found to be only caches and build outputs: those go too, once `recheck` (which
    raises if work appeared since) has passed. Submodules and locks still make git refuse.
    (GitPython runs git with LC_ALL=C: its messages are in English, whatever the user's locale.)"""
    status, _, err = try_git(repo, "worktree", "remove", *(["--force"] if force else []), str(path))
    if status != 0 and "modified or untracked" in err:
        if recheck is not None:
            recheck()
        status, _, err = try_git(repo, "worktree", "remove", "--force", str(path))
    if status != 0:
        raise ExternalError(f"git worktree remove failed: {reason(err)}")


@dataclass(frozen=True)
class GitWorktree:
    """One entry of `git worktree list --porcelain`."""

    path: Path
    head: str
    branch: str | None  # None when detached
    bare: bool = False
    prunable: bool = False


def list_worktrees(repo: Path) -> list[GitWorktree]:
    """Every worktree git knows for `repo`, the main one first."""
    found: list[GitWorktree] = []
    for block in run_git(repo, "worktree", "list", "--porcelain").split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines() if line)
        if "worktree" not in fields:
            continue
        branch = fields.get("branch")
        found.append(
            GitWorktree(
                path=Path(fields["worktree"]),
                head=fields.get("HEAD", ""),
                branch=branch.removeprefix("refs/heads/") if branch else None,
                bare="bare" in fields,
                prunable="prunable" in fields,
            )
        )
    return found


def repo_of(path: str | Path | None = None, required: bool = True) -> Path | None:
    """The repository to act on: the one holding `path` (a --repo or --in-repo option), else
    the one holding the current folder. Without `path` and not `required`, None outside any
    repository (tasks and instances then carry their own). The usual layouts are read from the
    `.git` files (no process); git is asked about the rest, and for what a refusal says."""
    from cc_orchestrator.core.git.dotgit import main_repo

    start = absolute(path, "repository path") if path is not None else Path.cwd()
    found = main_repo(start, explicit=path is not None)
    if isinstance(found, Path):
        return found
    if found is None and not required:
        return None
    try:
        return find_repo(start)
    except NotARepository:
        if required or path is not None:
            raise
        return None


def absolute(path: str | Path, what: str = "path") -> Path:
    """`path` with ~ expanded and links resolved; InvalidInput when no system call could take it."""
    if "\x00" in str(path):
        raise InvalidInput(f"{what} {_shown(path)!r} contains a NUL character")
    return Path(path).expanduser().resolve()


def _shown(path: str | Path) -> str:
    return str(path) if len(str(path)) <= 200 else str(path)[:197] + "..."


def find_repo(path: str | Path) -> Path:
    """The main repository's top-level folder for any path inside it or in a linked worktree."""
    shown = _shown(path)
    start = absolute(path, "repository path")
    try:
        folder = start if start.is_dir() else start.parent
        found = folder.is_dir()
    except OSError as exc:  # a name too long for the file system, a loop of links
        raise NotARepository(f"{shown} is not inside a git repository: {exc.strerror}") from None
    if not found:
        raise NotARepository(f"{shown} is not inside a git repository")
    status, out, err = try_git(folder, "rev-parse", "--git-common-dir", "--is-bare-repository")
    if status != 0:
        if "not a git repository" in err.lower():
            raise NotARepository(f"{path} is not inside a git repository")
        raise ExternalError(f"git rev-parse failed: {reason(err)}")
    common_text, bare = out.splitlines()[:2]
    if bare.strip() == "true":
        raise NotARepository(f"{path} is inside a bare git repository, which has no working tree")
    common = (folder / common_text.strip()).resolve()
    if common.name == ".git":  # <main>/.git, seen from the main worktree or a linked one
        return common.parent
    # The git folder lives elsewhere (--separate-git-dir, or a bare repository's worktree):
    # git lists the main worktree first.
    main = list_worktrees(folder)[0]
    if main.bare:
        raise NotARepository(f"{path} belongs to a bare git repository, which has no working tree")
    return main.path.resolve()


def current_branch(repo: Path) -> str:
    """The branch HEAD points at; for a detached HEAD, the commit sha."""
    status, out, _ = try_git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    if status == 0 and out.strip():
        return out.strip()
    return run_git(repo, "rev-parse", "HEAD").strip()


MAX_BRANCH = 200  # bytes: the worktree's folder is named after it, and a name holds at most 255


def validate_branch_name(repo: Path, branch: str) -> str:
    """The branch name if git and our worktree folders can both use it; InvalidInput otherwise."""

    def invalid(why: str) -> InvalidInput:
        return InvalidInput(f"invalid branch name {branch!r}: {why}")

    if not branch:
        raise invalid("it is empty")
    if len(branch.encode("utf-8", "surrogateescape")) > MAX_BRANCH:
        raise InvalidInput(f"invalid branch name: {len(branch)} characters, at most {MAX_BRANCH}")
    try:
        branch.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("invalid branch name: it is not valid UTF-8") from None
    if branch.startswith("-"):
        raise invalid("it may not start with '-'")
    if branch.startswith("/"):
        raise invalid("it may not be an absolute path")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in branch):  # git refuses them; NUL breaks Popen
        raise invalid("control characters are not allowed")
    if "\\" in branch:
        raise invalid("backslashes are not allowed")
    if any(ch.isspace() for ch in branch):
        raise invalid("whitespace is not allowed")
    if ".." in branch:
        raise invalid("'..' is not allowed")
    if branch in ("HEAD", "@") or "@{" in branch:  # check-ref-format --branch expands @{-1}
        raise invalid("it is reserved by git")
    status, out, _ = try_git(repo, "check-ref-format", "--branch", branch)
    if status != 0:
        raise invalid("not a valid git branch name (see git check-ref-format)")
    return out.strip() or branch


MAX_REV = 4096  # far past any ref name or revision expression anyone types


def resolve_commit(repo: Path, rev: str) -> str | None:
    """The full sha `rev` names, or None if it names no commit."""
    if not rev or rev.startswith("-") or len(rev) > MAX_REV:
        return None  # no commit has such a name (and no exec could carry it)
    status, out, _ = try_git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    return out.strip() if status == 0 and out.strip() else None


def branch_exists(repo: Path, branch: str) -> bool:
    return resolve_commit(repo, f"refs/heads/{branch}") is not None


def head_commit(cwd: Path) -> tuple[str, int]:
    """("<short sha> <subject>", commit time as a Unix timestamp) of HEAD in `cwd`."""
    status, out, _ = try_git(cwd, "log", "-1", "--format=%h %s%x00%ct")
    if status != 0 or "\0" not in out:
        return "", 0
    summary, _, when = out.strip().partition("\0")
    return summary, int(when or 0)


def uncommitted_files(cwd: Path, every_untracked_file: bool = True) -> list[str]:
    """Changed, staged and untracked files in a worktree (ignored files are not listed)."""
    untracked = "--untracked-files=all" if every_untracked_file else "--untracked-files=normal"
    out = run_git(cwd, "status", "--porcelain=v1", "-z", untracked)
    files, entries = [], iter(out.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        files.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy is followed by its original path
            next(entries, None)
    return files


def unpushed_commits(repo: Path, branch: str, base: str) -> list[str]:
    """Commits on `branch` reachable neither from `base` nor from any remote-tracking branch."""
    if not branch_exists(repo, branch):
        return []
    excluded = [base] if resolve_commit(repo, base) else []
    revs = [f"refs/heads/{branch}", "--not", *excluded, "--remotes", "--"]
    out = run_git(repo, "log", "--format=%h %s", *revs)
    return [line for line in out.splitlines() if line.strip()]


def ahead_behind(repo: Path, branch: str, base: str) -> tuple[int, int]:
    """How many commits `branch` has that `base` lacks, and the other way round."""
    if not branch_exists(repo, branch) or resolve_commit(repo, base) is None:
        return 0, 0
    both = f"refs/heads/{branch}...{base}"
    out = run_git(repo, "rev-list", "--left-right", "--count", both, "--")
    ahead, _, behind = out.strip().partition("\t")
    return int(ahead or 0), int(behind or 0)
