"""TmuxService against a real tmux server on a private socket."""

from __future__ import annotations

import sys

import pytest

from cc_orchestrator.core.tmux.layouts import BUILTIN_LAYOUTS, resolve_layout
from cc_orchestrator.core.tmux.service import TmuxService, session_name
from cc_orchestrator.errors import NotFound
from tests.helpers import FAKE_AGENT, capture, count_tmux_calls, retry_until, tmux

AGENT = [sys.executable, str(FAKE_AGENT)]


@pytest.fixture
def service(tmux_socket, tmp_path):
    return TmuxService(tmux_socket, marker=str(tmp_path))


def test_snapshot_of_an_empty_server_costs_one_call_and_finds_nothing(service):
    counter = count_tmux_calls(service)
    assert service.panes() == {}
    assert counter.calls == 1


def test_create_session_runs_the_agent_directly_with_our_marks(service, tmux_socket, tmp_path):
    name = session_name("abc123")
    pane = service.create_session(name, str(tmp_path), AGENT, resolve_layout("default"), {"FOO": "bar"})
    assert pane.pid and not pane.dead
    retry_until(lambda: "fake-agent ready" in capture(tmux_socket, name))
    # no shell between tmux and the agent: the pane's pid is the agent itself
    with open(f"/proc/{pane.pid}/cmdline", "rb") as fh:
        assert str(FAKE_AGENT).encode() in fh.read()
    with open(f"/proc/{pane.pid}/environ", "rb") as fh:
        assert b"FOO=bar" in fh.read().split(b"\0")
    assert service.is_ours(name)


def test_snapshot_reports_a_dead_agent(service, tmp_path):
    name = session_name("dead01")
    service.create_session(name, str(tmp_path), ["sh", "-c", "sleep 0.3; exit 3"], resolve_layout("default"))
    retry_until(lambda: (p := service.panes().get(name)) and p.dead)
    # tmux may report dead before (or, rarely, without) reaping the status: tmux/tmux#4841
    assert service.panes()[name].exit_status in (3, None)


def test_a_single_word_command_still_runs_without_a_shell(service, tmux_socket, tmp_path):
    name = session_name("single")
    pane = service.create_session(name, str(tmp_path), ["cat"], resolve_layout("default"))

    def comm() -> str:
        with open(f"/proc/{pane.pid}/comm") as fh:
            return fh.read().strip()

    retry_until(lambda: comm() == "cat")  # env execs cat in the same process


def test_layouts_add_panes_and_windows_but_the_agent_pane_is_found(service, tmux_socket, tmp_path):
    for layout in BUILTIN_LAYOUTS.values():
        name = session_name(f"lay-{layout.name}")
        service.create_session(name, str(tmp_path), AGENT, layout)
        windows = tmux(tmux_socket, "list-windows", "-t", f"={name}", "-F", "#{window_name}").split()
        assert windows[0] == "agent"
        assert len(windows) == 1 + len(layout.windows)
        assert name in service.panes()
        retry_until(lambda n=name: "fake-agent ready" in service.capture(n))


def test_a_hostile_base_index_does_not_confuse_us(tmux_socket, tmp_path):
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g base-index 1\nset -g pane-base-index 1\n")
    tmux(tmux_socket, "-f", str(conf), "new-session", "-d", "-s", "user-session")
    service = TmuxService(tmux_socket, marker=str(tmp_path))
    name = session_name("based1")
    service.create_session(name, str(tmp_path), AGENT, resolve_layout("claude"))
    assert list(service.panes()) == [name]  # the user's own session is not ours
    service.send_text(name, "hello there")
    retry_until(lambda: "received: hello there" in service.capture(name))


def test_send_text_pastes_any_characters_safely(service, tmp_path):
    name = session_name("paste1")
    service.create_session(name, str(tmp_path), AGENT, resolve_layout("default"))
    retry_until(lambda: "fake-agent ready" in service.capture(name))
    tricky = 'it\'s $HOME; `rm -rf /` "quoted" \\ back ; semicolon'
    service.send_text(name, tricky)
    retry_until(lambda: f"received: {tricky}" in service.capture(name))


def test_only_our_sessions_are_touched(service, tmux_socket, tmp_path):
    tmux(tmux_socket, "new-session", "-d", "-s", "cc-orchestrator-notours")  # our prefix, no marker
    tmux(tmux_socket, "new-session", "-d", "-s", "users-own")
    other = TmuxService(tmux_socket, marker="/some/other/data/dir")
    other.create_session(session_name("other1"), str(tmp_path), ["cat"], resolve_layout("default"))
    assert service.panes() == {}
    assert not [s for s in service.sessions() if s.ours]
    for name in ("cc-orchestrator-notours", "users-own", session_name("other1")):
        with pytest.raises(NotFound):
            service.kill_session(name)
    assert "users-own" in tmux(tmux_socket, "list-sessions", "-F", "#{session_name}")


def test_orphans_are_ours_without_a_live_claim(service, tmp_path):
    service.create_session(session_name("keep01"), str(tmp_path), ["cat"], resolve_layout("default"))
    service.create_session(session_name("lost01"), str(tmp_path), ["cat"], resolve_layout("default"))
    found = {s.name: s for s in service.sessions({"keep01"})}
    assert not found[session_name("keep01")].orphan
    assert found[session_name("lost01")].orphan


def test_kill_session_and_missing_sessions(service, tmp_path):
    name = session_name("kill01")
    service.create_session(name, str(tmp_path), ["cat"], resolve_layout("default"))
    service.kill_session(name)
    assert service.panes() == {}
    with pytest.raises(NotFound):
        service.kill_session(name)
    with pytest.raises(NotFound):
        service.capture(name)


def test_a_trailing_semicolon_is_text_not_a_tmux_command_separator(service, tmux_socket, tmp_path):
    name = session_name("semi01")
    service.create_session(name, str(tmp_path), AGENT, resolve_layout("default"))
    retry_until(lambda: "fake-agent ready" in service.capture(name))
    service.send_text(name, "run ls;")
    retry_until(lambda: "received: run ls;" in service.capture(name))
    # an argument "x;" followed by a tmux command name must not run that command
    service.run("set-option", "-t", f"={name}:", "@probe", "x;", "kill-server", check=False)
    assert name in service.panes()


def test_a_lone_semicolon_argument_reaches_the_agent_literally(tmux_socket, tmp_path):
    """`--command "prog ; run-shell 'touch pwned'"` must run prog with those arguments, not a
    tmux command; `find ... -exec ... \\;` needs a literal ";" too."""
    service = TmuxService(tmux_socket, marker="m")
    pwned = tmp_path / "pwned"
    show = "import sys, time; print(sys.argv[1:]); time.sleep(30)"
    argv = [sys.executable, "-c", show, ";", "run-shell", f"touch {pwned}"]
    service.create_session("cc-orchestrator-semi01", str(tmp_path), argv, resolve_layout("default", {}))
    retry_until(lambda: "run-shell" in service.capture("cc-orchestrator-semi01"))
    assert "[';', 'run-shell'," in service.capture("cc-orchestrator-semi01")
    assert not pwned.exists()
