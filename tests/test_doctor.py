"""`agents doctor`: installed, tested range, and a live probe of the first screen; with the
fake agent always, and with every real agent `.ci/install-agents.sh` installed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cc_orchestrator.config.agents import AgentProfile
from cc_orchestrator.core.agents.doctor import check, newer_than_tested, verdict
from tests.agents import params
from tests.helpers import FAKE_AGENT_COMMAND


def test_versions_are_judged_against_the_tested_range():
    tested = ["2.1.197", "2.1.332"]
    assert verdict("2.1.200", tested) == "tested"
    assert verdict("2.1.332", tested) == "tested"
    assert verdict("2.1.340", tested) == "newer than tested"
    assert verdict("2.1.9", tested) == "older than supported"
    assert verdict("1.0.0", []) == "untested"


def test_the_probe_reads_a_line_agents_first_screen(tmp_path):
    profile = AgentProfile(name="fake", command=f"{FAKE_AGENT_COMMAND} --prompt 'go> '", version_args=["--help"])
    report = check(profile)
    assert report.path and report.probe.seen == "ready" and report.probe.detail == "reading its terminal"
    assert report.ok


def test_the_probe_names_a_dialog_and_a_program_that_exits():
    asks = AgentProfile(
        name="fake",
        command=f"{FAKE_AGENT_COMMAND} --startup-choose x.txt",
        dialogs=[{"name": "q", "pattern": r"create"}],
    )
    assert check(asks).probe.seen == "dialog"
    exits = check(AgentProfile(name="fake", command=f"{FAKE_AGENT_COMMAND} --exit-at-once 3"))
    assert exits.probe.seen == "exited" and not exits.ok


def test_a_missing_program_is_reported_not_probed():
    report = check(AgentProfile(name="nope", command="no-such-agent-program"))
    assert report.path is None and report.summary == "not installed" and report.probe is None


def test_doctor_json_from_the_cli(cli_env, git_repo):
    result = subprocess.run(
        [sys.executable, "-m", "cc_orchestrator", "agents", "doctor", "generic", "--json"],
        env=cli_env,
        cwd=git_repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["name"] == "generic" and report["probe"]["seen"] == "ready"


@pytest.mark.slow
@pytest.mark.parametrize("agent", params("claude") + params("codex") or [pytest.param(None, id="none")])
def test_the_probe_reads_each_real_agents_first_screen(agent, tmp_path):
    """What a user who has set the agent up sees first in a new folder: Claude Code (signed in
    with an API key, here against a fake Messages API) asks whether to trust the folder; Codex
    without a login asks how to sign in. The probe must read that off the real screen."""
    if agent is None:
        pytest.skip("no real agent installed: run .ci/install-agents.sh")
    from cc_orchestrator.config.agents import resolve_profiles
    from tests.fakes.anthropic_api import FakeAnthropicAPI

    base = resolve_profiles({})[agent.name]
    home = tmp_path / "home"
    (home / ".codex").mkdir(parents=True)
    (home / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    env = {"HOME": str(home), "CODEX_HOME": str(home / ".codex"), "DISABLE_AUTOUPDATER": "1"}
    with FakeAnthropicAPI() as api:
        env |= {"ANTHROPIC_BASE_URL": api.base_url, "ANTHROPIC_API_KEY": "sk-ant-dummy-key-for-tests"}
        report = check(base.model_copy(update={"command": agent.path, "env": env}))
    assert report.version == agent.version
    if agent.name == "codex":  # signed out: how to sign in; or its prompt, where it finds a login
        assert report.probe.seen == "ready" or "sign_in" in report.probe.detail, report
    else:
        assert report.probe.seen == "dialog" and "trust" in report.probe.detail, report
    assert report.ok, report


def test_a_newer_agent_than_tested_gets_one_warning(tmp_path):
    program = tmp_path / "claude"
    program.write_text("#!/bin/sh\necho '9.9.9 (Claude Code)'\n")
    program.chmod(0o755)
    profile = AgentProfile(name="claude", command=str(program), tested_versions=["2.1.197", "2.1.332"])
    (warning,) = newer_than_tested([profile])
    assert "claude 9.9.9 is newer than the newest version tested" in warning and "agents doctor claude" in warning
