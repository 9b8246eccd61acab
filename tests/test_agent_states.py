"""Agent states from the screen and from hooks, and the actions on them, with the fake agent."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime

import pytest

from cc_orchestrator.core.agents import claude_hooks
from cc_orchestrator.core.agents.limits import parse_reset
from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.errors import Conflict
from tests.helpers import FAKE_AGENT_COMMAND, git, retry_until

FAKE = FAKE_AGENT_COMMAND.split()


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir)
    yield orchestrator
    orchestrator.close()


def status_becomes(orch, instance_id, status, timeout=10):
    return retry_until(lambda: (i := orch.instances.get(instance_id)).status is status and i, timeout=timeout)


def ready(orch, instance):
    return status_becomes(orch, instance.id, InstanceStatus.IDLE)


def test_working_waiting_and_idle_come_from_the_screen(orch, git_repo):
    instance = orch.instances.start(git_repo)
    ready(orch, instance)
    orch.instances.send(instance.id, "work 2")
    status_becomes(orch, instance.id, InstanceStatus.RUNNING)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)
    orch.instances.send(instance.id, "ask notes.txt")
    waiting = status_becomes(orch, instance.id, InstanceStatus.WAITING_INPUT)
    assert waiting.waiting_for == "Do you want to create notes.txt?"
    orch.instances.approve(instance.id)
    retry_until(lambda: os.path.exists(os.path.join(instance.worktree_path, "notes.txt")))
    ready(orch, instance)
    orch.instances.send(instance.id, "ask other.txt")
    status_becomes(orch, instance.id, InstanceStatus.WAITING_INPUT)
    orch.instances.reject(instance.id)
    ready(orch, instance)
    assert not os.path.exists(os.path.join(instance.worktree_path, "other.txt"))
    with pytest.raises(Conflict, match="not asking anything"):
        orch.instances.approve(instance.id)


def test_restart_brings_a_dead_agent_back_with_its_continue_arguments(cli_env, data_dir, git_repo):
    orch = Orchestrator(
        data_dir, agents={"resumable": {"command": FAKE_AGENT_COMMAND, "continue_args": ["--ready-delay", "0.1"]}}
    )
    instance = orch.instances.start(git_repo, agent="resumable")
    ready(orch, instance)
    orch.instances.send(instance.id, "exit 2")
    status_becomes(orch, instance.id, InstanceStatus.ERROR)
    restarted = orch.instances.restart(instance.id)
    assert restarted.status is InstanceStatus.RUNNING and restarted.restarts == 1
    with open(f"/proc/{restarted.pid}/cmdline", "rb") as fh:
        assert b"--ready-delay" in fh.read()
    ready(orch, instance)
    with pytest.raises(Conflict, match="still running"):
        orch.instances.restart(instance.id)


def test_pane_output_goes_to_a_log_without_escape_sequences(orch, git_repo):
    instance = orch.instances.start(git_repo)
    ready(orch, instance)
    orch.instances.send(instance.id, "hello log")
    retry_until(lambda: "received: hello log" in orch.instances.logs.tail(instance.id))
    assert not any("\x1b" in line for line in orch.instances.logs.tail(instance.id))


def test_hooks_are_merged_with_the_users_settings_and_kept_out_of_commits(git_repo, tmp_path):
    settings = git_repo / ".claude" / "settings.local.json"
    settings.parent.mkdir()
    user_hook = {"hooks": [{"type": "command", "command": "echo mine"}]}
    settings.write_text(json.dumps({"permissions": {"allow": ["Bash(ls)"]}, "hooks": {"Stop": [user_hook]}}))
    spool = tmp_path / "spool" / "abc.jsonl"
    claude_hooks.install(git_repo, spool)
    claude_hooks.install(git_repo, spool)  # twice: still one entry of ours
    merged = json.loads(settings.read_text())
    assert merged["permissions"] == {"allow": ["Bash(ls)"]}
    assert merged["hooks"]["Stop"][0] == user_hook
    for event in claude_hooks.EVENTS:
        ours = [e for e in merged["hooks"][event] if e["hooks"][0]["command"] == claude_hooks.hook_command(spool)]
        assert len(ours) == 1
    assert git(git_repo, "status", "--porcelain") == ""  # excluded, so nothing to commit


def fire(command: str, payload: dict) -> None:
    """Run the hook command exactly as Claude Code does: sh -c, the payload on stdin."""
    subprocess.run(["/bin/sh", "-c", command], input=json.dumps(payload) + "\n", text=True, check=True)


def test_hook_events_become_states_log_lines_and_tokens(cli_env, data_dir, git_repo, tmp_path):
    orch = Orchestrator(data_dir, agents={"hooked": {"command": FAKE_AGENT_COMMAND, "hooks": "claude"}})
    instance = orch.instances.start(git_repo, agent="hooked")
    with open(os.path.join(instance.worktree_path, ".claude", "settings.local.json")) as fh:
        settings = json.load(fh)
    command = settings["hooks"]["Stop"][0]["hooks"][0]["command"]
    transcript = tmp_path / "transcript.jsonl"
    usage = {"input_tokens": 100, "output_tokens": 40, "cache_read_input_tokens": 23, "cache_creation_input_tokens": 0}
    line = {"type": "assistant", "message": {"id": "m1", "model": "claude-test", "usage": usage}}
    transcript.write_text(json.dumps(line) + "\n" + json.dumps(line) + "\n")  # one reply, two blocks
    base = {"session_id": "s1", "cwd": instance.worktree_path, "transcript_path": str(transcript)}
    ingest = orch.instances.ingester.ingest
    current = lambda: orch.instances.get(instance.id, refresh=False)  # noqa: E731

    fire(command, {**base, "hook_event_name": "UserPromptSubmit", "prompt": "do it"})
    ingest()
    assert current().status is InstanceStatus.RUNNING
    fire(
        command,
        {
            **base,
            "hook_event_name": "Notification",
            "notification_type": "permission_prompt",
            "message": "Claude needs your permission",
        },
    )
    ingest()
    assert (current().status, current().waiting_for) == (InstanceStatus.WAITING_INPUT, "Claude needs your permission")
    fire(command, {**base, "hook_event_name": "PostToolUse", "tool_name": "Write", "tool_input": {"file_path": "a"}})
    fire(command, {**base, "hook_event_name": "Stop", "last_assistant_message": "Done."})
    assert ingest() == 2
    final = current()
    assert final.status is InstanceStatus.IDLE
    assert (final.tokens_in, final.tokens_out, final.model) == (123, 40, "claude-test")
    log = [e.message for e in orch.events.since(0, instance_id=instance.id)]
    assert "prompt: do it" in log and "turn ended: Done." in log
    assert ingest() == 0  # nothing applied twice
    other = Orchestrator(data_dir, agents={"hooked": {"command": FAKE_AGENT_COMMAND, "hooks": "claude"}})
    assert other.instances.ingester.ingest() == 0  # nor by another process's ingester
    fire(command, {**base, "hook_event_name": "SessionEnd", "reason": "prompt_input_exit"})
    ingest()
    assert current().status is InstanceStatus.STOPPED


def test_a_usage_limit_holds_new_work_and_resumes_at_the_reset(cli_env, data_dir, git_repo):
    limit = r"(?:hit your limit)[^\n]*?resets (?P<when>[0-9][^\n·]*)"
    orch = Orchestrator(data_dir, agents={"generic": {"usage_limit_pattern": limit}})
    instance = orch.instances.start(git_repo)
    ready(orch, instance)
    orch.instances.send(instance.id, "You've hit your limit · resets 3pm")
    held = retry_until(lambda: orch.instances.get(instance.id).held_until)
    assert held > datetime.now(UTC)
    orch.tasks.add("waits for the reset", repo=str(git_repo))
    assert orch.auto_assign() == []  # held: a new instance would hit the same limit
    orch.store.write(
        lambda: InstanceRow.update(held_until=datetime(2000, 1, 1)).where(InstanceRow.id == instance.id).execute()
    )
    orch.tick()
    assert orch.instances.get(instance.id).held_until is None
    retry_until(lambda: "received: continue" in orch.tmux.capture(instance.tmux_session))


def test_parse_reset_times():
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    at_3pm = parse_reset("3pm (UTC)", now)
    assert at_3pm == datetime(2026, 11, 24, 15, 0)
    assert parse_reset("9am (UTC)", now) == datetime(2026, 11, 25, 9, 0)  # passed today: tomorrow
    assert parse_reset("15:30 (UTC)", now) == datetime(2026, 11, 24, 15, 30)
    assert parse_reset("soon", now) is None


def test_the_monitor_restarts_a_failing_agent_a_capped_number_of_times(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, auto_restart=True, max_restarts=1)
    instance = orch.instances.start(git_repo, command=["sh", "-c", "sleep 0.5; exit 3"])
    status_becomes(orch, instance.id, InstanceStatus.ERROR)
    orch.tick()
    assert orch.instances.get(instance.id, refresh=False).restarts == 1
    status_becomes(orch, instance.id, InstanceStatus.ERROR)
    orch.tick()
    assert orch.instances.get(instance.id, refresh=False).restarts == 1
    messages = [e.message for e in orch.events.since(0, instance_id=instance.id)]
    assert any("keeps failing" in m for m in messages)


def test_the_monitor_warns_about_resource_limits_once(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, max_memory_mb=0.5)
    instance = orch.instances.start(git_repo)
    ready(orch, instance)
    orch.tick()
    orch.tick()
    warnings = [e for e in orch.events.since(0, instance_id=instance.id) if "over its limits" in e.message]
    assert len(warnings) == 1 and warnings[0].level.value == "WARNING"


def test_the_cli_acts_on_agents(cli_env, git_repo):
    import sys

    def cco(*args):
        return subprocess.run(
            [sys.executable, "-m", "cc_orchestrator", *args],
            env=cli_env,
            cwd=git_repo,
            capture_output=True,
            text=True,
            timeout=60,
        )

    started = json.loads(cco("instances", "start", "--agent", "generic", "--json").stdout)
    orch = Orchestrator(cli_env["CC_ORCHESTRATOR_DATA_DIR"])
    ready(orch, orch.instances.get(started["id"]))
    refused = cco("instances", "approve", started["id"])
    assert (
        refused.returncode == 1
        and refused.stderr.strip() == f"error: instance {started['id']} is not asking anything right now"
    )
    assert cco("instances", "send", started["id"], "ask cli.txt").returncode == 0
    status_becomes(orch, started["id"], InstanceStatus.WAITING_INPUT)
    assert "WAITING_INPUT" in cco("instances", "list").stdout
    assert cco("instances", "approve", started["id"]).returncode == 0
    retry_until(lambda: os.path.exists(os.path.join(started["worktree_path"], "cli.txt")))
    assert "received: ask cli.txt" not in cco("instances", "logs", started["id"]).stdout  # it asked instead
    assert "Do you want to create cli.txt?" in cco("instances", "logs", started["id"]).stdout
    assert "approved question" in cco("instances", "logs", started["id"], "--events").stdout
    cco("instances", "send", started["id"], "exit 4")
    status_becomes(orch, started["id"], InstanceStatus.ERROR)
    assert "restarted" in cco("instances", "restart", started["id"]).stdout
    assert cco("instances", "interrupt", started["id"]).returncode == 0
    bad = cco("instances", "start", "--agent", "nonsense")
    assert bad.returncode == 1 and "unknown agent 'nonsense'" in bad.stderr


def test_schema_1_databases_are_migrated_forward(data_dir):
    import sqlite3

    from cc_orchestrator.core.store.database import Store
    from cc_orchestrator.core.store.migrations import SCHEMA_VERSION

    Store(data_dir / "orchestrator.db").close()
    con = sqlite3.connect(data_dir / "orchestrator.db")
    for column in ("agent", "waiting_for", "session_id", "tokens_in", "held_until", "restarts"):
        con.execute(f"alter table instances drop column {column}")
    for column in ("screen_captured_at", "screen_activity", "delivering", "stopper_pid", "stopper_since", "attention"):
        con.execute(f"alter table instances drop column {column}")
    for column in ("merged_at", "merged_as", "merged_tip"):
        con.execute(f"alter table worktrees drop column {column}")
    con.execute("drop table check_runs")
    con.execute("drop table worktree_changes")
    con.execute("drop index tasks_source_source_project_source_id")
    for column in ("source_project", "source_url", "pr_url", "checks"):
        con.execute(f"alter table tasks drop column {column}")
    con.execute("drop table cursors")
    con.execute(
        "insert into events (created_at, kind, level, message, data) "
        "values ('2026-01-01', 'log_message', 'INFO', 'old', '{}')"
    )
    con.execute("pragma user_version = 1")
    con.commit()
    con.close()
    store = Store(data_dir / "orchestrator.db")
    columns = {c.name for c in store.db.get_columns("instances")}
    assert {"agent", "waiting_for", "tokens_in", "held_until", "restarts", "screen_captured_at"} <= columns
    assert {"source_project", "source_url", "pr_url"} <= {c.name for c in store.db.get_columns("tasks")}
    # the integrations start after the history that was there: never acted on
    assert {"checks"} <= {c.name for c in store.db.get_columns("tasks")}
    assert {"merged_at", "merged_tip"} <= {c.name for c in store.db.get_columns("worktrees")}
    assert {"check_runs", "worktree_changes"} <= set(store.db.get_tables())
    # the integrations and the review loop start after the history that was there: never acted on
    cursors = store.db.execute_sql("select name, value from cursors order by name").fetchall()
    assert cursors == [("integrations", 1), ("review", 1)]
    assert store.db.execute_sql("pragma user_version").fetchone()[0] == SCHEMA_VERSION == 10
    store.close()


def test_a_hook_costs_the_agent_a_few_milliseconds(tmp_path):
    command = claude_hooks.hook_command(tmp_path / "spool.jsonl")
    payload = json.dumps({"hook_event_name": "PreToolUse", "session_id": "s"}) + "\n"
    start = time.perf_counter()
    for _ in range(20):
        subprocess.run(["/bin/sh", "-c", command], input=payload, text=True, check=True)
    assert (tmp_path / "spool.jsonl").read_text().count("\n") == 20
    assert time.perf_counter() - start < 20  # a sanity bound, not a benchmark


def test_a_running_face_takes_up_settings_changed_by_another_process(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir)
    orch.tick()
    assert orch.settings.max_instances == 5
    other = Orchestrator(data_dir)
    other.config.set("max_instances", "1")
    orch.tick()
    assert orch.settings.max_instances == 1 and orch.instances.settings.max_instances == 1
    orch.instances.start(git_repo)
    with pytest.raises(Conflict, match="all 1 instance slots"):
        orch.instances.start(git_repo)
    assert orch.settings.tmux_socket == cli_env["CC_ORCHESTRATOR_TMUX_SOCKET"]
