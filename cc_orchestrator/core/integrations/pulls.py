"""A task's branch, pushed: what a pull request is opened from.

The branch is the one the task's (latest) instance worked on, pushed from its worktree to
`github_remote` with the user's own git credentials. Nothing is committed for the user: files
left uncommitted are reported, not swept in.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cc_orchestrator.core.git.repository import ahead_behind, reason, try_git, uncommitted_files
from cc_orchestrator.core.models import Task
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow
from cc_orchestrator.errors import Conflict, ExternalError, IntegrationError

_PUSH_TIMEOUT = 120.0
_CREDENTIALS_IN_URL = re.compile(r"(//)[^/@\s]+@")


@dataclass(frozen=True)
class TaskBranch:
    worktree: Path
    branch: str
    base: str
    instance_id: str


def task_branch(store: Store, task: Task) -> TaskBranch:
    """The branch of the newest instance that worked on `task` and still has a worktree."""

    def query() -> list[tuple]:
        rows = (
            InstanceRow.select(InstanceRow.id, InstanceRow.worktree_path, InstanceRow.branch, WorktreeRow.base_branch)
            .join(WorktreeRow, on=(WorktreeRow.id == InstanceRow.worktree_id))
            .where(InstanceRow.task == task.id)
            .order_by(InstanceRow.created_at.desc())
        )
        return list(rows.tuples())

    for instance_id, path, branch, base in store.read(query):
        if path and branch and Path(path).is_dir():
            return TaskBranch(Path(path), branch, base, instance_id)
    raise Conflict(f"task {task.id} has no worktree with a branch to push (no instance worked on it)")


def remote_url(branch: TaskBranch, remote: str) -> str:
    status, out, _ = try_git(branch.worktree, "remote", "get-url", remote)
    if status != 0:
        raise Conflict(f"the repository has no remote {remote!r}; set github_remote to the one to push to")
    return scrub(out.strip())


def push(branch: TaskBranch, remote: str) -> list[str]:
    """Push the branch (setting its upstream); return notes a person should read."""
    remote_url(branch, remote)
    ahead, _ = ahead_behind(branch.worktree, branch.branch, branch.base)
    if ahead == 0:
        raise Conflict(
            f"branch {branch.branch} has no commits beyond {branch.base}; nothing to open a pull request for"
        )
    notes = []
    if left := uncommitted_files(branch.worktree, every_untracked_file=False):
        notes.append(f"{len(left)} uncommitted file(s) in {branch.worktree} are not part of it")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            [
                "git",
                "push",
                "--porcelain",
                "--set-upstream",
                remote,
                f"refs/heads/{branch.branch}:refs/heads/{branch.branch}",
            ],
            cwd=branch.worktree,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_PUSH_TIMEOUT,
            start_new_session=True,  # no terminal: ssh or git fail instead of asking for a password
        )
    except subprocess.TimeoutExpired:
        raise IntegrationError(f"git push to {remote} took longer than {_PUSH_TIMEOUT:g} s; stopped") from None
    except FileNotFoundError:
        raise ExternalError("git is not installed") from None
    if done.returncode != 0:
        raise IntegrationError(f"git push to {remote} failed: {scrub(reason(done.stderr))}")
    return notes


def scrub(text: str) -> str:
    """Drop credentials written into a URL (https://user:token@host/...)."""
    return _CREDENTIALS_IN_URL.sub(r"\1***@", text)
