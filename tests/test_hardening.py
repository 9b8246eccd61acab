"""Hostile and clumsy input, crashes and secrets (issue 12): each case failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.errors import InvalidInput
from tests.helpers import FAKE_AGENT_COMMAND, capture, retry_until


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir)
    yield orchestrator
    orchestrator.close()


def cco(cli_env, cwd, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "cc_orchestrator", *args],
        env=cli_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def idle(orch, instance):
    return retry_until(lambda: orch.instances.get(instance.id).status is InstanceStatus.IDLE)


# -- 1. a poison prompt wedges nothing ---------------------------------------------------


def test_a_prompt_of_any_size_is_delivered(orch, git_repo):
    """Past about 16 KB `tmux set-buffer TEXT` failed with "command too long"."""
    long_line = "x" * 40_000
    task = orch.tasks.add("a pasted log", description=long_line, repo=str(git_repo))
    instance = orch.assign(task.id, wait=False)
    retry_until(lambda: not orch.instances.get(instance.id).pending_prompt, timeout=20)
    # the 40,000 characters wrap over hundreds of lines: look in the history too
    retry_until(lambda: "received: a pasted log" in orch.instances.screen(instance.id, lines=5000))
    assert orch.tasks.get(task.id).status.value == "IN_PROGRESS"


@pytest.mark.parametrize(
    ("bad", "why"),
    [("has a \x00 NUL", "NUL"), ("x" * 1_000_001, "too long"), ("bad \udcff bytes", "UTF-8")],
    ids=["nul", "a-megabyte", "invalid-utf8"],
)
def test_text_no_terminal_can_carry_is_refused_where_it_is_entered(orch, bad, why):
    with pytest.raises(InvalidInput, match=why):
        orch.tasks.add("title", description=bad)
    with pytest.raises(InvalidInput, match=why if why != "too long" else "at most 500"):
        orch.tasks.add(bad)
    task = orch.tasks.add("fine")
    with pytest.raises(InvalidInput, match=why):
        orch.tasks.update(task.id, description=bad)
    assert [t.title for t in orch.tasks.list()] == ["fine"] and orch.tasks.get(task.id).description == ""


def test_one_instances_failure_never_stops_commands_about_the_others(orch, git_repo, cli_env):
    poisoned = orch.instances.start(git_repo)
    healthy = orch.instances.start(git_repo)
    idle(orch, poisoned), idle(orch, healthy)
    # a prompt that slipped in before it was checked (an older version, a hand-edited database)
    orch.store.write(
        lambda: InstanceRow.update(pending_prompt="a \x00 NUL").where(InstanceRow.id == poisoned.id).execute()
    )
    for args in (("instances", "list"), ("instances", "show", healthy.id), ("reconcile",)):
        result = cco(cli_env, git_repo, *args)
        assert result.returncode == 0, (args, result.stderr)
    assert cco(cli_env, git_repo, "instances", "send", healthy.id, "still here").returncode == 0
    retry_until(lambda: "received: still here" in capture(orch.tmux_socket, healthy.tmux_session))
    warnings = [e.message for e in orch.events.since(0, instance_id=poisoned.id) if e.level.value == "WARNING"]
    assert len(warnings) <= 1, warnings  # said once, if at all: the buffer carries it now
    assert cco(cli_env, git_repo, "instances", "stop", healthy.id).returncode == 0


def test_nul_and_a_megabyte_through_send_get_one_line(orch, git_repo, cli_env):
    instance = orch.instances.start(git_repo)
    idle(orch, instance)
    nul = cco(cli_env, git_repo, "instances", "send", instance.id, "-", stdin="a\x00b")
    assert nul.returncode == 1 and nul.stderr.count("\n") == 1 and "NUL" in nul.stderr
    big = cco(cli_env, git_repo, "instances", "send", instance.id, "-", stdin="y" * 1_000_001)
    assert big.returncode == 1 and "too long" in big.stderr and "1,000,000" in big.stderr
    ok = cco(cli_env, git_repo, "instances", "send", instance.id, "-", stdin="z" * 200_000)
    assert ok.returncode == 0, ok.stderr


# -- 3. our secrets never reach an agent ---------------------------------------------------

SECRETS = {
    "CC_ORCHESTRATOR_WEB_TOKEN": "web-token-abc123",
    "CC_ORCHESTRATOR_GITHUB_TOKEN": "ghp_secret123",
    "CC_ORCHESTRATOR_JIRA_TOKEN": "jira-secret",
    "CC_ORCHESTRATOR_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/secret",
}


def test_the_agents_environment_and_the_tmux_server_hold_none_of_our_secrets(cli_env, data_dir, git_repo, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    orch = Orchestrator(data_dir)
    try:
        instance = orch.instances.start(git_repo)
        pid = orch.tmux.panes()[instance.tmux_session].pid
        environ = open(f"/proc/{pid}/environ", "rb").read().decode()
        server = subprocess.run(
            ["tmux", "-L", orch.tmux_socket, "show-environment", "-g"], capture_output=True, text=True
        ).stdout
        for value in SECRETS.values():
            assert value not in environ and value not in server
        assert "CC_ORCHESTRATOR_INSTANCE_ID" in environ
    finally:
        orch.close()


def test_secrets_already_in_a_running_tmux_server_do_not_reach_new_agents(cli_env, data_dir, git_repo, tmux_socket):
    subprocess.run(
        ["tmux", "-L", tmux_socket, "new-session", "-d", "-s", "users-own", "sleep 600"],
        env={**os.environ, **SECRETS},
        check=True,
    )
    orch = Orchestrator(data_dir)
    try:
        instance = orch.instances.start(git_repo)
        pid = orch.tmux.panes()[instance.tmux_session].pid
        environ = open(f"/proc/{pid}/environ", "rb").read().decode()
        assert not any(value in environ for value in SECRETS.values())
    finally:
        orch.close()


# -- 13. every input gets its own clear line ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["instances", "start", "--branch", "b" * 300], "invalid branch name: 300 characters, at most 200"),
        (["tasks", "show", "9" * 40], "invalid task id"),
        (["tasks", "show", str(2**64)], "ids are whole numbers between 1 and"),
        (["instances", "show", "\udcff\udcfe"], "not valid UTF-8"),
        (["tasks", "add", "bad \udcff title"], "not valid UTF-8"),
        (["instances", "show", "x" * 5000], "no instance"),
    ],
    ids=["long-branch", "long-id", "huge-id", "bad-utf8-ref", "bad-utf8-title", "long-ref"],
)
def test_bad_input_gets_its_own_line_not_unexpected(cli_env, git_repo, args, says):
    result = subprocess.run(
        [sys.executable, "-m", "cc_orchestrator", *[a.encode("utf-8", "surrogateescape") for a in args]],
        env=cli_env,
        cwd=git_repo,
        capture_output=True,
        timeout=60,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode in (1, 2) and stderr.count("\n") == 1, stderr
    assert says in stderr and "unexpected" not in stderr


# -- 8. a bad agent profile is refused, not stored ---------------------------------------


def test_a_bad_agent_profile_is_refused_before_it_is_stored(cli_env, git_repo):
    bad = cco(cli_env, git_repo, "config", "set", "agents", '{"x": {"command": 5}}')
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "agents.x.command" in bad.stderr, bad.stderr
    assert cco(cli_env, git_repo, "instances", "list").returncode == 0
    also = cco(cli_env, git_repo, "config", "set", "agents", '{"y": {"dialogs": [{"name": "q"}]}}')
    assert also.returncode == 1 and "agents.y.dialogs" in also.stderr


# -- 12. prompts and agent output are private --------------------------------------------


def test_the_database_logs_and_spools_are_private_under_the_usual_umask(cli_env, data_dir, git_repo):
    import stat

    old = os.umask(0o022)
    try:
        orch = Orchestrator(data_dir, agents={"hooked": {"command": FAKE_AGENT_COMMAND, "hooks": "claude"}})
        instance = orch.instances.start(git_repo, agent="hooked")
        idle(orch, instance)
        orch.tasks.add("written to the wal")
    finally:
        os.umask(old)
    files = [
        data_dir / "orchestrator.db",
        data_dir / "orchestrator.db-wal",
        orch.instances.logs.path(instance.id),
        orch.instances.ingester.path(instance.id),
    ]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (data_dir, data_dir / "logs" / "panes", data_dir / "spool"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    orch.close()


# -- 5. stop during start ------------------------------------------------------------------


def test_a_stop_during_a_start_waits_for_it_and_leaves_nothing_running(cli_env, data_dir, git_repo):
    """Before: STOPPED at once with "worktree kept at " (empty), then the start finished and
    an agent ran outside the books, its slot counted free."""
    hook = git_repo / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\nsleep 2\n")  # holds the start inside `git worktree add`
    hook.chmod(0o755)
    starter = subprocess.Popen(
        [sys.executable, "-m", "cc_orchestrator", "instances", "start", "--no-wait"],
        cwd=git_repo,
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    orch = Orchestrator(data_dir)
    try:
        starting = retry_until(
            lambda: [i for i in orch.instances.list(refresh=False) if i.status is InstanceStatus.STARTING], timeout=20
        )[0]
        stopped = cco(cli_env, git_repo, "instances", "stop", starting.id)
        assert stopped.returncode == 0, stopped.stderr
        assert starter.wait(timeout=60) == 0
        final = orch.instances.get(starting.id)
        assert final.status is InstanceStatus.STOPPED
        assert f"kept at {final.worktree_path}" in stopped.stdout and final.worktree_path
        assert orch.tmux.panes() == {}  # no agent outside the books
        assert [i for i in orch.instances.list() if i.status.is_live] == []
    finally:
        hook.unlink()
        orch.close()


# -- 11. processes that left the agent's process group ---------------------------------------


def test_a_stop_left_behind_by_a_process_whose_pid_was_reused_does_not_hide_a_death(orch, git_repo):
    """A stopping process was killed; its pid now belongs to another process (this one, with
    another start time): the agent's death is still seen."""
    instance = orch.instances.start(git_repo)
    idle(orch, instance)
    orch.store.write(
        lambda: (
            InstanceRow.update(stopper_pid=os.getpid(), stopper_since=1).where(InstanceRow.id == instance.id).execute()
        )
    )
    os.kill(orch.tmux.panes()[instance.tmux_session].pid, 9)
    retry_until(lambda: orch.instances.get(instance.id).status is InstanceStatus.ERROR)


def test_stop_ends_processes_that_escaped_the_agents_process_group(orch, git_repo):
    from cc_orchestrator.core.processes import with_environment

    instance = orch.instances.start(git_repo, command=["bash", "--norc", "-i"])
    retry_until(lambda: orch.tmux.panes().get(instance.tmux_session))
    orch.tmux.send_text(instance.tmux_session, "setsid sleep 777 < /dev/null > /dev/null 2>&1 &")
    escaped = retry_until(
        lambda: [p for p in with_environment("CC_ORCHESTRATOR_INSTANCE_ID", instance.id) if _command(p) == "sleep"]
    )
    stopped = orch.instances.stop(instance.id)
    assert "ended 1 process that had left its process tree" in stopped.status_message
    assert all(not os.path.exists(f"/proc/{pid}") or _command(pid) != "sleep" for pid in escaped)


def _command(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return ""


# -- 6. a crash in the middle of an assignment leaves nothing stuck ---------------------------


def test_a_delivery_killed_between_the_paste_and_the_enter_is_finished(orch, git_repo):
    import json as _json

    task = orch.tasks.add("finish me", repo=str(git_repo))
    instance = orch.assign(task.id, wait=True)
    idle(orch, instance)
    dead = subprocess.Popen(["true"])  # a pid whose process has ended
    dead.wait()
    # what a SIGKILL right after the paste leaves: the text in the agent's input, no Enter
    orch.tmux.send_text(instance.tmux_session, "the second prompt", enter=False)
    state = _json.dumps({"pid": dead.pid, "pasted": True})
    orch.store.write(
        lambda: (
            InstanceRow.update(pending_prompt="the second prompt", delivering=state)
            .where(InstanceRow.id == instance.id)
            .execute()
        )
    )
    after = orch.instances.get(instance.id)  # any refresh finishes it
    assert not after.pending_prompt
    retry_until(lambda: "received: the second prompt" in capture(orch.tmux_socket, instance.tmux_session))
    assert any("finished the interrupted delivery" in e.message for e in orch.events.since(0, instance_id=instance.id))


def test_a_delivery_that_fails_after_the_paste_is_finished_with_an_enter_never_a_second_paste(
    orch, git_repo, monkeypatch
):
    """tmux fails between the paste and the Enter (fault injected around the real tmux call):
    the next refresh presses Enter; nothing pastes the prompt again."""
    from cc_orchestrator.errors import ExternalError

    instance = orch.instances.start(git_repo)
    idle(orch, instance)
    real = orch.tmux.send_text

    def enter_fails(name, text, enter=True, pasted=None):
        real(name, text, enter=False, pasted=pasted)
        raise ExternalError("tmux: lost server")

    orch.store.write(
        lambda: InstanceRow.update(pending_prompt="only once").where(InstanceRow.id == instance.id).execute()
    )
    monkeypatch.setattr(orch.tmux, "send_text", enter_fails)
    with pytest.raises(ExternalError):
        orch.instances.deliver_pending(instance.id)
    monkeypatch.setattr(orch.tmux, "send_text", real)
    assert not orch.instances.deliver_pending(instance.id)  # pasted: it waits for its Enter only
    retry_until(lambda: not orch.instances.get(instance.id).pending_prompt)  # a refresh pressed it
    screen = retry_until(lambda: (s := capture(orch.tmux_socket, instance.tmux_session)) and "received:" in s and s)
    assert screen.count("received:") == 1 and "only onceonly" not in screen, screen


def test_a_task_assigned_to_an_agent_that_died_goes_back_to_pending_and_can_be_assigned_again(
    cli_env, data_dir, git_repo
):
    orch = Orchestrator(data_dir, agent_command=f"{FAKE_AGENT_COMMAND} --ready-delay 60")
    try:
        task = orch.tasks.add("try twice", repo=str(git_repo))
        first = orch.assign(task.id, wait=False)
        os.kill(orch.tmux.panes()[first.tmux_session].pid, 9)  # dies before its prompt arrives
        retry_until(lambda: orch.instances.get(first.id).status is InstanceStatus.ERROR)
        back = orch.tasks.get(task.id)
        assert back.status.value == "PENDING" and back.assigned_instance is None
        again = orch.assign(task.id, wait=False, command=FAKE_AGENT_COMMAND.split())
        assert again.branch == first.branch + "-2"  # the first attempt's branch is kept
        # the release asks the store itself, in its write: a live start's task is never taken back
        assert orch.tasks.release_unstarted() == [] and orch.tasks.get(task.id).status.value != "PENDING"
        # a refresh (any command, or a running face) delivers the prompt once the agent is ready
        retry_until(lambda: orch.instances.list() and orch.tasks.get(task.id).status.value == "IN_PROGRESS", timeout=20)
    finally:
        orch.close()


def test_restarting_an_instance_whose_prompt_never_arrived_delivers_it(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, agent_command=f"{FAKE_AGENT_COMMAND} --ready-delay 60")
    try:
        task = orch.tasks.add("after the restart", repo=str(git_repo))
        instance = orch.assign(task.id, wait=False)
        os.kill(orch.tmux.panes()[instance.tmux_session].pid, 9)
        retry_until(lambda: orch.instances.get(instance.id).status is InstanceStatus.ERROR)
        orch.instances.restart(instance.id, command=FAKE_AGENT_COMMAND.split())
        retry_until(
            lambda: (
                orch.instances.list()
                and "received: after the restart" in capture(orch.tmux_socket, instance.tmux_session)
            )
        )
        assert orch.tasks.get(task.id).status.value == "IN_PROGRESS"
    finally:
        orch.close()
