"""`cc-orchestrator serve` as a user starts it: a process of its own, its first lines."""

from __future__ import annotations

import os
import resource
import socket

import httpx

from tests.helpers import retry_until
from tests.web.conftest import TOKEN, start_serve


def test_serve_warns_once_about_an_agent_newer_than_tested(cli_env, git_repo, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text("#!/bin/sh\necho '9.9.9 (Claude Code)'\n")
    (bin_dir / "claude").chmod(0o755)
    env = {**cli_env, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    server, base = start_serve(env, git_repo)
    try:
        assert base.startswith("http://127.0.0.1:")
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    warnings = [line for line in stderr.splitlines() if "newer than the newest version tested" in line]
    assert len(warnings) == 1 and warnings[0].startswith("WARNING: claude 9.9.9")


FD_LIMIT = 128  # soft and hard: raising the soft limit cannot help


def _few_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def test_idle_connections_past_the_fd_limit_neither_wedge_serve_nor_flood_its_log(cli_env, git_repo, tmp_path):
    env = {
        **cli_env,
        "CC_ORCHESTRATOR_WEB_TOKEN": TOKEN,
        "CC_ORCHESTRATOR_WEB_CLIENT_TIMEOUT": "1",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "stderr.log"
    with open(log, "w") as stderr:
        server, base = start_serve(env, git_repo, stderr=stderr, preexec_fn=_few_descriptors)
    port = base.rsplit(":", 1)[1]
    idle: list[socket.socket] = []
    try:

        def answered() -> bool:
            try:
                with httpx.Client(base_url=base, timeout=5) as http:
                    response = http.get("/api/tasks", headers={"Authorization": f"Bearer {TOKEN}"})
                    return response.status_code == 200
            except httpx.HTTPError:
                return False

        def descriptors() -> int:
            return len(os.listdir(f"/proc/{server.pid}/fd"))

        retry_until(answered, timeout=30)
        before = descriptors()
        stalled = [socket.create_connection(("127.0.0.1", int(port)), timeout=10) for _ in range(2)]
        stalled[0].sendall(b"GET /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # a head never ended
        stalled[1].sendall(  # a body that stops coming
            f"POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"title": '.encode()
        )
        idle.extend(stalled)
        for client in stalled:
            client.settimeout(30)
            assert client.recv(4096) == b""  # closed by serve, without an answer
        for _ in range(3 * FD_LIMIT):  # idle: they connect and send nothing
            try:
                idle.append(socket.create_connection(("127.0.0.1", int(port)), timeout=2))
            except OSError:  # refused or not yet accepted: the server is full, as it should say
                pass
        retry_until(answered, timeout=30)  # (a) a real request still gets in
        retry_until(lambda: descriptors() <= before + 16, timeout=30)  # (c) the idle ones were closed
        assert server.poll() is None
    finally:
        for client in idle:
            client.close()
        server.terminate()
        server.communicate(timeout=15)
    text = log.read_text()
    assert len(text.splitlines()) <= 30 and "Traceback" not in text, text[-3000:]  # (b) no flood
