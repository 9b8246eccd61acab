"""Crash injection (issue 12): SIGKILL a real `cco` at a random moment, reconcile, check the books.

Each test runs one command many times in real CLI subprocesses (private tmux server, temp data
dir, the fake agent), killing it (with its git and tmux children: its process group, as a closed
terminal would) after a delay drawn from a fixed-seed RNG between the interpreter's start-up and
the command's own duration, measured by a first uncut run. After each kill, `reconcile` runs and
then nothing may disagree:
- a live instance has a live session, and a live session of ours has a live instance or is
  reported as an orphan;
- every worktree row is a git worktree, and every git worktree under the data dir has a row;
- no commit made before the kill is lost (some ref holds it, or a worktree's HEAD does), and no
  uncommitted file is gone unless the command was allowed to delete it (`--force`);
- no task is ASSIGNED to an instance that is not live; the database is consistent.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.reconcile import reconcile
from tests.helpers import git, retry_until, tmux
from tests.invariants import check_database

# CRASH_SEED and CRASH_ROUNDS explore further (`CRASH_ROUNDS=200 pytest tests/test_crash_injection.py`).
SEED = os.environ.get("CRASH_SEED", "20261204")
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "20"))


@dataclass
class Work:
    """What a round made that must survive the kill."""

    commits: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    deletable: bool = False  # the command was given --force: files may go (commits on a kept branch may not)


@dataclass
class Round:
    args: list[str]
    work: Work = field(default_factory=Work)


def cco(cli_env, cwd: Path, args: list[str], kill_after: float | None = None) -> bool:
    """Run `cco ARGS`; with `kill_after`, SIGKILL its process group then. True if it was killed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cc_orchestrator", *args],
        cwd=cwd,
        env=cli_env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        proc.wait(timeout=kill_after if kill_after is not None else 120)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def make_work(folder: Path, name: str) -> Work:
    """A commit on the worktree's branch and an uncommitted file beside it."""
    (folder / f"{name}.txt").write_text("committed work\n")
    git(folder, "add", f"{name}.txt")
    git(folder, "-c", "user.email=t@example.com", "-c", "user.name=T", "commit", "-q", "-m", f"work {name}")
    notes = folder / f"{name}-notes.txt"
    notes.write_text("not committed yet\n")
    return Work(commits=[git(folder, "rev-parse", "HEAD")], files=[notes])


def allowed_to_delete(work: Work, options: list[str]) -> Work:
    """--force may delete the files, and the branch with its commits unless --keep-branch."""
    if "--force" in options:
        work.deletable = True
        if "--keep-branch" not in options:
            work.commits = []
    return work


# -- what each round sets up and runs --------------------------------------------------------


def start_round(orch: Orchestrator, repo: Path, rng: random.Random, n: int) -> Round:
    return Round(["instances", "start"])


def assign_round(orch: Orchestrator, repo: Path, rng: random.Random, n: int) -> Round:
    task = orch.tasks.add(f"crash task {n}", description="say hello", repo=str(repo))
    return Round(["tasks", "assign", str(task.id)])


STOPS = (["--remove-worktree"], [], ["--remove-worktree", "--force"])


def stop_round(orch: Orchestrator, repo: Path, rng: random.Random, n: int) -> Round:
    instance = orch.instances.start(repo)
    options = rng.choice(STOPS)
    work = make_work(Path(instance.worktree_path), f"stop{n}")
    return Round(["instances", "stop", instance.id, *options], allowed_to_delete(work, options))


REMOVALS = ([], ["--force", "--keep-branch"], ["--force"], None)  # None: a clean worktree, nothing to lose


def rm_round(orch: Orchestrator, repo: Path, rng: random.Random, n: int) -> Round:
    worktree = orch.worktrees.create(repo, f"crash/rm-{n}")
    options = rng.choice(REMOVALS)
    if options is None:
        return Round(["worktrees", "rm", worktree.id])
    work = make_work(Path(worktree.path), f"rm{n}")
    return Round(["worktrees", "rm", worktree.id, *options], allowed_to_delete(work, options))


# -- the books ---------------------------------------------------------------------------------


def git_worktrees(repo: Path) -> dict[str, str]:
    """Path -> HEAD sha of every worktree git knows for `repo`, the main one included."""
    found, path = {}, None
    for line in git(repo, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = line.removeprefix("worktree ")
        elif line.startswith("HEAD ") and path:
            found[path] = line.removeprefix("HEAD ")
    return found


def reachable(repo: Path, sha: str, heads: dict[str, str]) -> bool:
    if git(repo, "for-each-ref", "--contains", sha, "--format=%(refname)"):
        return True
    for head in heads.values():
        merged = subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", sha, head], capture_output=True)
        if merged.returncode == 0:
            return True
    return False


def books(data_dir: Path, repo: Path, work: Work) -> list[str]:
    """Reconcile, then everything that disagrees (an empty list when the books are right)."""
    problems = []
    orch = Orchestrator(data_dir)
    try:
        report = reconcile(orch)
        orphans = {s.name for s in report.orphan_sessions}
        instances = orch.instances.list(refresh=False)
        panes = orch.tmux.panes()
        owners = {i.tmux_session: i for i in instances}
        for instance in instances:
            pane = panes.get(instance.tmux_session)
            if instance.status.is_live and (pane is None or pane.dead):
                problems.append(f"instance {instance.id} is {instance.status} but its session is not running")
        ours = orch.sessions()
        named = tmux(orch.tmux_socket, "list-sessions", "-F", "#{session_name}", check=False).split()
        problems += [f"session {name} has no marker" for name in set(named) - {s.name for s in ours}]
        for session in ours:
            pane, owner = panes.get(session.name), owners.get(session.name)
            running = pane is not None and not pane.dead
            if running and not (owner and owner.status.is_live) and session.name not in orphans:
                state = owner.status.value if owner else "no row"
                problems.append(f"session {session.name} runs an agent, its instance is {state}, no orphan reported")
        live = {i.id for i in instances if i.status.is_live}
        for task in orch.tasks.list(status="ASSIGNED"):
            if task.assigned_instance not in live:
                problems.append(f"task {task.id} is ASSIGNED to {task.assigned_instance}, which is not live")
            elif not delivered(orch, task.id):
                problems.append(
                    f"task {task.id} stays ASSIGNED: its prompt never reaches instance {task.assigned_instance}"
                )
    finally:
        orch.close()
    heads = git_worktrees(repo)
    con = sqlite3.connect(data_dir / "orchestrator.db")
    rows = {path for (path,) in con.execute("select path from worktrees")}
    con.close()
    problems += [f"worktree row {p} is no git worktree" for p in sorted(rows - set(heads))]
    ours = {p for p in heads if Path(p).is_relative_to(data_dir)}
    problems += [f"git worktree {p} has no row" for p in sorted(ours - rows)]
    problems += [f"commit {sha[:8]} is lost" for sha in work.commits if not reachable(repo, sha, heads)]
    if not work.deletable:
        problems += [f"file {f} is lost" for f in work.files if not f.exists()]
    check_database(data_dir)
    return problems


def delivered(orch: Orchestrator, task_id: int) -> bool:
    """Refreshes (as any face does) deliver a prompt the kill left pending: the task moves on."""

    def moved() -> bool:
        orch.instances.list()
        return orch.tasks.get(task_id).status.value != "ASSIGNED"

    try:
        return retry_until(moved, timeout=30, interval=0.2)
    except AssertionError:
        return False


def tidy(data_dir: Path) -> None:
    """Stop what the round left running, so that slots stay free and the machine stays calm."""
    orch = Orchestrator(data_dir, stop_timeout=1.0)
    try:
        for instance in orch.instances.list(refresh=False):
            if instance.status.is_live:
                orch.instances.stop(instance.id)
        for session in orch.orphans():
            orch.kill_orphan(session.name)
    finally:
        orch.close()


def startup(cli_env, cwd: Path) -> float:
    began = time.monotonic()
    cco(cli_env, cwd, ["--version"])
    return time.monotonic() - began


@pytest.mark.slow
@pytest.mark.parametrize(
    "make_round",
    [start_round, assign_round, stop_round, rm_round],
    ids=["instances-start", "tasks-assign", "instances-stop", "worktrees-rm"],
)
def test_a_command_killed_at_any_moment_leaves_books_that_reconcile_can_set_right(
    cli_env, data_dir, git_repo, make_round: Callable[..., Round], request
):
    rng = random.Random(f"{SEED}-{request.node.callspec.id}")
    begin = startup(cli_env, git_repo)
    orch = Orchestrator(data_dir, stop_timeout=1.0)
    try:
        uncut = make_round(orch, git_repo, rng, 0)
    finally:
        orch.close()
    began = time.monotonic()
    cco(cli_env, git_repo, uncut.args)
    duration = max(time.monotonic() - began, begin + 0.05)
    assert books(data_dir, git_repo, uncut.work) == [], uncut.args
    tidy(data_dir)

    outcomes = []
    for n in range(1, ROUNDS + 1):
        orch = Orchestrator(data_dir, stop_timeout=1.0)
        try:
            this = make_round(orch, git_repo, rng, n)
        finally:
            orch.close()
        delay = rng.uniform(begin * 0.8, duration)
        killed = cco(cli_env, git_repo, this.args, kill_after=delay)
        outcomes.append(f"{delay:.2f}s{'' if killed else ' (done)'}")
        problems = books(data_dir, git_repo, this.work)
        said = f"seed {SEED} round {n}: {' '.join(this.args)} killed after {delay:.3f}s"
        assert problems == [], f"{said}: {problems}"
        tidy(data_dir)
    print(f"{' '.join(uncut.args[:2])}: runs in {duration:.2f}s (start-up {begin:.2f}s); kills: {', '.join(outcomes)}")
