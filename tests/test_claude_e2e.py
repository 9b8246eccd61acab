"""The real Claude Code CLI under the orchestrator, offline against a fake Messages API.

Everything goes through the Python API, as a face would use it: each `instances.get()` ingests
the hook spool and reads the screen. Every test runs against each version that
`.ci/install-agents.sh` installed by exact version (the newest published and the oldest we
support); the test ids name them. A version whose screens we cannot read fails with its screen.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from cc_orchestrator.core.models import Instance, InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from tests.claude_code import (
    CLAUDE_PARAMS,
    CLAUDES,
    NOT_INSTALLED,
    PERMISSION_QUESTION,
    WAIT,
    answer_startup_dialogs,
    claude_agents,
    eventually,
    onboarded_home,
    wait_for_status,
)
from tests.fakes.anthropic_api import HELLO, INPUT_TOKENS, OUTPUT_TOKENS, FakeAnthropicAPI
from tests.helpers import capture, retry_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300), pytest.mark.skipif(not CLAUDES, reason=NOT_INSTALLED)]


@pytest.fixture(params=CLAUDE_PARAMS)
def claude(request):
    return request.param


@pytest.fixture
def api():
    with FakeAnthropicAPI() as server:
        yield server


@pytest.fixture
def orch(api, claude, data_dir, tmux_socket, tmp_path, monkeypatch):
    """An orchestrator whose default agent is the real CLI, in a home of its own."""
    for name in ("ANTHROPIC_AUTH_TOKEN", "CLAUDECODE", "CLAUDE_CONFIG_DIR", "CLAUDE_CODE_ENTRYPOINT"):
        monkeypatch.delenv(name, raising=False)  # the tmux server inherits this environment
    home = onboarded_home(tmp_path / "home")
    orchestrator = Orchestrator(
        data_dir,
        tmux_socket=tmux_socket,
        default_agent="claude",
        stop_timeout=5.0,
        agents=claude_agents(claude, api.base_url, {"HOME": str(home)}),
    )
    yield orchestrator
    for instance in orchestrator.instances.list(refresh=False):
        if instance.status is not InstanceStatus.STOPPED:
            orchestrator.instances.stop(instance.id)
    orchestrator.close()


def time_permission_prompt(orch, instance: Instance) -> tuple[Instance, float]:
    """Wait for the Write permission prompt; the delay between it showing on the screen and
    the instance being WAITING_INPUT, both polled every 50 ms."""
    shown: list[float] = []
    done = threading.Event()

    def watch_screen() -> None:
        while not done.is_set():
            if PERMISSION_QUESTION in capture(orch.settings.tmux_socket, instance.tmux_session):
                shown.append(time.monotonic())
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch_screen, daemon=True)
    watcher.start()
    try:
        waiting = wait_for_status(orch, instance.id, InstanceStatus.WAITING_INPUT, "create hello.py")
        seen = time.monotonic()
        watcher.join(timeout=5)
    finally:
        done.set()
    assert shown, "the permission prompt was never seen on the screen"
    return waiting, seen - shown[0]


def test_claude_creates_a_file_after_the_user_approves(orch, git_repo, api):
    task = orch.tasks.add("please create hello.py", repo=str(git_repo))
    instance = orch.assign(task.id, wait=False)
    assert instance.agent == "claude" and instance.pending_prompt

    answer_startup_dialogs(orch, instance.id)
    waiting, delay = time_permission_prompt(orch, instance)
    print(f"WAITING_INPUT {delay:.3f} s after the permission prompt showed")  # a figure, not a limit
    assert not waiting.pending_prompt
    assert orch.tasks.get(task.id).status.value == "IN_PROGRESS"

    orch.instances.approve(instance.id)
    hello = Path(instance.worktree_path) / "hello.py"
    retry_until(lambda: hello.exists() and hello.read_text() == HELLO, timeout=WAIT)
    wait_for_status(orch, instance.id, InstanceStatus.IDLE)

    def exchange() -> list[str] | None:
        lines = [e.message for e in orch.events.since(0, instance_id=instance.id)]
        wanted = ("prompt: please create hello.py", "tool Write: ", "turn ended: Done.")
        return lines if all(any(line.startswith(w) for line in lines) for w in wanted) else None

    messages = eventually(exchange, lambda: orch.events.since(0, instance_id=instance.id))
    assert any(m.startswith("tool Write: ") and m.endswith("hello.py") for m in messages)

    # from the transcript: the Write call's reply and "Done." (the title request is not there);
    # "Done." may reach the transcript after the Stop hook ran: a refresh counts it then
    def counted() -> Instance | None:
        current = orch.instances.get(instance.id)
        return current if (current.tokens_in, current.tokens_out) == (2 * INPUT_TOKENS, 2 * OUTPUT_TOKENS) else None

    idle = eventually(counted, lambda: orch.instances.get(instance.id))
    assert idle.model and idle.model.startswith("claude")
    assert len(api.requests) >= 2  # the agent loop twice, and the session title

    def pane_log() -> list[str]:
        return orch.instances.logs.tail(instance.id, lines=40)

    # the pane log is the raw terminal stream: Claude Code redraws single characters with cursor
    # moves, so only lines it writes whole read back exactly ("● Done." can come back "● D ne.")
    # ("Wrote 1 lines to hello.py" up to 2.1.197; a side panel's "git add :/hello.py" in 2.1.332)
    eventually(lambda: any("hello.py" in line and "please create" not in line for line in pane_log()), pane_log)
    stopped = orch.instances.stop(instance.id)
    assert stopped.status is InstanceStatus.STOPPED


def test_a_rejected_write_creates_nothing_and_the_instance_goes_idle(orch, git_repo):
    instance = orch.instances.start(git_repo, prompt="please create hello.py")
    answer_startup_dialogs(orch, instance.id)
    wait_for_status(orch, instance.id, InstanceStatus.WAITING_INPUT, "create hello.py")

    rejected = orch.instances.reject(instance.id)
    assert rejected.status is InstanceStatus.RUNNING
    # no Stop hook runs after a rejection: IDLE comes from the screen
    wait_for_status(orch, instance.id, InstanceStatus.IDLE, timeout=10)
    assert not (Path(instance.worktree_path) / "hello.py").exists()
    messages = [e.message for e in orch.events.since(0, instance_id=instance.id)]
    assert not any(m.startswith("turn ended") for m in messages)


def test_after_a_reboot_recover_resumes_the_conversation(orch, api, git_repo):
    """The tmux server dies (a reboot, as far as our agents know); recover starts Claude Code
    again with `--resume <session id>` from its hooks, and the conversation is still there: the
    next prompt reaches the API with the first one before it. (The screen is no proof: a resumed
    2.1.197 may paint the old turns into scrollback, above what capture-pane shows.)"""
    from tests.helpers import kill_tmux_server

    instance = orch.instances.start(git_repo, prompt="say hello")
    answer_startup_dialogs(orch, instance.id)

    def turn_ended() -> bool:
        orch.instances.get(instance.id)  # a refresh: ingest the hooks
        return any(e.message.startswith("turn ended") for e in orch.events.since(0, instance_id=instance.id))

    eventually(turn_ended, lambda: capture(orch.settings.tmux_socket, instance.tmux_session))
    session_id = orch.instances.get(instance.id).session_id
    assert session_id
    kill_tmux_server(orch.settings.tmux_socket)
    lost = orch.instances.get(instance.id)
    assert lost.status is InstanceStatus.STOPPED and lost.status_message.startswith("session lost")
    (recovery,) = orch.instances.recover()
    assert recovery.resumed and not recovery.error, recovery
    with open(f"/proc/{recovery.instance.pid}/cmdline", "rb") as fh:
        assert f"--resume\0{session_id}".encode() in fh.read()
    wait_for_status(orch, instance.id, InstanceStatus.IDLE)
    orch.instances.send(instance.id, "say it again")

    def resumed_turn() -> bool:
        for body in list(api.requests):
            said = json.dumps(body.get("messages") or [])
            if "say it again" in said and "say hello" in said.split("say it again")[0]:
                return True
        return False

    eventually(resumed_turn, lambda: capture(orch.settings.tmux_socket, instance.tmux_session))
