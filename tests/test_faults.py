"""Faults behind the tool's back; each ends in a defined state that reconciliation repairs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.reconcile import reconcile
from tests.helpers import git, retry_until


def test_tmux_kill_server_turns_instances_stopped(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir)
    first, second = orch.instances.start(git_repo), orch.instances.start(git_repo)
    subprocess.run(["tmux", "-L", cli_env["CC_ORCHESTRATOR_TMUX_SOCKET"], "kill-server"], check=True)
    report = reconcile(orch)
    assert {e.instance_id for e in report.status_changes} == {first.id, second.id}
    for instance in orch.instances.list():
        assert instance.status is InstanceStatus.STOPPED
        assert instance.status_message == "session lost: its tmux session has ended"
        assert os.path.isdir(instance.worktree_path)  # the work is still there
    # and the tool keeps working: a new instance starts a new server
    assert orch.instances.start(git_repo).status is InstanceStatus.RUNNING


def test_sigkill_of_the_cli_mid_start_is_repaired(cli_env, data_dir, git_repo):
    # A slow post-checkout hook holds `git worktree add` so the CLI can be killed mid-start.
    hook = git_repo / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\nsleep 30\n")
    hook.chmod(0o755)
    cli = subprocess.Popen(
        [sys.executable, "-m", "cc_orchestrator", "instances", "start"],
        cwd=git_repo,
        env=cli_env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = data_dir / "orchestrator.db"

    def starting() -> bool:
        if not db.exists():
            return False
        try:
            con = sqlite3.connect(db)
            rows = con.execute("select status from instances").fetchall()
            con.close()
        except sqlite3.Error:
            return False
        worktrees = list((data_dir / "worktrees").glob("*/*"))
        return rows == [("STARTING",)] and bool(worktrees)

    retry_until(starting, timeout=20)
    time.sleep(0.3)  # git has checked the files out and runs the hook now
    os.killpg(cli.pid, signal.SIGKILL)  # the CLI and its git child, as a closed terminal would
    cli.wait()
    hook.unlink()

    orch = Orchestrator(data_dir)
    report = reconcile(orch)
    [instance] = orch.instances.list()
    assert instance.status is InstanceStatus.ERROR
    assert "interrupted" in instance.status_message
    # the worktree git made is known again, not left for nobody to find
    known = {w.path for w in orch.worktrees.list()}
    on_disk = {
        line.split()[1]
        for line in git(git_repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    } - {str(git_repo)}
    assert on_disk and on_disk <= known
    assert {w.path for w in report.adopted_worktrees} == on_disk  # reconcile itself found it
    # and the slot is free again
    assert orch.instances.start(git_repo).status is InstanceStatus.RUNNING


def test_a_worktree_deleted_by_hand_is_pruned_not_recreated(cli_env, data_dir, git_repo):
    import shutil

    orch = Orchestrator(data_dir)
    instance = orch.instances.start(git_repo)
    orch.instances.stop(instance.id)
    shutil.rmtree(instance.worktree_path)
    report = reconcile(orch)
    assert [w.path for w in report.pruned_worktrees] == [instance.worktree_path]
    assert orch.worktrees.list() == []
    assert git(git_repo, "branch", "--list", instance.branch)  # the branch is never deleted here


def test_concurrent_cli_processes_never_see_a_locked_database(cli_env, git_repo):
    script = (
        "import sys\n"
        "from cc_orchestrator.core.orchestrator import Orchestrator\n"
        "o = Orchestrator()\n"
        "for i in range(60):\n"
        "    t = o.tasks.add(f'task {sys.argv[1]}-{i}')\n"
        "    o.tasks.update(t.id, priority='high')\n"
        "    o.events.log(f'note {i}')\n"
        "    o.tasks.list(limit=20)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(n)], env=cli_env, cwd=git_repo, stderr=subprocess.PIPE, text=True
        )
        for n in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), (errors, [p.returncode for p in procs])
    assert not any("locked" in e for e in errors)
    orch = Orchestrator(Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"]))
    assert orch.tasks.count() == 240


def _cli(cli_env, cwd, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cc_orchestrator", *args], cwd=cwd, env=cli_env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _delete_database(data_dir: Path) -> None:
    for name in ("orchestrator.db", "orchestrator.db-wal", "orchestrator.db-shm"):
        (data_dir / name).unlink(missing_ok=True)


def test_a_deleted_database_finds_its_worktrees_and_sessions_again(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir)
    first, second = orch.instances.start(git_repo), orch.instances.start(git_repo)
    orch.close()
    _delete_database(data_dir)

    orch = Orchestrator(data_dir)
    report = reconcile(orch)
    assert {w.path for w in report.adopted_worktrees} == {first.worktree_path, second.worktree_path}
    assert {s.instance_id for s in report.orphan_sessions} == {first.id, second.id}
    listed = json.loads(_cli(cli_env, git_repo, "worktrees", "list", "--json"))
    repo = str(git_repo.resolve())
    assert {w["path"]: (w["repo"], w["branch"], w["base_branch"]) for w in listed} == {
        first.worktree_path: (repo, first.branch, "main"),
        second.worktree_path: (repo, second.branch, "main"),
    }

    _cli(cli_env, git_repo, "tmux", "orphans", "--adopt")
    for before in (first, second):
        instance = orch.instances.get(before.id)
        assert instance.status.is_live  # the agent is on the books again
        assert (instance.repo, instance.branch, instance.worktree_path) == (repo, before.branch, before.worktree_path)
        worktree = orch.worktrees.get(before.worktree_path)
        assert (instance.worktree_id, worktree.instance_id) == (worktree.id, before.id)


def test_instances_adopted_without_their_worktree_rows_are_linked_by_reconcile(cli_env, data_dir, git_repo):
    from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow

    orch = Orchestrator(data_dir)
    started = orch.instances.start(git_repo)
    orch.close()
    _delete_database(data_dir)
    orch = Orchestrator(data_dir)
    orch.adopt_orphan(started.tmux_session)  # finds the worktree first: repo and branch at once
    assert orch.instances.get(started.id).branch == started.branch
    # what an adoption by an older version left: a row with a folder and nothing else
    orch.store.write(lambda: WorktreeRow.delete().execute())
    orch.store.write(
        lambda: (
            InstanceRow.update(worktree_id=None, repo=None, branch=None).where(InstanceRow.id == started.id).execute()
        )
    )

    report = reconcile(orch)

    assert report.linked_instances == [started.id]
    instance = orch.instances.get(started.id)
    assert (instance.repo, instance.branch) == (str(git_repo.resolve()), started.branch)
    assert instance.worktree_id == orch.worktrees.get(started.worktree_path).id


def test_reconcile_reads_an_orphans_folder_from_the_panes_its_refresh_listed(cli_env, data_dir, git_repo, monkeypatch):
    from cc_orchestrator.core.reconcile import session_folders
    from cc_orchestrator.core.store.tables import InstanceRow

    orch = Orchestrator(data_dir)
    kept, lost = orch.instances.start(git_repo), orch.instances.start(git_repo)
    orch.store.write(lambda: InstanceRow.delete().where(InstanceRow.id == lost.id).execute())
    calls, cmd = [], orch.tmux.cmd
    monkeypatch.setattr(orch.tmux, "cmd", lambda *args, **kw: calls.append(args[0]) or cmd(*args, **kw))

    report = reconcile(orch)

    assert [s.instance_id for s in report.orphan_sessions] == [lost.id]
    assert calls.count("list-panes") == 1  # the refresh's, reused for the orphan's folder
    assert session_folders(orch, [lost.tmux_session]) == [lost.worktree_path]
    assert orch.instances.get(kept.id).status.is_live
