"""The real app in a real terminal, driven as a person would: keys in, screen out (capture-pane).

Two tmux servers: the agents' private one (S, from cli_env) and an outer one (O) standing in for
the user's terminal. Jumping in works two ways:
- the dashboard runs inside S: Enter switches the user's client to the agent's session, and
  prefix + L (last session) brings it back;
- the dashboard runs inside O: Enter suspends it and attaches to S, and prefix + d (detach)
  brings the dashboard back where it was.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers import capture, kill_tmux_server, retry_until, tmux

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outer():
    """The user's terminal: another tmux server, without any user config."""
    name = f"cco-outer-{uuid.uuid4().hex[:8]}"
    yield name
    kill_tmux_server(name)


@pytest.fixture
def agent(orch, git_repo):
    instance = orch.instances.start(git_repo)
    retry_until(lambda: "fake-agent ready" in capture(orch.settings.tmux_socket, instance.tmux_session))
    return instance


def dashboard_command(repo: Path, *unset: str) -> str:
    """The dashboard as `python -m cc_orchestrator.tui`, with this test's settings."""
    keep = {k: v for k, v in os.environ.items() if k.startswith("CC_ORCHESTRATOR_") or k in ("PATH", "HOME")}
    env = ["env", *(a for name in unset for a in ("-u", name)), *(f"{k}={v}" for k, v in keep.items())]
    return shlex.join([*env, sys.executable, "-m", "cc_orchestrator.tui", "--repo", str(repo)])


def screen(socket: str, target: str) -> str:
    return tmux(socket, "capture-pane", "-p", "-t", target, check=False)


def shows(socket: str, target: str, text: str, timeout: float = 20) -> str:
    return retry_until(lambda: text in (out := screen(socket, target)) and out, timeout=timeout)


def new_session(socket: str, name: str, command: str, *config: str) -> None:
    subprocess.run(
        [
            "tmux",
            "-L",
            socket,
            *config,
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "160",
            "-y",
            "48",
            "-c",
            str(ROOT),
            command,
        ],
        check=True,
    )


def test_inside_the_agents_server_enter_switches_and_prefix_l_comes_back(orch, git_repo, agent, outer):
    agents = orch.settings.tmux_socket
    new_session(agents, "dash", dashboard_command(git_repo))
    new_session(outer, "term", f"env -u TMUX tmux -L {agents} attach -t =dash", "-f", "/dev/null")
    shows(agents, "=dash:", "Instances (1)")
    shows(outer, "=term:", agent.id)

    tmux(agents, "send-keys", "-t", "=dash:", "Enter")
    shows(outer, "=term:", "fake-agent ready")
    clients = tmux(agents, "list-clients", "-F", "#{client_session}").split()
    assert clients == [agent.tmux_session]

    tmux(outer, "send-keys", "-t", "=term:", "C-b", "L")  # the user: prefix + L, last session
    retry_until(lambda: tmux(agents, "list-clients", "-F", "#{client_session}").split() == ["dash"])
    shows(outer, "=term:", "Instances (1)")

    tmux(agents, "send-keys", "-t", "=dash:", "q")
    retry_until(lambda: "dash" not in tmux(agents, "list-sessions", "-F", "#{session_name}", check=False).split())
    assert orch.instances.get(agent.id).status.is_live  # quitting leaves the agents running


def test_outside_it_enter_suspends_attaches_and_detach_comes_back(orch, git_repo, agent, outer):
    new_session(outer, "term", dashboard_command(git_repo), "-f", "/dev/null")
    shows(outer, "=term:", "Instances (1)")
    tmux(outer, "send-keys", "-t", "=term:", "Tab")  # leave a mark: the task board has focus
    shows(outer, "=term:", "enter Details")
    tmux(outer, "send-keys", "-t", "=term:", "BTab")  # back to the instances
    shows(outer, "=term:", "enter Jump in")

    tmux(outer, "send-keys", "-t", "=term:", "Enter")
    shows(outer, "=term:", "fake-agent ready")
    assert "Instances (1)" not in screen(outer, "=term:")

    tmux(outer, "send-keys", "-t", "=term:", "C-b", "d")  # the user detaches from the agent
    after = shows(outer, "=term:", "Instances (1)")
    assert "enter Jump in" in after  # back on the dashboard, the instances pane still focused

    tmux(outer, "send-keys", "-t", "=term:", "q")
    retry_until(lambda: "term" not in tmux(outer, "list-sessions", "-F", "#{session_name}", check=False).split())
    assert orch.instances.get(agent.id).status.is_live
