"""A real sshd playing the remote host (tests/fakes/sshd.py), and the orchestrator pointed at it."""

from __future__ import annotations

import shutil

import psutil
import pytest

from cc_orchestrator.core.hosts.ssh import control_dir
from tests.fakes.sshd import Sshd, available
from tests.helpers import git, retry_until


def _leftovers(*markers: str) -> list[str]:
    """Processes whose command line names one of `markers`: an sshd or ssh master of this test."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        line = " ".join(process.info["cmdline"] or ())
        if any(marker in line for marker in markers):
            found.append(f"{process.pid} {line}")
    return found


@pytest.fixture
def sshd(tmp_path, data_dir):
    """A started sshd whose host key the client does not know yet (`sshd.trust()` adds it).
    Afterwards neither it, nor a connection it served, nor our ssh master to it is left."""
    reason = available()
    if reason:
        pytest.skip(reason)
    server = Sshd(tmp_path / "remote").start()
    yield server
    server.close()
    sockets = control_dir(data_dir)
    retry_until(lambda: not _leftovers(str(server.root), str(sockets)), timeout=10)
    if not sockets.is_relative_to(data_dir):  # the private folder under /tmp, for a deep data dir
        shutil.rmtree(sockets, ignore_errors=True)


@pytest.fixture
def trusted_sshd(sshd):
    sshd.trust()
    return sshd


@pytest.fixture
def hosts_env(cli_env, sshd, monkeypatch) -> dict[str, str]:
    """`cli_env` with ssh reading the test's client config (port, key, known_hosts)."""
    monkeypatch.setenv("CC_ORCHESTRATOR_SSH_CONFIG", str(sshd.client_config))
    return {**cli_env, "CC_ORCHESTRATOR_SSH_CONFIG": str(sshd.client_config)}


@pytest.fixture
def remote_repo(sshd):
    """A git repository on the remote host, under its HOME."""
    repo = sshd.home / "src" / "project"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=T", "commit", "-q", "--allow-empty", "-m", "first")
    return repo
