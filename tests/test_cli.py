"""The command line as a user runs it: the installed entry point, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import git, retry_until


def run(env, cwd, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cc_orchestrator", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def ok(env, cwd, *args) -> str:
    result = run(env, cwd, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(env, cwd, *args, match: str) -> str:
    """One readable line on stderr, a non-zero exit, never a traceback."""
    result = run(env, cwd, *args)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert match in lines[0], lines[0]
    return lines[0]


def db_dump(data_dir: Path) -> list:
    con = sqlite3.connect(data_dir / "orchestrator.db")
    try:
        return [
            con.execute(f"select * from {t} order by 1").fetchall()
            for t in ("tasks", "task_dependencies", "instances", "worktrees", "configurations")
        ]
    finally:
        con.close()


def test_help_names_every_group(cli_env, tmp_path):
    out = ok(cli_env, tmp_path, "--help")
    for group in ("tasks", "instances", "worktrees", "tmux", "config"):
        assert group in out


def test_task_lifecycle_with_json_in_the_design_documents_fields(cli_env, git_repo):
    first = json.loads(
        ok(cli_env, git_repo, "tasks", "add", "Write docs", "-d", "All of them", "--priority", "HiGh", "--json")
    )
    for name in (
        "id",
        "title",
        "description",
        "source",
        "source_id",
        "status",
        "assigned_instance",
        "priority",
        "created_at",
        "updated_at",
        "dependencies",
    ):
        assert name in first
    assert first["priority"] == "HIGH" and first["status"] == "PENDING"
    assert first["repo"] == str(git_repo)
    second = json.loads(ok(cli_env, git_repo, "tasks", "add", "Review", "--depends-on", str(first["id"]), "--json"))
    assert second["dependencies"] == [first["id"]]
    listed = json.loads(ok(cli_env, git_repo, "tasks", "list", "--status", "pending", "--json"))
    assert [t["id"] for t in listed] == [first["id"], second["id"]]
    assert "(blocked)" in ok(cli_env, git_repo, "tasks", "list")
    ok(cli_env, git_repo, "tasks", "update", str(first["id"]), "--status", "in_progress")
    ok(cli_env, git_repo, "tasks", "update", str(first["id"]), "--status", "DONE")
    ready = json.loads(ok(cli_env, git_repo, "tasks", "list", "--ready", "--json"))
    assert [t["id"] for t in ready] == [second["id"]]
    assert "Review" in ok(cli_env, git_repo, "tasks", "show", str(second["id"]))
    ok(cli_env, git_repo, "tasks", "rm", str(second["id"]))
    assert "no tasks" not in ok(cli_env, git_repo, "tasks", "list")


def test_instances_start_list_send_stop(cli_env, git_repo):
    started = json.loads(ok(cli_env, git_repo, "instances", "start", "--json"))
    for name in (
        "id",
        "task_id",
        "worktree_path",
        "tmux_session",
        "status",
        "pid",
        "created_at",
        "last_activity",
        "resource_usage",
    ):
        assert name in started
    assert started["status"] == "RUNNING"
    assert started["host"] == "local" and started["unreachable_since"] is None
    listed = ok(cli_env, git_repo, "instances", "list")
    assert started["id"] in listed and "IDLE" in listed  # the agent waits at its prompt
    assert listed.split()[:3] == ["ID", "STATUS", "HOST"] and " local " in listed
    assert started["id"] in ok(cli_env, git_repo, "instances", "list", "--host", "LOCAL")
    ok(cli_env, git_repo, "instances", "send", started["id"], "hello agent")
    shown = json.loads(ok(cli_env, git_repo, "instances", "show", started["id"][:4], "--json"))
    assert shown["id"] == started["id"]
    out = ok(cli_env, git_repo, "instances", "stop", started["id"])
    assert "stopped" in out and started["worktree_path"] in out
    refused(cli_env, git_repo, "instances", "stop", started["id"], match="already stopped")
    worktrees = json.loads(ok(cli_env, git_repo, "worktrees", "list", "--json"))
    assert worktrees[0]["path"] == started["worktree_path"] and worktrees[0]["status"] == "IDLE"


def test_tasks_assign_from_the_command_line(cli_env, git_repo):
    ok(cli_env, git_repo, "tasks", "add", "Say hello")
    out = ok(cli_env, git_repo, "tasks", "assign", "1")
    assert "prompt delivered" in out
    task = json.loads(ok(cli_env, git_repo, "tasks", "show", "1", "--json"))
    assert task["status"] == "IN_PROGRESS" and task["assigned_instance"]


def test_worktrees_create_show_rm_refuses_unsaved_work(cli_env, git_repo):
    created = json.loads(ok(cli_env, git_repo, "worktrees", "create", "feature/x", "--json"))
    Path(created["path"], "new.txt").write_text("work\n")
    before = db_dump(Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"]))
    refused(cli_env, git_repo, "worktrees", "rm", created["id"], match="--force")
    assert db_dump(Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"])) == before
    assert Path(created["path"], "new.txt").exists()
    shown = ok(cli_env, git_repo, "worktrees", "show", created["id"])
    assert "new.txt" in shown and "1 uncommitted" in shown
    losses = json.loads(ok(cli_env, git_repo, "worktrees", "show", created["id"], "--json"))["losses"]
    assert losses["files"] == ["new.txt"] and losses["ignored"] == losses["commits"] == []
    ok(cli_env, git_repo, "worktrees", "rm", created["path"], "--force")
    assert not Path(created["path"]).exists()


BAD_INPUT = [
    (["tasks", "show", "999"], "no task 999"),
    (["tasks", "show", "abc"], "invalid task id"),
    (["tasks", "add", "x", "--priority", "urgent"], "urgent"),
    (["tasks", "list", "--status", "finished"], "finished"),
    (["tasks", "add", "x", "--depends-on", "42"], "no task 42"),
    (["tasks", "update", "1", "--status", "review"], "cannot move task 1 from PENDING to REVIEW"),
    (["tasks", "update", "1", "--depends-on", "1"], "1"),
    (["instances", "show", "zzzzzz"], "no instance"),
    (["instances", "stop", "zzzzzz"], "no instance"),
    (["worktrees", "rm", "zzzzzz"], "no worktree"),
    (["worktrees", "create", "../escape"], "invalid branch name"),
    (["worktrees", "create", "/abs/path"], "invalid branch name"),
    (["worktrees", "create", "has space"], "invalid branch name"),
    (["instances", "start", "--branch", "../x"], "invalid branch name"),
    (["instances", "start", "--layout", "fancy"], "unknown layout"),
    (["tmux", "kill", "not-ours"], "no cc-orchestrator session"),
    (["instances", "start", "--host", "nowhere"], "no host named 'nowhere'"),
    (["instances", "list", "--host", "nowhere"], "no host named 'nowhere'"),
    (["tasks", "add", "x", "--host", "nowhere"], "no host named 'nowhere'"),
    (["tasks", "assign", "1", "--host", "nowhere"], "no host named 'nowhere'"),
    (["tasks", "assign", "--auto", "--host", "box"], "--host goes with a TASK_ID"),
    (["config", "set", "max_instances", "0"], "max_instances"),
    (["config", "set", "github_token", "ghp_secret"], "secret"),
    (["config", "get", "nonsense"], "unknown setting"),
]


@pytest.mark.parametrize(("args", "match"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_gets_one_line_and_changes_nothing(cli_env, git_repo, args, match):
    ok(cli_env, git_repo, "tasks", "add", "one")
    data_dir = Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"])
    before = db_dump(data_dir)
    branches = git(git_repo, "branch", "--list")
    refused(cli_env, git_repo, *args, match=match)
    assert db_dump(data_dir) == before
    assert git(git_repo, "branch", "--list") == branches


def test_a_dependency_cycle_is_refused(cli_env, git_repo):
    ok(cli_env, git_repo, "tasks", "add", "a")
    ok(cli_env, git_repo, "tasks", "add", "b", "--depends-on", "1")
    refused(cli_env, git_repo, "tasks", "update", "1", "--depends-on", "2", match="cycle")


def test_not_a_git_repository(cli_env, tmp_path):
    refused(cli_env, tmp_path, "instances", "start", match="not inside a git repository")
    refused(cli_env, tmp_path, "--repo", str(tmp_path), "tasks", "add", "x", match="not inside a git repository")
    ok(cli_env, tmp_path, "tasks", "add", "no repo needed")


def test_full_slots_get_a_clear_message(cli_env, git_repo):
    ok(cli_env, git_repo, "config", "set", "max_instances", "1")
    ok(cli_env, git_repo, "instances", "start")
    refused(cli_env, git_repo, "instances", "start", match="all 1 instance slots are in use")


def test_missing_tmux_or_git(cli_env, git_repo, tmp_path):
    only_git = tmp_path / "only-git"
    only_git.mkdir()
    os.symlink(shutil.which("git"), only_git / "git")
    env = {**cli_env, "PATH": f"{only_git}:{Path(sys.executable).parent}"}
    refused(env, git_repo, "instances", "start", match="tmux is not installed")
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    env = {**cli_env, "PATH": f"{nothing}:{Path(sys.executable).parent}"}
    refused(env, git_repo, "worktrees", "create", "x", match="git is not installed")


def test_a_corrupt_database(cli_env, git_repo):
    db = Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"]) / "orchestrator.db"
    db.write_bytes(b"this is not sqlite" * 100)
    refused(cli_env, git_repo, "tasks", "list", match="damaged or not a cc-orchestrator database")
    assert db.read_bytes() == b"this is not sqlite" * 100


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_database(cli_env, git_repo):
    ok(cli_env, git_repo, "tasks", "add", "x")
    data_dir = Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"])
    for path in data_dir.iterdir():
        path.chmod(0o444)
    data_dir.chmod(0o555)
    try:
        refused(cli_env, git_repo, "tasks", "add", "y", match="read-only")
    finally:
        data_dir.chmod(0o755)


def test_a_read_only_database_as_root_too(cli_env, git_repo):
    """Root ignores file modes, so open the database through SQLite's read-only URI instead."""
    ok(cli_env, git_repo, "tasks", "add", "x")
    data_dir = Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"])
    con = sqlite3.connect(f"file:{data_dir / 'orchestrator.db'}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.OperationalError) as info:
            con.execute("insert into configurations values ('k', '1', '2020-01-01')")
    finally:
        con.close()
    from cc_orchestrator.core.store.database import explain

    assert "read-only" in str(explain(info.value, data_dir))


def test_config_show_masks_secrets_and_env_wins(cli_env, git_repo):
    env = {**cli_env, "CC_ORCHESTRATOR_GITHUB_TOKEN": "ghp_verysecretvalue", "CC_ORCHESTRATOR_WEB_PORT": "9999"}
    ok(env, git_repo, "config", "set", "web_port", "8181")
    shown = ok(env, git_repo, "config", "show")
    assert "ghp_verysecretvalue" not in shown
    assert json.loads(ok(env, git_repo, "config", "show", "--json"))["web_port"] == 9999
    assert ok(cli_env, git_repo, "config", "get", "web_port").strip() == "8181"
    raw = (Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"]) / "orchestrator.db").read_bytes()
    assert b"ghp_verysecretvalue" not in raw


def test_a_negative_setting_is_judged_as_a_value_not_taken_for_an_option(cli_env, git_repo):
    refused(
        cli_env,
        git_repo,
        "config",
        "set",
        "max_instances",
        "-3",
        match="invalid max_instances: Input should be greater than or equal to 1",
    )


def test_tmux_list_orphans_adopt_and_kill(cli_env, git_repo):
    first = json.loads(ok(cli_env, git_repo, "instances", "start", "--json"))
    second = json.loads(ok(cli_env, git_repo, "instances", "start", "--json"))
    assert first["tmux_session"] in ok(cli_env, git_repo, "tmux", "list")
    # Forget both rows behind the tool's back: their sessions become orphans.
    con = sqlite3.connect(Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"]) / "orchestrator.db")
    con.execute("delete from instances")
    con.commit()
    con.close()
    orphans = json.loads(ok(cli_env, git_repo, "tmux", "orphans", "--json"))
    assert {o["name"] for o in orphans} == {first["tmux_session"], second["tmux_session"]}
    assert "adopted" in ok(cli_env, git_repo, "tmux", "orphans", "--adopt", first["tmux_session"])
    adopted = json.loads(ok(cli_env, git_repo, "instances", "show", first["id"], "--json"))
    assert adopted["status"] in ("RUNNING", "IDLE") and adopted["worktree_path"] == first["worktree_path"]
    assert "killed" in ok(cli_env, git_repo, "tmux", "orphans", "--kill")
    assert json.loads(ok(cli_env, git_repo, "tmux", "orphans", "--json")) == []
    assert "default" in ok(cli_env, git_repo, "tmux", "layouts")


def test_reconcile_reports_a_session_killed_behind_our_back(cli_env, git_repo):
    started = json.loads(ok(cli_env, git_repo, "instances", "start", "--json"))
    subprocess.run(["tmux", "-L", cli_env["CC_ORCHESTRATOR_TMUX_SOCKET"], "kill-server"], check=True)
    out = ok(cli_env, git_repo, "reconcile")
    assert f"instance {started['id']} STOPPED" in out
    assert "everything is in order" in ok(cli_env, git_repo, "reconcile")


def test_send_reads_stdin_and_attach_needs_a_session(cli_env, git_repo):
    started = json.loads(ok(cli_env, git_repo, "instances", "start", "--json"))
    result = run(cli_env, git_repo, "instances", "send", started["id"], "-", stdin="from stdin\n")
    assert result.returncode == 0, result.stderr
    socket = cli_env["CC_ORCHESTRATOR_TMUX_SOCKET"]
    retry_until(
        lambda: (
            "received: from stdin"
            in subprocess.run(
                ["tmux", "-L", socket, "capture-pane", "-p", "-t", f"={started['tmux_session']}:"],
                capture_output=True,
                text=True,
            ).stdout
        )
    )
    ok(cli_env, git_repo, "instances", "stop", started["id"])
    refused(cli_env, git_repo, "instances", "attach", started["id"], match="has no tmux session")


def add_host_row(data_dir: Path, name: str) -> None:
    """A remote host as `hosts add` saves it, without an ssh server to check it against."""
    con = sqlite3.connect(data_dir / "orchestrator.db")
    con.execute(
        "insert into hosts (name, url, repos, added_at, last_error, tmux_version, git_version, agents, home)"
        " values (?, ?, '[]', '2026-01-01 00:00:00', '', '3.4', '2.43', '[]', '/home/dev')",
        (name, f"ssh://dev@{name}.example"),
    )
    con.commit()
    con.close()


def test_a_task_names_its_host_in_list_and_show(cli_env, git_repo):
    ok(cli_env, git_repo, "tasks", "add", "anywhere")
    assert "HOST" not in ok(cli_env, git_repo, "tasks", "list")  # no task names one: no column
    add_host_row(Path(cli_env["CC_ORCHESTRATOR_DATA_DIR"]), "box")
    task = json.loads(ok(cli_env, git_repo, "tasks", "add", "there", "--host", "BOX", "--json"))
    assert task["host"] == "box"
    table = ok(cli_env, git_repo, "tasks", "list").splitlines()
    assert table[0].split()[-2:] == ["HOST", "SOURCE"] and table[2].split()[-1] == "box"
    shown = ok(cli_env, git_repo, "tasks", "show", str(task["id"])).splitlines()
    assert ["host", "box"] in [line.split() for line in shown]
    assert ok(cli_env, git_repo, "instances", "list", "--host", "box").strip() == "no instances"


def test_an_unreachable_instance_lists_its_host_and_how_long():
    from datetime import UTC, datetime, timedelta

    from cc_orchestrator.cli.instances import LIST_HEADERS, list_row
    from cc_orchestrator.core.models import Instance, InstanceStatus

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    away = Instance(
        id="ab12cd",
        task_id=None,
        worktree_path="/srv/wt",
        tmux_session="cc-orchestrator-ab12cd",
        status=InstanceStatus.UNREACHABLE,
        pid=77,
        created_at=now - timedelta(hours=1),
        last_activity=now - timedelta(minutes=5),
        host="gpu",
        unreachable_since=now - timedelta(minutes=2, seconds=5),
    )
    row = dict(zip(LIST_HEADERS, list_row(away, now), strict=True))
    assert row["STATUS"] == "UNREACHABLE 2m" and row["HOST"] == "gpu"
