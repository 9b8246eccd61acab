"""The real Claude Code CLI under test, against the fake Messages API: its profile, the home it
needs, and the waits its end-to-end tests share (here, and on a remote host in tests/hosts).

Each test runs against every version `.ci/install-agents.sh` installed (`CLAUDE_PARAMS`, the
newest published and the oldest supported); a version whose screens we cannot read fails with
its screen.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from cc_orchestrator.core.models import Instance, InstanceStatus
from cc_orchestrator.errors import OrchestratorError
from tests.agents import installed, params
from tests.helpers import retry_until

CLAUDES = installed("claude")
CLAUDE_PARAMS = params("claude") or [pytest.param(None, id="claude")]
NOT_INSTALLED = "Claude Code not installed: run .ci/install-agents.sh (or put claude on PATH)"
PERMISSION_QUESTION = "Do you want to create hello.py?"
WAIT = 60.0  # generous: two cores, maybe busy with other tests


def onboarded_home(home: Path) -> Path:
    """A HOME where Claude Code's first-run onboarding is done."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    return home


def claude_agents(claude, base_url: str, env: dict[str, str] | None = None) -> dict:
    """The `agents` setting: profile `claude` runs this version against the API at `base_url`
    (no auto-update, no traffic but the API's), asking before each write."""
    return {
        "claude": {
            "command": claude.path,
            "args": ["--permission-mode", "default"],
            "env": {
                "ANTHROPIC_BASE_URL": base_url,
                "ANTHROPIC_API_KEY": "sk-ant-dummy-key-for-tests",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "DISABLE_AUTOUPDATER": "1",
                **(env or {}),
            },
        }
    }


def screen_of(orch, instance_id: str) -> str:
    """The agent's screen now, wherever it runs ("" when it cannot be read)."""
    with contextlib.suppress(OrchestratorError):
        return orch.instances.screen(instance_id)
    return ""


def wait_for_status(
    orch, instance_id: str, status: InstanceStatus, waiting_for: str = "", timeout: float = WAIT
) -> Instance:
    """Poll `get()` (each one refreshes) until the instance has `status` (and that question)."""

    def reached() -> Instance | None:
        instance = orch.instances.get(instance_id)
        if instance.status is status and waiting_for.lower() in instance.waiting_for.lower():
            return instance
        return None

    try:
        return retry_until(reached, timeout=timeout, interval=0.05)
    except AssertionError:
        instance = orch.instances.get(instance_id)
        version = orch.settings.profile("claude").command
        raise AssertionError(
            f"{version}: instance never {status.value} {waiting_for!r}; it is {instance.status.value} "
            f"{instance.waiting_for!r} ({instance.status_message!r}); screen:\n{screen_of(orch, instance_id)}"
        ) from None


def eventually(check, describe):
    """`retry_until(check)`, failing with `describe()` (the state worth seeing) instead."""
    try:
        return retry_until(check, timeout=WAIT, interval=0.1)
    except AssertionError:
        raise AssertionError(f"not reached within {WAIT:.0f} s: {describe()!r}") from None


def answer_startup_dialogs(orch, instance_id: str) -> None:
    """Trust the worktree, then accept the API key (its dialog defaults to "No")."""
    wait_for_status(orch, instance_id, InstanceStatus.WAITING_INPUT, "trust")
    orch.instances.approve(instance_id)
    wait_for_status(orch, instance_id, InstanceStatus.WAITING_INPUT, "API key")
    orch.instances.approve(instance_id)
    chosen = [e.data.get("option") for e in orch.events.since(0, instance_id=instance_id) if "dialog" in e.data]
    assert chosen == ["Yes, I trust this folder", "Yes"], chosen  # by meaning, wherever the cursor was
