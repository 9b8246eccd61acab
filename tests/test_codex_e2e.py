"""The real Codex CLI under the orchestrator, offline against a fake OpenAI Responses API.

Codex reads a config of its own in a temporary CODEX_HOME: a model provider whose `base_url`
is the fake on loopback, a dummy key, `approval_policy = "on-request"` (the fake's command asks
for escalation, so Codex asks the user), no update check. The journey is a user's: a task is
started, the folder-trust dialog is approved, the prompt is delivered, the command's approval
shows as WAITING_INPUT, approve, the file appears, the turn's notification makes it IDLE with
its session id, model and tokens; a restart resumes that session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from tests.agents import installed, params
from tests.fakes.openai_api import FILE_CONTENT, INPUT_TOKENS, OUTPUT_TOKENS, FakeOpenAIAPI
from tests.helpers import capture, retry_until

CODEXES = installed("codex")
WAIT = 60.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not CODEXES, reason="Codex not installed: run .ci/install-agents.sh (or put codex on PATH)"),
]

CONFIG = """\
model = "gpt-fake"
model_provider = "fake"
approval_policy = "on-request"
sandbox_mode = "workspace-write"
check_for_update_on_startup = false

[analytics]
enabled = false

[feedback]
enabled = false

[model_providers.fake]
name = "Fake OpenAI"
base_url = "{base_url}/v1"
wire_api = "responses"
env_key = "FAKE_OPENAI_API_KEY"
"""


@pytest.fixture(params=params("codex") or [pytest.param(None, id="codex")])
def codex(request):
    return request.param


@pytest.fixture
def orch(codex, data_dir, tmux_socket, tmp_path):
    with FakeOpenAIAPI() as api:
        home = tmp_path / "codex-home"
        home.mkdir()
        (home / "config.toml").write_text(CONFIG.format(base_url=api.base_url))
        tools = Path(codex.path).parent.parent / "codex-path"  # rg, beside the binary
        env = {
            "HOME": str(tmp_path),
            "CODEX_HOME": str(home),
            "FAKE_OPENAI_API_KEY": "sk-dummy-key-for-tests",
            "PATH": f"{tools}:/usr/local/bin:/usr/bin:/bin",
        }
        orchestrator = Orchestrator(
            data_dir,
            tmux_socket=tmux_socket,
            stop_timeout=5.0,
            default_agent="codex",
            agents={"codex": {"command": codex.path, "env": env}},
        )
        yield orchestrator
        for instance in orchestrator.instances.list(refresh=False):
            if instance.status is not InstanceStatus.STOPPED:
                orchestrator.instances.stop(instance.id)
        orchestrator.close()


def wait_for(orch, instance_id, status: InstanceStatus, waiting_for: str = "", timeout: float = WAIT):
    def reached():
        instance = orch.instances.get(instance_id)
        return instance if instance.status is status and waiting_for in instance.waiting_for else None

    try:
        return retry_until(reached, timeout=timeout, interval=0.05)
    except AssertionError:
        instance = orch.instances.get(instance_id)
        screen = capture(orch.settings.tmux_socket, instance.tmux_session)
        raise AssertionError(
            f"{orch.settings.profile('codex').command}: never {status.value} {waiting_for!r}; it is "
            f"{instance.status.value} {instance.waiting_for!r} ({instance.status_message!r}); screen:\n{screen}"
        ) from None


def test_codex_runs_an_approved_command_and_resumes_its_session(orch, git_repo):
    task = orch.tasks.add("please create hello.txt", repo=str(git_repo))
    instance = orch.assign(task.id, wait=False)
    assert instance.agent == "codex" and instance.pending_prompt

    wait_for(orch, instance.id, InstanceStatus.WAITING_INPUT, "Trust this folder?")
    orch.instances.approve(instance.id)
    asked = wait_for(orch, instance.id, InstanceStatus.WAITING_INPUT, "Would you like to run the following command?")
    assert not asked.pending_prompt  # delivered by a refresh once Codex was ready
    assert orch.tasks.get(task.id).status.value == "IN_PROGRESS"
    orch.instances.approve(instance.id)
    chosen = [e.data.get("option") for e in orch.events.since(0, instance_id=instance.id) if "dialog" in e.data]
    assert chosen == ["Trust and continue", "Yes, proceed (y)"], chosen  # never "don't ask again"

    hello = Path(instance.worktree_path) / "hello.txt"
    retry_until(lambda: hello.exists() and hello.read_text() == FILE_CONTENT, timeout=WAIT)
    idle = wait_for(orch, instance.id, InstanceStatus.IDLE)

    def recorded():
        current = orch.instances.get(instance.id)
        return current if current.session_id and current.tokens_in else None

    done = retry_until(recorded, timeout=WAIT)
    assert (done.tokens_in, done.tokens_out, done.model) == (2 * INPUT_TOKENS, 2 * OUTPUT_TOKENS, "gpt-fake")
    messages = [e.message for e in orch.events.since(0, instance_id=instance.id)]
    assert "turn ended: Done." in messages, messages
    assert idle.status is InstanceStatus.IDLE

    orch.instances.stop(instance.id)
    again = orch.instances.restart(instance.id)
    with open(f"/proc/{again.pid}/cmdline", "rb") as fh:
        assert f"resume\0{done.session_id}".encode() in fh.read()
    resumed = wait_for(orch, instance.id, InstanceStatus.IDLE)
    # the conversation goes on: Codex replays it
    retry_until(lambda: "please create hello.txt" in capture(orch.settings.tmux_socket, resumed.tmux_session))
