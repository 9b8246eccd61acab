"""`serve` logs at the `log_level` setting, and no credential reaches its log at any level."""

from __future__ import annotations

import logging
import subprocess
import sys

from websockets.sync.client import connect

from cc_orchestrator.web.log_config import HIDDEN, Redact
from cc_orchestrator.web.security import Credentials
from tests.web.conftest import start_serve

TOKEN = "serve-logs-token-" + "q" * 24


def _serve(cli_env, git_repo, level: str | None) -> tuple[subprocess.Popen, str]:
    env = {**cli_env, "CC_ORCHESTRATOR_WEB_TOKEN": TOKEN}
    env.pop("CC_ORCHESTRATOR_LOG_LEVEL", None)
    if level:
        env["CC_ORCHESTRATOR_LOG_LEVEL"] = level
    return start_serve(env, git_repo)


def _knock(base: str) -> None:
    """A WebSocket handshake carrying every credential: in the query, a header and a cookie."""
    port = base.rsplit(":", 1)[1]
    session = Credentials(TOKEN).session
    headers = {"Authorization": f"Bearer {TOKEN}", "Cookie": f"cco_session={session}"}
    with connect(f"ws://127.0.0.1:{port}/ws?token={TOKEN}", additional_headers=headers, open_timeout=10):
        pass


def _log(server: subprocess.Popen) -> str:
    server.terminate()
    _, stderr = server.communicate(timeout=15)
    return stderr


def test_debug_shows_the_handshakes_without_a_credential(cli_env, git_repo):
    server, base = _serve(cli_env, git_repo, "debug")
    try:
        _knock(base)
    finally:
        log = _log(server)
    assert "< GET /ws?token=" in log and HIDDEN in log  # DEBUG applied: websockets' handshake lines
    credentials = Credentials(TOKEN)
    for secret in (credentials.token, credentials.session, credentials.csrf):
        assert secret not in log


def test_info_by_default_names_the_websocket_without_its_token(cli_env, git_repo):
    server, base = _serve(cli_env, git_repo, None)
    try:
        _knock(base)
    finally:
        log = _log(server)
    assert "Started server process" in log and "DEBUG" not in log  # the default, INFO
    assert TOKEN not in log and f"/ws?token={HIDDEN}" in log  # uvicorn names each WebSocket's path at INFO


def test_a_secret_is_hidden_in_arguments_tracebacks_and_percent_encoded():
    secret = "tok/en+with space"
    redact = Redact([secret])
    record = logging.LogRecord(
        "x", logging.DEBUG, __file__, 1, "< GET /ws?token=%s", ("tok%2Fen%2Bwith%20space",), None
    )
    assert redact.filter(record) and record.getMessage() == f"< GET /ws?token={HIDDEN}"
    try:
        raise ValueError(f"bad {secret}")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    redact.filter(failed)
    assert secret not in failed.exc_text and HIDDEN in failed.exc_text
