"""TmuxService against a real tmux server on a private socket."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from cc_orchestrator.core.tmux.layouts import BUILTIN_LAYOUTS, Layout, WindowPlan, resolve_layout
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


def hostile_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A folder whose name holds tmux format syntax: `#{...}` and a `#(command)` that would make
    the file returned second."""
    pwned = tmp_path / "PWN"
    folder = Path(f"{tmp_path}/d#{{session_name}}#{{x}}#(touch {pwned})")
    folder.mkdir(parents=True)
    return folder, pwned


def test_format_syntax_in_folders_and_window_names_is_taken_literally(service, tmux_socket, tmp_path):
    folder, pwned = hostile_folder(tmp_path)
    name = session_name("fmt001")
    window = WindowPlan("w#{session_name}#(touch " + str(pwned) + ")", ("cat", "cat"))
    layout = Layout("hostile", "split and windows", agent_splits=("cat",), windows=(window,))
    pane = service.create_session(name, str(folder), ["cat"], layout)
    paths = tmux(tmux_socket, "list-panes", "-s", "-t", f"={name}", "-F", "#{pane_current_path}").splitlines()
    assert paths == [str(folder)] * 4  # the agent, its split, the window's two panes
    windows = tmux(tmux_socket, "list-windows", "-t", f"={name}", "-F", "#{window_name}").splitlines()
    assert windows == ["agent", window.name]
    tmux(tmux_socket, "kill-pane", "-t", pane.pane_id)
    service.create_session(session_name("fmt002"), str(tmp_path), ["sh", "-c", "exit 0"], resolve_layout("default"))
    dead = retry_until(lambda: (p := service.panes().get(session_name("fmt002"))) and p.dead and p)
    respawned = service.respawn(session_name("fmt002"), dead.pane_id, str(folder), ["cat"], {}, None)
    assert os.readlink(f"/proc/{respawned.pid}/cwd") == str(folder)
    assert not pwned.exists()


def test_an_instance_in_a_data_dir_with_format_syntax_runs_in_its_worktree_and_logs(cli_env, git_repo, tmp_path):
    """Issue 12 item 10: tmux read `-c` as a format, so the agent started elsewhere and tmux ran
    the `#(...)` command; pane logging and the pane-died hook must work there too."""
    from cc_orchestrator.core.orchestrator import Orchestrator

    data, pwned = hostile_folder(tmp_path)
    orch = Orchestrator(data, worktree_root=str(data / "trees#{x}"))
    try:
        instance = orch.instances.start(git_repo)
        assert instance.worktree_path.startswith(str(data))
        assert os.readlink(f"/proc/{instance.pid}/cwd") == instance.worktree_path
        log = orch.instances.logs.path(instance.id)
        retry_until(lambda: log.exists() and "fake-agent ready" in log.read_text(errors="replace"))
        orch.instances.send(instance.id, "exit 3")
        events = data / "spool" / "tmux.events"
        retry_until(lambda: f"pane-died {instance.tmux_session}" in reaped(orch.tmux, events))
        assert not pwned.exists()
    finally:
        orch.close()


def reaped(service: TmuxService, events: Path) -> str:
    """The events file, after making tmux collect exited children (tmux 3.3 sometimes misses a
    SIGCHLD, tmux/tmux#4841, and then runs no hook until another child of the server exits)."""
    service.reap()
    return events.read_text() if events.exists() else ""


@pytest.fixture
def watched(tmux_socket, tmp_path):
    return TmuxService(tmux_socket, marker=str(tmp_path), events=tmp_path / "spool" / "tmux.events")


def test_an_exiting_agent_and_an_exiting_pane_append_their_lines(watched, tmp_path):
    events = watched.events
    events.parent.mkdir()
    name = session_name("exit01")
    layout = Layout("side", "a window whose pane ends", windows=(WindowPlan("side", ("sleep 0.2",)),))
    watched.create_session(name, str(tmp_path), ["sh", "-c", "sleep 0.4; exit 3"], layout)
    # the agent's pane stays (remain-on-exit): pane-died; the other window's pane goes: pane-exited
    retry_until(lambda: {f"pane-died {name}", f"pane-exited {name}"} <= set(reaped(watched, events).splitlines()))
    assert watched.panes()[name].exit_status == 3
    assert oct(events.stat().st_mode & 0o777) == "0o600"


def test_a_silent_agent_appends_a_silence_line_each_silent_stretch(watched, tmux_socket, tmp_path):
    events = watched.events
    events.parent.mkdir()
    name = session_name("quiet1")
    pane = watched.create_session(name, str(tmp_path), ["cat"], resolve_layout("default"))
    watched.watch_silence([pane.pane_id, "%999"], 1)  # a pane that is gone is skipped
    assert tmux(tmux_socket, "show-options", "-w", "-v", "-t", pane.pane_id, "monitor-silence").strip() == "1"
    retry_until(lambda: events.exists() and events.read_text().count(f"alert-silence {name}") >= 2)
    assert name in watched.panes()  # the alert was cleared (kill-session -C), not the session killed
