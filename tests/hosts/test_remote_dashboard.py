"""The dashboard over an agent on a remote host, driven as a person would (tmux send-keys and
capture-pane): the host goes away and comes back while the dashboard keeps answering, and Enter
opens `ssh -t` to the agent's session there, detach coming back."""

from __future__ import annotations

import time
import uuid

import pytest

from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from tests.helpers import kill_tmux_server, retry_until, tmux, wait_for
from tests.tui.test_in_tmux import dashboard_command, new_session, screen, shows

pytestmark = pytest.mark.slow


@pytest.fixture
def outer():
    name = f"cco-outer-{uuid.uuid4().hex[:8]}"
    yield name
    kill_tmux_server(name)


def test_the_dashboard_follows_a_remote_agent_through_an_outage_and_jumps_in(
    hosts_env, trusted_sshd, remote_repo, data_dir, git_repo, outer
):
    orch = Orchestrator(data_dir, stop_timeout=2.0)
    try:
        orch.hosts.add("box", trusted_sshd.url, [str(remote_repo)])
        instance = orch.instances.start(remote_repo, host="box")
        wait_for(orch, instance.id, lambda i: i.status is InstanceStatus.IDLE, timeout=20)

        new_session(outer, "term", dashboard_command(git_repo), "-f", "/dev/null")
        shows(outer, "=term:", "Instances (1)")
        shows(outer, "=term:", "box")

        trusted_sshd.stop()  # the host is gone: its agent shows UNREACHABLE, the dashboard answers
        shows(outer, "=term:", "UNREACHABLE", timeout=30)
        started = time.monotonic()
        tmux(outer, "send-keys", "-t", "=term:", "Tab")  # the task board takes the focus
        shows(outer, "=term:", "enter Details", timeout=5)
        answered = time.monotonic() - started
        tmux(outer, "send-keys", "-t", "=term:", "BTab")
        shows(outer, "=term:", "enter Jump in")
        assert answered < 5

        trusted_sshd.start()  # back: its tmux kept the agent, which carries on as it was
        retry_until(lambda: "UNREACHABLE" not in screen(outer, "=term:"), timeout=60)
        assert orch.instances.get(instance.id).status is InstanceStatus.IDLE

        tmux(outer, "send-keys", "-t", "=term:", "Enter")  # ssh -t to its session there
        shows(outer, "=term:", "fake-agent ready", timeout=20)
        assert "Instances (1)" not in screen(outer, "=term:")
        tmux(outer, "send-keys", "-t", "=term:", "C-b", "d")  # detach: back on the dashboard
        shows(outer, "=term:", "Instances (1)", timeout=20)

        tmux(outer, "send-keys", "-t", "=term:", "q")
        retry_until(lambda: "term" not in tmux(outer, "list-sessions", "-F", "#{session_name}", check=False).split())
        assert orch.instances.get(instance.id).status.is_live
    finally:
        orch.close()
