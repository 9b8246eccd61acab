"""Real parts, isolated: a git repository in tmp_path, a private tmux server, a SQLite file."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.helpers import FAKE_AGENT_COMMAND, git, kill_tmux_server


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """No user config, no inherited CC_ORCHESTRATOR_* variables, not inside the user's tmux."""
    for name in list(os.environ):
        if name.startswith("CC_ORCHESTRATOR_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("TMUX_PANE", raising=False)
    config = tmp_path_factory.mktemp("config") / "config.toml"
    monkeypatch.setenv("CC_ORCHESTRATOR_CONFIG_FILE", str(config))


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A real repository on branch main with one commit."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "commit.gpgsign", "false")
    (repo / "README.md").write_text("hello\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


@pytest.fixture
def tmux_socket() -> str:
    """A private tmux server for this test; killed afterwards."""
    name = f"cco-test-{uuid.uuid4().hex[:10]}"
    yield name
    kill_tmux_server(name)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def cli_env(data_dir: Path, tmux_socket: str, monkeypatch) -> dict[str, str]:
    """Environment for the orchestrator in this process and in CLI subprocesses."""
    values = {
        "CC_ORCHESTRATOR_DATA_DIR": str(data_dir),
        "CC_ORCHESTRATOR_TMUX_SOCKET": tmux_socket,
        "CC_ORCHESTRATOR_AGENT_COMMAND": FAKE_AGENT_COMMAND,
        "CC_ORCHESTRATOR_DEFAULT_AGENT": "generic",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **values}


@pytest.fixture
def settings(cli_env):
    from cc_orchestrator.config.settings import load_settings

    return load_settings()


@pytest.fixture
def store(settings):
    from cc_orchestrator.config.paths import database_path
    from cc_orchestrator.core.store.database import Store

    opened = Store(database_path(settings.data_dir))
    yield opened
    opened.close()


def pytest_report_header(config):
    from tests.agents import describe

    return describe()
