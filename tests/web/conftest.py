"""The real server on 127.0.0.1 (a free port), in a thread of the test process, over the test's
private data dir, tmux socket and fake agent; real HTTP (httpx) and real WebSockets."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from cc_orchestrator.core.orchestrator import Orchestrator

TOKEN = "test-token-" + "x" * 32


class LiveServer:
    def __init__(self, app) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.app = app
        config = uvicorn.Config(app, access_log=False, log_level="warning", ws_max_size=64 * 1024)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.02)

    def client(self, token: str | None = TOKEN, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30, **kwargs)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()
        if self.thread.is_alive():
            raise RuntimeError("the web server did not stop within 15 s")


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir, stop_timeout=2.0)
    yield orchestrator
    orchestrator.close()


@pytest.fixture
def github():
    """The fake GitHub API (tests/fakes); `integrations_env` points the orchestrator at it."""
    from tests.fakes.github_api import FakeGitHub

    with FakeGitHub(token="ghp_web_import_secret_4242") as fake:
        yield fake


@pytest.fixture
def jira():
    from tests.fakes.jira_api import FakeJira

    with FakeJira(email="dev@example.com", token="jira_web_import_secret_4242") as fake:
        yield fake


@pytest.fixture
def integrations_env(github, jira, monkeypatch):
    """Settings for the fakes. The orchestrator reads its settings on first use, so a module
    overrides `orch` with `def orch(integrations_env, orch)` to serve with them."""
    for name, value in {
        "CC_ORCHESTRATOR_GITHUB_API_URL": github.api_url,
        "CC_ORCHESTRATOR_GITHUB_TOKEN": github.token,
        "CC_ORCHESTRATOR_JIRA_URL": jira.url,
        "CC_ORCHESTRATOR_JIRA_EMAIL": jira.email,
        "CC_ORCHESTRATOR_JIRA_TOKEN": jira.token,
        "CC_ORCHESTRATOR_HTTP_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def make_server(orch, git_repo):
    from cc_orchestrator.web.app import create_app

    servers: list[LiveServer] = []

    def make(**options) -> LiveServer:
        options.setdefault("default_repo", git_repo)
        options.setdefault("sweep", 0.5)  # CPU/memory samples and health checks come sooner
        server = LiveServer(create_app(orch, TOKEN, **options))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server) -> LiveServer:
    return make_server()


@pytest.fixture
def http(server):
    with server.client() as client:
        yield client


def start_serve(env: dict[str, str], cwd, **popen) -> tuple[subprocess.Popen, str]:
    """`cc-orchestrator serve --port 0` as users run it; returns the process (stop it with
    `server.terminate()` and `communicate`) and its base URL, read from the sign-in link it prints."""
    popen.setdefault("stderr", subprocess.PIPE)
    server = subprocess.Popen(
        [sys.executable, "-m", "cc_orchestrator", "serve", "--port", "0"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        text=True,
        **popen,
    )
    link = server.stdout.readline()
    if not link.startswith("cc-orchestrator dashboard: http://"):
        server.kill()
        _, stderr = server.communicate(timeout=15)
        raise AssertionError(f"serve did not start: {link!r} {stderr or ''}")
    return server, link.split(": ", 1)[1].split("/?", 1)[0]
