"""Git worktrees for agents: create, list, inspect, remove, prune and adopt them.

Each worktree lives in `worktrees_dir/<repo name>-<hash>/<branch>`, outside the repository, and
has a row in the worktrees table. git changes first and the database follows, so a crash in
between leaves a row without a folder (`prune`) or a worktree without a row (`adopt_unknown`),
never lost work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import secrets
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from cc_orchestrator.core.events import EventLog, aware, utcnow
from cc_orchestrator.core.git import repository as git
from cc_orchestrator.core.git.found import repos_of, strays, under_root, worktree_top
from cc_orchestrator.core.git.losses import Losses, losses_of
from cc_orchestrator.core.models import EventKind, InstanceStatus, Level, Worktree, WorktreeReport, WorktreeStatus
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow
from cc_orchestrator.errors import (
    Conflict,
    ExternalError,
    InvalidInput,
    NotFound,
    OrchestratorError,
)

_ENDED = (InstanceStatus.ERROR.value, InstanceStatus.STOPPED.value)
_HEX = frozenset("0123456789abcdef")
_ROW_FIELDS = ("id", "path", "branch", "base_branch", "instance_id", "last_commit", "repo")


def _to_worktree(row: WorktreeRow, **changes) -> Worktree:
    fields = {name: getattr(row, name) for name in _ROW_FIELDS}
    status = WorktreeStatus(row.status)
    merged = aware(row.merged_at) if row.merged_at else None
    worktree = Worktree(**fields, created_at=aware(row.created_at), status=status, merged_at=merged)
    return dataclasses.replace(worktree, **changes)


def _owner_status(instance_id: str | None) -> WorktreeStatus:
    return WorktreeStatus.ACTIVE if instance_id else WorktreeStatus.IDLE


class WorktreeService:
    """One git worktree and branch per agent, recorded in the store, with safe removal."""

    def __init__(
        self,
        store: Store,
        events: EventLog,
        worktrees_dir: Path,
        stale_after_days: int = 7,
        protect: Sequence[str] = (),
    ) -> None:
        self.store = store
        self.events = events
        self.worktrees_dir = Path(worktrees_dir).expanduser()
        self.stale_after_days = stale_after_days
        self.protect = tuple(protect)  # ignored files that are work even where they look disposable

    def path_for(self, repo: Path, branch: str) -> Path:
        """Where the worktree for `branch` of `repo` lives; always inside worktrees_dir."""
        repo, root = Path(repo), self.worktrees_dir.resolve()
        if root.is_relative_to(repo.resolve()):
            raise InvalidInput(f"worktree folder {root} is inside the repository {repo}")
        digest = hashlib.sha1(str(repo).encode()).hexdigest()[:8]
        folder = (root / f"{repo.name}-{digest}").resolve()
        path = (folder / branch.replace("/", "--")).resolve()
        if path.parent != folder or not path.is_relative_to(root):
            raise InvalidInput(f"invalid branch name {branch!r}: its folder would leave {root}")
        return path

    def create(self, repo: Path, branch: str, base: str | None = None, instance_id: str | None = None) -> Worktree:
        """A new branch from `base` (default: the current branch) in a new worktree folder."""
        repo = git.find_repo(repo)
        branch = git.validate_branch_name(repo, branch)
        if git.branch_exists(repo, branch):
            raise Conflict(f"branch {branch!r} already exists in {repo}")
        path = self.path_for(repo, branch)
        taken = self.store.read(lambda: WorktreeRow.get_or_none(WorktreeRow.path == str(path)))
        if taken is not None or path.exists():
            owner = f" (worktree {taken.id}; remove or prune it first)" if taken else ""
            raise Conflict(f"folder {path} is already in use{owner}")
        base = base or git.current_branch(repo)
        base_sha = git.resolve_commit(repo, base)
        if base_sha is None:
            raise InvalidInput(f"unknown base branch {base!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        added = False
        try:
            # --no-track: a branch started from origin/x must not push to origin/x.
            git.run_git(repo, "worktree", "add", "--no-track", "-b", branch, str(path), base)
            added = True
            summary = git.head_commit(path)[0]
            return self.store.write(lambda: self._insert(repo, path, branch, base, summary, instance_id, True))
        except BaseException:
            self._discard(repo, path if added else None, branch, base_sha)
            raise

    def get(self, ref: str) -> Worktree:
        """By id, unique id prefix (2+ characters) or folder path."""
        return _to_worktree(self.store.read(lambda: self._find(ref)))

    def list(self, repo: Path | str | None = None, inspect: bool = True) -> list[Worktree]:
        """Worktrees oldest first; `inspect` asks git about changes, commits and staleness."""
        rows = self.store.read(lambda: list(self._rows(repo)))
        if not inspect:  # no git calls: only whether each folder is still there
            return [self._checked(row, Path(row.path).is_dir()) for row in rows]
        found = [self._inspected(row) for row in rows]
        fresh = {w.id: w.last_commit for w, r in zip(found, rows, strict=True) if w.last_commit != r.last_commit}
        for wid, text in fresh.items():
            self.store.write(
                lambda wid=wid, text=text: WorktreeRow.update(last_commit=text).where(WorktreeRow.id == wid).execute()
            )
        return found

    def diff(self, ref: str, max_bytes: int = 200_000) -> str:
        """Everything the worktree changed since it left its base: commits and working tree,
        against the merge-base, cut at `max_bytes`."""
        row = self.store.read(lambda: self._find(ref))
        if not Path(row.path).is_dir():
            raise NotFound(f"worktree {row.id} has no folder at {row.path}")
        status, base, _ = git.try_git(row.path, "merge-base", "HEAD", row.base_branch)
        status, text, err = git.try_git(row.path, "diff", "--no-color", base.strip() if status == 0 else "HEAD")
        if status != 0:
            raise ExternalError(f"git diff failed: {git.reason(err)}")
        if len(text.encode()) > max_bytes:
            text = text.encode()[:max_bytes].decode(errors="ignore") + "\n... (diff cut at the size limit)\n"
        return text

    def inspect(self, ref: str) -> WorktreeReport:
        """Uncommitted files, unpushed commits, and ahead/behind counts against the base."""
        row = self.store.read(lambda: self._find(ref))
        worktree, repo = self._inspected(row), Path(row.repo)
        files = git.uncommitted_files(Path(row.path)) if worktree.exists else []
        if not repo.is_dir():
            return WorktreeReport(worktree, files, [], 0, 0)
        unpushed = git.unpushed_commits(repo, row.branch, row.base_branch)
        ahead, behind = git.ahead_behind(repo, row.branch, row.base_branch)
        return WorktreeReport(worktree, files, unpushed, ahead, behind)

    def losses(self, ref: str, keep_branch: bool = False) -> Losses:
        """What removing the worktree would delete that exists nowhere else (see losses.py)."""
        return self._losses(self.store.read(lambda: self._find(ref)), keep_branch)

    def check_removable(
        self, ref: str, force: bool = False, keep_branch: bool = False, ignore_instance: str | None = None
    ) -> WorktreeRow:
        """Raise Conflict if removing would hit a live instance (other than `ignore_instance`,
        which the caller is about to stop) or, without force, lose work; changes nothing."""
        row = self.store.read(lambda: self._find(ref))
        user = self.store.read(lambda: self._live_instance(row))
        if user is not None and user != ignore_instance:
            raise Conflict(f"worktree {row.id} is used by running instance {user}; stop it first")
        self._refuse_losses(row, force, keep_branch)
        return row

    def _refuse_losses(self, row: WorktreeRow, force: bool, keep_branch: bool) -> None:
        if not force and (losses := self._losses(row, keep_branch)):
            raise Conflict(losses.message())

    def remove(self, ref: str, force: bool = False, keep_branch: bool = False) -> Worktree:
        """Delete the folder, the branch we made (unless keep_branch) and the row.

        Refuses while a live instance uses it and, without force, while removal would lose
        anything `losses` lists: uncommitted files, ignored files that are not caches or build
        outputs, commits no other branch, tag or remote holds.
        """
        row = self.check_removable(ref, force=force, keep_branch=keep_branch)
        path, repo = Path(row.path), Path(row.repo)
        delete_branch = row.created_branch and not keep_branch
        if path.exists():
            git.remove_worktree(repo, path, force, recheck=lambda: self._refuse_losses(row, force, keep_branch))
        else:  # deleted by hand: only git's record of it is left
            git.run_git(repo, "worktree", "prune")
        kept = None
        if delete_branch and git.branch_exists(repo, row.branch):
            status, _, err = git.try_git(repo, "branch", "-D", row.branch)
            kept = git.reason(err) if status != 0 else None  # e.g. checked out elsewhere
        message = f"removed worktree {row.id} ({row.branch})"
        message += f"; kept branch {row.branch}: {kept}" if kept else ""
        data = {"path": row.path, "branch": row.branch, "repo": row.repo}
        data["branch_deleted"] = delete_branch and kept is None
        level = Level.WARNING if kept else Level.INFO

        def forget() -> None:
            WorktreeRow.delete().where(WorktreeRow.id == row.id).execute()
            self.events.add(EventKind.WORKTREE_UPDATE, message, level=level, worktree_id=row.id, data=data)

        self.store.write(forget)
        return _to_worktree(row, exists=path.exists())

    def prune(self, repo: Path | str | None = None) -> list[Worktree]:
        """Forget worktrees whose folder is gone. Never deletes a folder or a branch."""
        rows = self.store.read(lambda: list(self._rows(repo)))
        gone = [row for row in rows if not Path(row.path).exists()]
        for repo_path in sorted({row.repo for row in gone}):
            if Path(repo_path).is_dir():
                git.run_git(repo_path, "worktree", "prune")

        def forget() -> list[Worktree]:
            pruned = []
            for row in gone:
                if Path(row.path).exists() or not row.delete_instance():
                    continue
                message = f"pruned worktree {row.id} ({row.branch}): folder {row.path} is gone"
                self.events.add(EventKind.WORKTREE_UPDATE, message, worktree_id=row.id)
                pruned.append(_to_worktree(row, status=WorktreeStatus.STALE, exists=False))
            return pruned

        return self.store.write(forget) if gone else []

    def adopt_unknown(self, repo: Path, also: Iterable[Path] = ()) -> list[Worktree]:
        """Record git worktrees of `repo` that have no row: those under worktrees_dir (a crash
        mid-create, a lost database) and those in `also` (folders our sessions work in).

        Their branch counts as not ours (created_branch False), so removal never deletes it;
        the base is the one the branch's reflog says it was made from, else a guess: the
        repository's current branch.
        """
        repo = git.find_repo(repo)
        known = set(self.store.read(lambda: [r.path for r in WorktreeRow.select(WorktreeRow.path)]))
        found = strays(repo, self.worktrees_dir, also, known)
        if not found:
            return []
        return self.store.write(
            lambda: [
                self._insert(repo, path, branch, base, summary, None, False)
                for path, branch, base, summary in found
                if WorktreeRow.get_or_none(WorktreeRow.path == str(path)) is None
            ]
        )

    def adopt_found(self, folders: Iterable[Path] = ()) -> list[Worktree]:
        """Record every linked worktree under worktrees_dir, and those holding `folders`, that
        has no row, whatever its repository: after the database was lost, no row names them."""
        known = set(self.store.read(lambda: [r.path for r in WorktreeRow.select(WorktreeRow.path)]))
        tops = {top for folder in folders if (top := worktree_top(Path(folder))) is not None}
        unknown = [w for w in dict.fromkeys([*under_root(self.worktrees_dir), *sorted(tops)]) if str(w) not in known]
        adopted: list[Worktree] = []
        for repo, worktrees in repos_of(unknown).items():
            adopted += self.adopt_unknown(repo, also=[w for w in worktrees if w in tops])
        return adopted

    @staticmethod
    def _rows(repo: Path | str | None):
        query = WorktreeRow.select()
        if repo is not None:
            query = query.where(WorktreeRow.repo == str(git.absolute(repo, "repository path")))
        return query.order_by(WorktreeRow.created_at, WorktreeRow.id)

    def _find(self, ref: str) -> WorktreeRow:
        ref = str(ref)
        row = WorktreeRow.get_or_none(WorktreeRow.id == ref)
        if row is None and len(ref) >= 2 and set(ref) <= _HEX:
            ids = sorted(r.id for r in WorktreeRow.select(WorktreeRow.id) if r.id.startswith(ref))
            if len(ids) > 1:
                raise InvalidInput(f"worktree id {ref!r} is ambiguous: it matches {', '.join(ids)}")
            row = WorktreeRow.get_by_id(ids[0]) if ids else None
        if row is None and ref:
            row = WorktreeRow.get_or_none(WorktreeRow.path == str(Path(ref).expanduser().resolve()))
        if row is None:
            raise NotFound(f"no worktree {ref!r}")
        return row

    def _insert(self, repo, path, branch, base, summary, instance_id, created_branch) -> Worktree:
        wid = secrets.token_hex(3)
        while WorktreeRow.get_or_none(WorktreeRow.id == wid) is not None:
            wid = secrets.token_hex(3)
        data = {"repo": str(repo), "path": str(path), "branch": branch, "base_branch": base}
        row = WorktreeRow.create(
            **data,
            id=wid,
            created_branch=created_branch,
            instance_id=instance_id,
            last_commit=summary,
            status=_owner_status(instance_id).value,
            created_at=utcnow(),
        )
        verb = "created" if created_branch else "adopted"
        message = f"{verb} worktree {wid} ({branch}) at {path}"
        self.events.add(EventKind.WORKTREE_UPDATE, message, worktree_id=wid, instance_id=instance_id, data=data)
        return _to_worktree(row)

    def _discard(self, repo: Path, path: Path | None, branch: str, base_sha: str) -> None:
        """Undo a half-made worktree. It is brand new, so there is nothing to lose."""
        with contextlib.suppress(OrchestratorError):
            if path is not None:
                git.try_git(repo, "worktree", "remove", "--force", str(path))
            if git.resolve_commit(repo, f"refs/heads/{branch}") == base_sha:
                git.try_git(repo, "branch", "-D", branch)  # git refuses if checked out anywhere

    @staticmethod
    def _checked(row: WorktreeRow, exists: bool, **changes) -> Worktree:
        if not exists:
            return _to_worktree(row, status=WorktreeStatus.STALE, exists=False)
        if row.status == WorktreeStatus.STALE:  # the folder is back
            changes.setdefault("status", _owner_status(row.instance_id))
        return _to_worktree(row, **changes)

    def _inspected(self, row: WorktreeRow) -> Worktree:
        path = Path(row.path)
        if not path.is_dir():
            return self._checked(row, False)
        try:
            dirty = bool(git.uncommitted_files(path, every_untracked_file=False))
            summary, committed_at = git.head_commit(path)
        except ExternalError:  # the folder is there but git no longer knows it as a worktree
            return self._checked(row, True)
        changes = {"dirty": dirty, "last_commit": summary or row.last_commit}
        cutoff = time.time() - self.stale_after_days * 86400
        if row.instance_id is None and committed_at < cutoff and path.stat().st_mtime < cutoff:
            changes["status"] = WorktreeStatus.STALE
        return self._checked(row, True, **changes)

    def _losses(self, row: WorktreeRow, keep_branch: bool) -> Losses:
        # a kept branch keeps its commits; a branch we did not make is never deleted
        merged = row.merged_tip if row.merged_at else None  # a merged branch's commits are home
        return losses_of(_to_worktree(row), row.created_branch and not keep_branch, self.protect, merged)

    def _live_instance(self, row: WorktreeRow) -> str | None:
        users = InstanceRow.select(InstanceRow.id).where(
            ((InstanceRow.worktree_id == row.id) | (InstanceRow.worktree_path == row.path))
            & InstanceRow.status.not_in(_ENDED)
        )
        first = users.first()
        return first.id if first else None


def stored_worktrees(store: Store, repo: Path | str | None = None) -> list[Worktree]:
    """Worktrees as recorded, with whether each folder exists: no git, no settings."""
    rows = store.read(lambda: list(WorktreeService._rows(repo)))
    return [WorktreeService._checked(row, Path(row.path).is_dir()) for row in rows]
