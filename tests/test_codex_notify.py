"""Codex's turn-complete notification: the real shell one-liner, ingest, session and tokens."""

from __future__ import annotations

import json
import subprocess

import pytest

from cc_orchestrator.core.agents import codex
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.store.tables import InstanceRow

THREAD = "01a23f20-5da4-7412-b905-b7d8622741a4"
TITLE_THREAD = "01a23f20-0000-7412-b905-b7d8622741a4"


def payload(thread: str, message: str = "Done.") -> str:
    return json.dumps({"type": "agent-turn-complete", "thread-id": thread, "last-assistant-message": message})


def run_notify(args: list[str], argument: str) -> None:
    """What Codex does: run the notify program with the JSON as its last argument."""
    notify = json.loads(args[1].removeprefix("notify="))
    subprocess.run([*notify, argument], check=True)


def test_the_notify_one_liner_appends_the_payload_and_runs_the_users_own(tmp_path):
    home = tmp_path / "codex"
    home.mkdir()
    theirs = tmp_path / "theirs.txt"
    (home / "config.toml").write_text(f'notify = ["sh", "-c", "echo \\"$1\\" > {theirs}", "sh"]\n')
    spool = tmp_path / "spool" / "abc123.jsonl"
    spool.parent.mkdir()
    args = codex.notify_args(spool, home)
    assert args[0] == "-c"
    run_notify(args, payload(THREAD, 'it\'s "quoted"; $HOME'))
    assert json.loads(spool.read_text())["last-assistant-message"] == 'it\'s "quoted"; $HOME'
    assert json.loads(theirs.read_text())["thread-id"] == THREAD


def write_rollout(home, thread: str) -> str:
    folder = home / "sessions" / "2026" / "12" / "04"
    folder.mkdir(parents=True)
    path = folder / f"rollout-2026-12-04T03-36-00-{thread}.jsonl"
    lines = [
        {"type": "session_meta", "payload": {"id": thread}},
        {"type": "turn_context", "payload": {"model": "gpt-fake"}},
        {
            "type": "event_msg",
            "payload": {
                "type": "token_count",
                "info": {
                    "total_token_usage": {
                        "input_tokens": 246,
                        "cached_input_tokens": 0,
                        "output_tokens": 90,
                        "total_tokens": 336,
                    }
                },
            },
        },
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


@pytest.fixture
def codex_instance(cli_env, data_dir, git_repo, tmp_path):
    home = tmp_path / "codex-home"
    program = tmp_path / "fakecodex"  # takes any arguments, as codex takes ours
    program.write_text("#!/bin/sh\nsleep 600\n")
    program.chmod(0o755)
    agents = {"fakecodex": {"command": str(program), "hooks": "codex", "env": {"CODEX_HOME": str(home)}}}
    orch = Orchestrator(data_dir, agents=agents)
    instance = orch.instances.start(git_repo, agent="fakecodex")
    orch.store.write(lambda: InstanceRow.update(status="RUNNING").where(InstanceRow.id == instance.id).execute())
    yield orch, instance, home
    orch.instances.stop(instance.id)
    orch.close()


def test_a_turn_complete_notification_means_idle_and_records_the_session(codex_instance):
    orch, instance, home = codex_instance
    spool = orch.instances.ingester.path(instance.id)
    rollout = write_rollout(home, THREAD)
    with spool.open("a") as fh:
        fh.write(payload(TITLE_THREAD, '{"title": "Fake task title"}') + "\n")  # the title side thread
    orch.instances.ingester.ingest()
    row = orch.store.read(lambda: InstanceRow.get_by_id(instance.id))
    assert row.session_id is None and row.status == "RUNNING"
    with spool.open("a") as fh:
        fh.write(payload(THREAD) + "\n")
    orch.instances.ingester.ingest()
    row = orch.store.read(lambda: InstanceRow.get_by_id(instance.id))
    assert (row.status, row.session_id, row.transcript_path) == ("IDLE", THREAD, rollout)
    assert (row.tokens_in, row.tokens_out, row.model) == (246, 90, "gpt-fake")
    messages = [e.message for e in orch.events.since(0, instance_id=instance.id)]
    assert "turn ended: Done." in messages


def test_the_session_command_carries_the_notify_program(codex_instance):
    orch, instance, _ = codex_instance
    pane = orch.tmux.panes()[instance.tmux_session]
    assert not pane.dead
    with open(f"/proc/{pane.pid}/cmdline", "rb") as fh:
        argv = fh.read().split(b"\0")
    assert b"-c" in argv and any(a.startswith(b"notify=") for a in argv)
