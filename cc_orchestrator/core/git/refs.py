"""A worktree's HEAD, a branch's tip and its index's stamp, read from git's files: no process.

The usual layout: a linked worktree's `.git` file names its git folder (`gitdir: ...`), whose
`HEAD` names a branch (`ref: refs/heads/x`) or a commit and whose `commondir` names the main
`.git`, where branches live as loose files (`refs/heads/x`) or lines of `packed-refs`. Anything
else (the reftable format, GIT_DIR set, a HEAD or ref we cannot read) is None: the caller asks
git, as `dotgit.py` does for the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_HEX = frozenset("0123456789abcdef")
_PER_WORKTREE = ("refs/worktree/", "refs/bisect/", "refs/rewritten/")
_PACKED: dict[str, tuple[tuple[int, int], dict[str, str]]] = {}  # path -> (stat, ref -> commit)


def is_sha(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _HEX


@dataclass(frozen=True)
class Layout:
    gitdir: Path  # the worktree's own git folder: HEAD, index
    common: Path  # where branches and objects live


def layout(worktree: Path | str) -> Layout | None:
    if any(name in os.environ for name in ("GIT_DIR", "GIT_COMMON_DIR", "GIT_INDEX_FILE")):
        return None
    try:
        dot = Path(worktree) / ".git"
        if dot.is_dir():
            gitdir = common = dot
        elif dot.is_file():
            text = dot.read_text().strip()
            if not text.startswith("gitdir:"):
                return None
            gitdir = (Path(worktree) / text.removeprefix("gitdir:").strip()).resolve()
            commondir = gitdir / "commondir"
            common = (gitdir / commondir.read_text().strip()).resolve() if commondir.is_file() else gitdir
        else:
            return None
        if (common / "reftable").exists() or not (gitdir / "HEAD").is_file():
            return None
    except (OSError, UnicodeDecodeError):
        return None
    return Layout(gitdir, common)


def head(where: Layout) -> str | None:
    """The commit the worktree has checked out."""
    text = _read(where.gitdir / "HEAD")
    if text is None:
        return None
    if text.startswith("ref: "):
        return tip(where, text.removeprefix("ref: ").strip())
    return text if is_sha(text) else None


def tip(where: Layout, ref: str, depth: int = 0) -> str | None:
    """The object a full ref name (`refs/heads/main`) points at: its loose file, else packed-refs."""
    if depth > 5 or ".." in ref:
        return None
    text = _read((where.gitdir if ref.startswith(_PER_WORKTREE) else where.common) / ref)
    if text is not None:
        if text.startswith("ref: "):
            return tip(where, text.removeprefix("ref: ").strip(), depth + 1)
        return text if is_sha(text) else None
    return packed(where.common).get(ref)


def resolve(where: Layout, name: str) -> str | None:
    """What `git rev-parse NAME` names, tried in git's order (refs/NAME, tags, branches, remote
    branches, a remote's HEAD); a full sha names itself. None: ask git (`main~2`, a short sha)."""
    if is_sha(name):
        return name
    if not name or name.startswith("-") or any(c in name for c in "~^:@{}[ \\*?"):
        return None
    candidates = [f"refs/{name}", f"refs/tags/{name}", f"refs/heads/{name}", f"refs/remotes/{name}"]
    for ref in [*candidates, f"refs/remotes/{name}/HEAD"]:
        if (found := tip(where, ref)) is not None:
            return found
    return None


def index_stamp(where: Layout) -> str:
    """Moves whenever git writes the worktree's index (add, commit, checkout, stash, a status
    that refreshed it): its modification time and size."""
    try:
        stat = (where.gitdir / "index").stat()
    except OSError:
        return "0:0"
    return f"{stat.st_mtime_ns}:{stat.st_size}"


def packed(common: Path) -> dict[str, str]:
    """packed-refs as ref -> commit, read again only when the file changed."""
    path = common / "packed-refs"
    try:
        stat = path.stat()
    except OSError:
        return {}
    stamp = (stat.st_mtime_ns, stat.st_size)
    known = _PACKED.get(str(path))
    if known is not None and known[0] == stamp:
        return known[1]
    refs: dict[str, str] = {}
    text = _read(path) or ""
    for line in text.splitlines():
        if line.startswith(("#", "^")):
            continue
        commit, _, ref = line.partition(" ")
        if is_sha(commit) and ref:
            refs[ref.strip()] = commit
    _PACKED[str(path)] = (stamp, refs)
    return refs


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
