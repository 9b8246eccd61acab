"""The agent layer with the fake agent: dialogs answered by meaning, prompts delivered when the
agent is ready (by /proc, without any pattern), profiles by program, refusing what is missing,
and recovering lost sessions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from cc_orchestrator.config.settings import load_settings
from cc_orchestrator.core.instances import readiness
from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.errors import Conflict, MissingDependency
from tests.helpers import FAKE_AGENT_COMMAND, capture, git, kill_tmux_server, retry_until

ODD_PROMPT = "ask me: "  # matches no ready pattern of any profile


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir)
    yield orchestrator
    orchestrator.close()


def status_becomes(orch, instance_id, status, timeout=10):
    return retry_until(lambda: (i := orch.instances.get(instance_id)).status is status and i, timeout=timeout)


def cco(cli_env, cwd, *args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "cc_orchestrator", *args],
        env=cli_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- dialogs answered by meaning -----------------------------------------------------------


@pytest.mark.parametrize("style", ["marker", "highlight", "numbered"])
def test_approve_moves_the_cursor_to_yes_never_to_dont_ask_again(orch, git_repo, style):
    instance = orch.instances.start(git_repo)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)
    orch.instances.send(instance.id, f"choose made.txt {style}")
    waiting = status_becomes(orch, instance.id, InstanceStatus.WAITING_INPUT)
    assert waiting.waiting_for == "Do you want to create made.txt?"
    orch.instances.approve(instance.id)
    made = Path(instance.worktree_path) / "made.txt"
    retry_until(made.exists)
    assert made.read_text() == "created by fake agent (Yes, create it)\n"  # not "Yes, and don't ask again"
    events = [e.message for e in orch.events.since(0, instance_id=instance.id)]
    assert any("approved question" in m and "(Yes, create it)" in m for m in events)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)


def test_reject_chooses_no_wherever_the_cursor_is(orch, git_repo):
    instance = orch.instances.start(git_repo)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)
    orch.instances.send(instance.id, "choose kept.txt marker")
    status_becomes(orch, instance.id, InstanceStatus.WAITING_INPUT)
    orch.instances.reject(instance.id)
    retry_until(lambda: "skipped kept.txt" in capture(orch.settings.tmux_socket, instance.tmux_session))
    assert not (Path(instance.worktree_path) / "kept.txt").exists()


def test_a_dialog_that_will_not_leave_keeps_the_instance_waiting_and_says_which_option(orch, git_repo):
    instance = orch.instances.start(git_repo)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)
    orch.instances.send(instance.id, "choose stuck.txt stuck")
    status_becomes(orch, instance.id, InstanceStatus.WAITING_INPUT)
    started = time.monotonic()
    with pytest.raises(Conflict, match=r"could not choose the keys .* in the question dialog|could not choose"):
        orch.instances.approve(instance.id)
    assert time.monotonic() - started < 10
    after = orch.instances.get(instance.id)
    assert after.status is InstanceStatus.WAITING_INPUT
    assert "could not choose" in after.status_message and "question dialog" in after.status_message


def test_a_yes_no_prompt_without_options_gets_the_profiles_keystrokes(orch, git_repo):
    """The fallback: `ask` shows numbered lines read as a line prompt; "1" then Enter answers."""
    instance = orch.instances.start(git_repo)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)
    orch.instances.send(instance.id, "ask asked.txt")
    status_becomes(orch, instance.id, InstanceStatus.WAITING_INPUT)
    orch.instances.approve(instance.id)
    retry_until((Path(instance.worktree_path) / "asked.txt").exists)


# -- ready for a prompt, for any agent -----------------------------------------------------


def test_a_generic_agent_with_an_unknown_prompt_gets_its_task_within_a_second(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, agent_command=f"{FAKE_AGENT_COMMAND} --prompt '{ODD_PROMPT}'")
    try:
        task = orch.tasks.add("say hello", repo=str(git_repo))
        instance = orch.assign(task.id, wait=False)
        assert instance.agent == "generic"
        row = orch.store.read(lambda: InstanceRow.get_by_id(instance.id))
        retry_until(lambda: ODD_PROMPT.strip() in capture(orch.settings.tmux_socket, instance.tmux_session))
        # how soon is a figure of tests/benchmarks/bench_agent_layer.py, not asserted here
        state = orch.instances.deliver_when_ready(instance.id, timeout=10)
        assert state.ready and "reading its terminal" in state.why, state
        retry_until(lambda: "received: say hello" in capture(orch.settings.tmux_socket, row.tmux_session))
        assert orch.tasks.get(task.id).status.value == "IN_PROGRESS"
        # back at a prompt no pattern knows, reading its terminal: the kernel says IDLE
        status_becomes(orch, instance.id, InstanceStatus.IDLE)
    finally:
        orch.close()


def test_a_refresh_delivers_a_pending_prompt_once_the_agent_reads_its_terminal(cli_env, data_dir, git_repo):
    """What the TUI and serve do on their ticks, and any `instances list`."""
    orch = Orchestrator(data_dir, agent_command=f"{FAKE_AGENT_COMMAND} --prompt '{ODD_PROMPT}' --ready-delay 0.5")
    try:
        instance = orch.instances.start(git_repo, prompt="first words")
        retry_until(lambda: not orch.instances.get(instance.id).pending_prompt, timeout=10)
        retry_until(lambda: "received: first words" in capture(orch.settings.tmux_socket, instance.tmux_session))
    finally:
        orch.close()


def test_start_waits_with_a_progress_line_and_says_when_it_is_delivered(cli_env, git_repo):
    env = {**cli_env, "CC_ORCHESTRATOR_AGENT_COMMAND": f"{FAKE_AGENT_COMMAND} --prompt '{ODD_PROMPT}'"}
    cco(env, git_repo, "tasks", "add", "say hello")
    started = time.monotonic()
    result = cco(env, git_repo, "instances", "start", "--task", "1")
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "waiting for the agent to be ready for its prompt" in result.stderr
    assert "prompt delivered after" in result.stderr and "reading its terminal" in result.stderr
    assert took < 10


def test_no_wait_returns_at_once_and_a_later_list_delivers(cli_env, git_repo, data_dir):
    env = {**cli_env, "CC_ORCHESTRATOR_AGENT_COMMAND": f"{FAKE_AGENT_COMMAND} --ready-delay 2"}
    cco(env, git_repo, "tasks", "add", "say later")
    started = time.monotonic()
    result = cco(env, git_repo, "tasks", "assign", "1", "--no-wait")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 5
    assert "prompt waits for the agent" in result.stdout and "delivered once the agent is ready" in result.stderr
    orch = Orchestrator(data_dir)
    try:
        retry_until(lambda: not orch.instances.list()[0].pending_prompt, timeout=15)
        assert orch.tasks.get(1).status.value == "IN_PROGRESS"
    finally:
        orch.close()


def test_a_prompt_still_pending_says_what_was_not_seen_and_what_to_do(cli_env, git_repo):
    env = {
        **cli_env,
        "CC_ORCHESTRATOR_AGENT_COMMAND": f"{FAKE_AGENT_COMMAND} --ready-delay 60",
        "CC_ORCHESTRATOR_PROMPT_READY_TIMEOUT": "1",
    }
    cco(env, git_repo, "tasks", "add", "never seen")
    result = cco(env, git_repo, "tasks", "assign", "1")
    assert result.returncode == 0, result.stderr
    assert "the prompt is still pending after 1 s" in result.stderr
    assert "no ready prompt" in result.stderr and "it is not reading its terminal" in result.stderr
    assert "the last line on its screen is" in result.stderr and "instances attach" in result.stderr


def test_a_startup_dialog_ends_the_wait_with_how_to_answer_it(cli_env, git_repo):
    env = {**cli_env, "CC_ORCHESTRATOR_AGENT_COMMAND": f"{FAKE_AGENT_COMMAND} --startup-choose trust.txt"}
    cco(env, git_repo, "tasks", "add", "after the dialog")
    started = time.monotonic()
    result = cco(env, git_repo, "tasks", "assign", "1")
    assert time.monotonic() - started < 10  # not the 30 s timeout
    assert "asks: Do you want to create trust.txt?" in result.stderr and "instances approve" in result.stderr
    instance_id = result.stdout.split("-> instance ")[1].split()[0]
    assert cco(env, git_repo, "instances", "approve", instance_id).returncode == 0
    orch = Orchestrator(env["CC_ORCHESTRATOR_DATA_DIR"])
    try:
        retry_until(lambda: not orch.instances.get(instance_id).pending_prompt, timeout=15)
        session = orch.instances.get(instance_id, refresh=False).tmux_session
        retry_until(lambda: "received: after the dialog" in capture(orch.settings.tmux_socket, session))
    finally:
        orch.close()


def test_readiness_is_never_a_dialog(orch, git_repo):
    instance = orch.instances.start(git_repo)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)
    orch.instances.send(instance.id, "ask q.txt")  # it reads its terminal, but for the dialog
    status_becomes(orch, instance.id, InstanceStatus.WAITING_INPUT)
    row = orch.store.read(lambda: InstanceRow.get_by_id(instance.id))
    state = readiness.check(orch.instances, row)
    assert not state.ready and state.asking


# -- profiles by program, missing programs -------------------------------------------------


@pytest.mark.parametrize(
    ("agent_command", "profile"),
    [
        ("aider --model x", "aider"),
        ("/opt/bin/codex", "codex"),
        ("gemini", "gemini"),
        ("claude --fast", "claude"),
        ("my-own-agent", "generic"),
        (f"{sys.executable} agent.py", "generic"),
    ],
)
def test_the_profile_comes_from_the_programs_name(agent_command, profile):
    chosen = load_settings(agent_command=agent_command).profile()
    assert chosen.name == profile
    assert chosen.command.split()[0] == agent_command.split()[0]


def test_a_command_given_at_start_picks_its_own_profile_unless_an_agent_is_named():
    settings = load_settings()
    assert settings.profile(command=["aider"]).name == "aider"
    assert settings.profile(command=["something-else"]).name == "generic"
    assert settings.profile("claude", command=["my-claude-wrapper"]).name == "claude"


def test_a_missing_agent_program_is_refused_before_anything_is_made(orch, git_repo, cli_env):
    branches = git(git_repo, "branch", "--list")
    with pytest.raises(MissingDependency, match=r"no-such-agent-x is not installed.*--agent"):
        orch.instances.start(git_repo, command=["no-such-agent-x"])
    assert orch.instances.list() == [] and orch.worktrees.list() == []
    assert git(git_repo, "branch", "--list") == branches
    result = cco({**cli_env, "CC_ORCHESTRATOR_AGENT_COMMAND": "claude-not-here"}, git_repo, "instances", "start")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "claude-not-here is not installed" in result.stderr


def test_the_claude_profile_says_how_to_install_claude(orch, git_repo, monkeypatch, tmp_path):
    only = tmp_path / "bin"  # tmux and git, and no claude
    only.mkdir()
    for program in ("tmux", "git"):
        (only / program).symlink_to(shutil.which(program))
    monkeypatch.setenv("PATH", str(only))
    with pytest.raises(MissingDependency, match=r"npm install -g @anthropic-ai/claude-code"):
        orch.instances.start(git_repo, agent="claude")


# -- resume after a reboot -----------------------------------------------------------------


def test_recover_restarts_lost_sessions_one_by_one_with_their_session_ids(cli_env, data_dir, git_repo):
    # each agent shows its first screen a second after it starts: the next may start only then
    command = f"{FAKE_AGENT_COMMAND} --ready-delay 1"
    agents = {"resumable": {"command": command, "resume_args": ["--resume", "{session_id}"]}}
    orch = Orchestrator(data_dir, agents=agents)
    try:
        first = orch.instances.start(git_repo, agent="resumable")
        second = orch.instances.start(git_repo, agent="resumable")
        for instance, session in ((first, "sess-one"), (second, "sess-two")):
            status_becomes(orch, instance.id, InstanceStatus.IDLE)
            orch.store.write(
                lambda i=instance.id, s=session: InstanceRow.update(session_id=s).where(InstanceRow.id == i).execute()
            )
        kill_tmux_server(orch.settings.tmux_socket)  # a reboot, as far as tmux is concerned
        lost = orch.instances.get(first.id)
        assert lost.status is InstanceStatus.STOPPED and lost.status_message.startswith("session lost")
        done = orch.instances.recover()
        assert [r.instance.id for r in done] == [first.id, second.id] and all(r.resumed for r in done)
        for instance, session in ((first, "sess-one"), (second, "sess-two")):
            back = orch.instances.get(instance.id)
            assert back.status.is_live and back.restarts == 1
            with open(f"/proc/{back.pid}/cmdline", "rb") as fh:
                assert f"--resume\0{session}".encode() in fh.read()
            retry_until(
                lambda s=back.tmux_session, sid=session: (
                    f"resuming session {sid}" in capture(orch.settings.tmux_socket, s)
                )
            )
        born = [psutil.Process(orch.instances.get(i.id).pid).create_time() for i in (first, second)]
        assert born[1] - born[0] >= 0.9, "the second agent started before the first one was ready"
        assert orch.instances.recover() == []
    finally:
        orch.close()


def test_recover_all_restarts_stopped_and_failed_instances_too(cli_env, git_repo, data_dir):
    orch = Orchestrator(data_dir)
    try:
        stopped, failed, lost = (orch.instances.start(git_repo) for _ in range(3))
        for instance in (stopped, failed, lost):
            status_becomes(orch, instance.id, InstanceStatus.IDLE)
        orch.instances.stop(stopped.id)
        orch.instances.send(failed.id, "exit 3")
        status_becomes(orch, failed.id, InstanceStatus.ERROR)
        orch.tmux.kill_session(lost.tmux_session)
        status_becomes(orch, lost.id, InstanceStatus.STOPPED)
    finally:
        orch.close()
    only_lost = cco(cli_env, git_repo, "instances", "recover", "--dry-run")
    assert lost.id in only_lost.stdout and stopped.id not in only_lost.stdout and failed.id not in only_lost.stdout
    result = cco(cli_env, git_repo, "instances", "recover", "--all")
    assert result.returncode == 0, result.stderr
    orch = Orchestrator(data_dir)
    try:
        for instance in (stopped, failed, lost):
            assert orch.instances.get(instance.id).status.is_live, result.stdout
    finally:
        orch.close()


def test_a_restart_takes_a_slot_like_a_start(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, max_instances=1)
    try:
        first = orch.instances.start(git_repo)
        status_becomes(orch, first.id, InstanceStatus.IDLE)
        orch.instances.stop(first.id)
        second = orch.instances.start(git_repo)
        with pytest.raises(Conflict, match="slots are in use"):
            orch.instances.restart(first.id)
        assert orch.instances.get(first.id).status is InstanceStatus.STOPPED
        orch.instances.stop(second.id)
        assert orch.instances.restart(first.id).status is InstanceStatus.RUNNING
    finally:
        orch.close()


def test_the_cli_recovers_with_a_line_per_instance(cli_env, git_repo, data_dir):
    started = cco(cli_env, git_repo, "instances", "start", "--json")
    assert started.returncode == 0, started.stderr
    kill_tmux_server(cli_env["CC_ORCHESTRATOR_TMUX_SOCKET"])
    dry = cco(cli_env, git_repo, "instances", "recover", "--dry-run")
    assert "would restart" in dry.stdout and "session lost" in dry.stdout
    result = cco(cli_env, git_repo, "instances", "recover")
    assert result.returncode == 0, result.stderr
    assert "continued;" in result.stdout  # no session id recorded: its continue arguments
    assert os.path.exists(data_dir)


def test_hooks_of_a_run_that_ended_never_touch_the_restarted_agent(orch, git_repo):
    """A dying agent's last hook (SessionEnd) can land after the restart: it writes to the old
    run's spool, which is no longer read."""
    import json

    instance = orch.instances.start(git_repo)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)
    orch.instances.send(instance.id, "exit 3")
    status_becomes(orch, instance.id, InstanceStatus.ERROR)
    orch.instances.restart(instance.id)
    status_becomes(orch, instance.id, InstanceStatus.IDLE)
    late = {"hook_event_name": "SessionEnd", "reason": "prompt_input_exit", "session_id": "old"}
    orch.instances.ingester.spool_dir.mkdir(parents=True, exist_ok=True)
    with orch.instances.ingester.path(instance.id, 0).open("a") as fh:
        fh.write(json.dumps(late) + "\n")
    assert orch.instances.get(instance.id).status is InstanceStatus.IDLE
    with orch.instances.ingester.path(instance.id, 1).open("a") as fh:
        fh.write(json.dumps(late) + "\n")
    assert orch.instances.get(instance.id).status is InstanceStatus.STOPPED
