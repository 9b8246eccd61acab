"""The real Claude Code CLI on a remote host, against the fake Messages API: a real sshd on
127.0.0.1 plays the host (tests/fakes/sshd.py); Claude Code runs in that host's tmux with that
host's HOME, our hooks append to a spool there, and everything the orchestrator knows of it
came over ssh. One journey per installed version (tests/claude_code.py).
"""

from __future__ import annotations

import pytest

from cc_orchestrator.core.models import Instance, InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from tests.claude_code import (
    CLAUDE_PARAMS,
    CLAUDES,
    NOT_INSTALLED,
    WAIT,
    claude_agents,
    eventually,
    onboarded_home,
    screen_of,
    wait_for_status,
)
from tests.fakes.anthropic_api import HELLO, INPUT_TOKENS, OUTPUT_TOKENS, FakeAnthropicAPI
from tests.helpers import retry_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300), pytest.mark.skipif(not CLAUDES, reason=NOT_INSTALLED)]


@pytest.fixture(params=CLAUDE_PARAMS)
def claude(request):
    return request.param


@pytest.fixture
def api():
    with FakeAnthropicAPI() as server:
        yield server


@pytest.fixture
def box(api, claude, hosts_env, trusted_sshd, remote_repo, data_dir, monkeypatch):
    """An orchestrator whose default agent is the real CLI, with the sshd added as host `box`;
    Claude Code's onboarding is done in the host's HOME, where it runs."""
    monkeypatch.delenv("CC_ORCHESTRATOR_AGENT_COMMAND")  # the fake agent `hosts_env` names
    onboarded_home(trusted_sshd.home)
    orch = Orchestrator(
        data_dir,
        default_agent="claude",
        stop_timeout=5.0,
        trust_worktrees=True,
        agents=claude_agents(claude, api.base_url),
    )
    orch.hosts.add("box", trusted_sshd.url, [str(remote_repo)])
    yield orch
    for instance in orch.instances.list(refresh=False):
        if instance.status is not InstanceStatus.STOPPED:
            orch.instances.stop(instance.id)
    orch.close()


def test_claude_on_a_host_creates_a_file_there_after_the_user_approves(box, trusted_sshd, remote_repo, api):
    orch = box
    task = orch.tasks.add("please create hello.py", repo=str(remote_repo))
    instance = orch.assign(task.id, wait=False, host="box")
    assert instance.host == "box" and instance.agent == "claude" and instance.pending_prompt
    assert instance.worktree_path.startswith(f"{trusted_sshd.home}/")

    # the worktree there is ours: the orchestrator trusts it; the API key is the user's to accept
    wait_for_status(orch, instance.id, InstanceStatus.WAITING_INPUT, "API key")
    answered = [e.data.get("option") for e in orch.events.since(0, instance_id=instance.id) if "dialog" in e.data]
    assert answered == ["Yes, I trust this folder"], answered
    orch.instances.approve(instance.id)
    waiting = wait_for_status(orch, instance.id, InstanceStatus.WAITING_INPUT, "create hello.py")
    assert not waiting.pending_prompt
    assert orch.tasks.get(task.id).status.value == "IN_PROGRESS"

    orch.instances.approve(instance.id)
    hello = trusted_sshd.home / instance.worktree_path.removeprefix(f"{trusted_sshd.home}/") / "hello.py"
    retry_until(lambda: hello.exists() and hello.read_text() == HELLO, timeout=WAIT)
    wait_for_status(orch, instance.id, InstanceStatus.IDLE)

    def exchange() -> list[str] | None:
        lines = [e.message for e in orch.events.since(0, instance_id=instance.id)]
        # each line a hook wrote to the spool there, read back over ssh (the permission prompt
        # itself is read from the screen: Claude Code's Notification hook comes late, if at all)
        wanted = ("SessionStart (startup)", "prompt: please create hello.py", "tool Write: ", "turn ended: Done.")
        return lines if all(any(line.startswith(w) for line in lines) for w in wanted) else None

    eventually(exchange, lambda: orch.events.since(0, instance_id=instance.id))

    # from the transcript there, copied here: the Write call's reply and "Done."
    def counted() -> Instance | None:
        current = orch.instances.get(instance.id)
        return current if (current.tokens_in, current.tokens_out) == (2 * INPUT_TOKENS, 2 * OUTPUT_TOKENS) else None

    idle = eventually(counted, lambda: (orch.instances.get(instance.id), screen_of(orch, instance.id)))
    assert idle.model and idle.model.startswith("claude")
    assert len(api.requests) >= 2

    stopped = orch.instances.stop(instance.id)
    assert stopped.status is InstanceStatus.STOPPED
    assert not orch.instances.fleet.remote("box").tmux.panes().get(instance.tmux_session)
