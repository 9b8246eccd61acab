"""Each rule of the issue's "Security" section, tried against the real server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tests.helpers import git, retry_until
from tests.web.conftest import TOKEN

PROTECTED = [
    ("GET", "/api/instances"),
    ("GET", "/api/tasks"),
    ("POST", "/api/tasks"),
    ("GET", "/api/worktrees"),
    ("PUT", "/api/config"),
    ("GET", "/openapi.json"),
    ("GET", "/static/js/main.js"),
]


def handshake(server, headers: dict[str, str], path: str = "/ws") -> int:
    """The status a raw WebSocket handshake gets (101 means accepted)."""
    lines = [
        f"GET {path} HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def bearer(server, **extra) -> dict[str, str]:
    return {"Host": f"127.0.0.1:{server.port}", "Authorization": f"Bearer {TOKEN}", **extra}


def sign_in(server) -> httpx.Client:
    """A browser-like client that used the printed link: it holds the cookies."""
    client = server.client(token=None)
    response = client.get(f"/?token={TOKEN}")
    assert response.status_code == 303 and response.headers["location"] == "/"
    return client


def csrf(client, server) -> str:
    return client.cookies[f"cco_csrf_{server.port}"]


# -- a token on every request ----------------------------------------------------------------


@pytest.mark.parametrize("method, path", PROTECTED)
def test_no_token_no_access(server, method, path):
    with server.client(token=None) as anonymous:
        response = anonymous.request(method, path, json={"title": "x"} if method != "GET" else None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("method, path", PROTECTED)
def test_a_wrong_token_is_refused(server, method, path):
    with server.client(token="wrong-" + TOKEN[6:]) as guessing:
        assert guessing.request(method, path).status_code == 401


def test_the_right_token_and_the_public_pages(server):
    with server.client() as http:
        assert http.get("/api/tasks").status_code == 200
    with server.client(token=None) as anonymous:
        assert anonymous.get("/").status_code == 303  # to the sign-in form
        assert anonymous.get("/").headers["location"] == "/login"
        assert anonymous.get("/login").status_code == 200
        assert anonymous.get("/api/tasks", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        assert anonymous.get("/api/tasks", headers={"Authorization": "Bearer"}).status_code == 401


def test_the_websocket_needs_the_token(server):
    host = {"Host": f"127.0.0.1:{server.port}"}
    assert handshake(server, host) in (401, 403)
    assert handshake(server, {**host, "Authorization": "Bearer nope-nope-nope-nope"}) in (401, 403)
    assert handshake(server, {**host, "Authorization": f"Bearer {TOKEN}"}) == 101
    assert handshake(server, {**host, "Authorization": f"Bearer {TOKEN}"}, path=f"/ws?token={TOKEN}") == 101
    assert handshake(server, host, path=f"/ws?token={TOKEN}") in (401, 403)  # never from a query


# -- Host and Origin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1.evil.example:{port}",
        "localhost.evil.example",
        "localhost@evil.example",
        "[::2]:{port}",
        "127.0.0.2:{port}",
        "0.0.0.0:{port}",
        "localhost:99999",
    ],
)
def test_a_foreign_host_header_is_refused(server, host):
    host = host.format(port=server.port)
    with server.client() as http:
        response = http.get("/api/tasks", headers={"Host": host})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_host"
    assert handshake(server, bearer(server, Host=host)) in (400, 403)


@pytest.mark.parametrize(
    "host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "localhost", "LOCALHOST:{port}"]
)
def test_loopback_host_names_are_allowed(server, host):
    with server.client() as http:
        assert http.get("/api/tasks", headers={"Host": host.format(port=server.port)}).status_code == 200


@pytest.mark.parametrize(
    "origin, accepted",
    [
        ("http://127.0.0.1:{port}", True),
        (None, True),  # scripts send none; browsers always do
        ("http://evil.example", False),
        ("http://evil.example:{port}", False),
        ("null", False),
        ("http://localhost:{port}", False),  # another origin than the one the page came from
        ("http://127.0.0.1:1", False),
        ("https://127.0.0.1:{port}", False),
        ("file://", False),
    ],
)
def test_the_websocket_origin_must_be_ours(server, origin, accepted):
    headers = bearer(server)
    if origin is not None:
        headers["Origin"] = origin.format(port=server.port)
    status = handshake(server, headers)
    assert (status == 101) is accepted, status


def test_cors_is_off_unless_configured(make_server):
    plain = make_server()
    preflight = {
        "Origin": "http://tool.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    with plain.client() as http:
        response = http.options("/api/tasks", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        assert (
            "access-control-allow-origin"
            not in http.get("/api/tasks", headers={"Origin": "http://tool.example"}).headers
        )
    configured = make_server(cors_origins=["http://tool.example"])
    with configured.client(token=None) as anonymous:
        response = anonymous.options("/api/tasks", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "http://tool.example"
        assert "access-control-allow-credentials" not in response.headers
        assert anonymous.get("/api/tasks", headers={"Origin": "http://tool.example"}).status_code == 401
        other = anonymous.options("/api/tasks", headers={**preflight, "Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# -- the sign-in link, the cookie and CSRF --------------------------------------------------------


def test_the_sign_in_link_sets_a_strict_http_only_cookie_once(server):
    client = server.client(token=None)
    response = client.get(f"/?token={TOKEN}")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(f"cco_session_{server.port}="))
    token_cookie = next(c for c in cookies if c.startswith(f"cco_csrf_{server.port}="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
    assert "HttpOnly" not in token_cookie and "SameSite=strict" in token_cookie
    assert TOKEN not in " ".join(cookies)  # the cookies hold derived values, not the token
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"  # the link's page has the token
    assert client.get("/").status_code == 200
    assert client.get("/api/tasks").status_code == 200

    with server.client(token=None) as second_browser:
        again = second_browser.get(f"/?token={TOKEN}")
        assert again.status_code == 401 and "used already" in again.text
        assert not again.headers.get_list("set-cookie")
        assert second_browser.get(f"/api/tasks?token={TOKEN}").status_code == 401
    client.close()


def test_the_query_token_is_never_accepted_on_the_api(server):
    with server.client(token=None) as anonymous:
        assert anonymous.get(f"/api/tasks?token={TOKEN}").status_code == 401
        assert anonymous.post(f"/api/tasks?token={TOKEN}", json={"title": "x"}).status_code == 401
    with server.client() as http:
        assert http.get("/api/tasks").json()["total"] == 0


def test_state_changes_with_the_cookie_need_the_csrf_header(server, orch):
    client = sign_in(server)
    assert client.post("/api/tasks", json={"title": "no header"}).status_code == 403
    wrong = client.post("/api/tasks", json={"title": "wrong header"}, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "csrf_failed"
    foreign = client.post(
        "/api/tasks",
        json={"title": "cross-site"},
        headers={"X-CSRF-Token": csrf(client, server), "Origin": "http://evil.example"},
    )
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "bad_origin"
    assert client.delete("/api/tasks/1").status_code == 403
    assert orch.tasks.count() == 0
    made = client.post(
        "/api/tasks",
        json={"title": "with header"},
        headers={"X-CSRF-Token": csrf(client, server), "Origin": f"http://127.0.0.1:{server.port}"},
    )
    assert made.status_code == 201
    assert [t.title for t in orch.tasks.list()] == ["with header"]
    client.close()


def test_the_websocket_with_the_cookie_checks_the_origin(server):
    client = sign_in(server)
    cookie = f"cco_session_{server.port}={client.cookies[f'cco_session_{server.port}']}"
    host = {"Host": f"127.0.0.1:{server.port}", "Cookie": cookie}
    assert handshake(server, {**host, "Origin": f"http://127.0.0.1:{server.port}"}) == 101
    assert handshake(server, {**host, "Origin": "http://evil.example"}) in (400, 403)
    assert handshake(server, {**host, "Origin": "null"}) in (400, 403)
    assert handshake(server, {**host, "Cookie": f"cco_session_{server.port}=forged"}) in (401, 403)
    client.close()


def test_the_sign_in_form(server):
    with server.client(token=None) as browser:
        wrong = browser.post("/login", data={"token": "not-it-" + "x" * 20})
        assert wrong.status_code == 401 and "Wrong token" in wrong.text
        foreign = browser.post("/login", data={"token": TOKEN}, headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403
        right = browser.post("/login", data={"token": TOKEN})
        assert right.status_code == 303 and right.headers["location"] == "/"
        assert browser.get("/api/tasks").status_code == 200
        out = browser.post("/logout", headers={"X-CSRF-Token": csrf(browser, server)})
        assert out.status_code == 303
        assert browser.get("/api/tasks").status_code == 401


def test_wrong_tokens_are_throttled_but_the_right_one_always_gets_in(server):
    server.app.state.throttle.penalty = 0.05  # the pause before a 429 (1 s by default)
    wrong = "wrong-token-wrong-token"
    with server.client(token=wrong) as guessing:
        for _ in range(5):
            assert guessing.get("/api/tasks").status_code == 401
        refused = guessing.get("/api/tasks")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "too_many_attempts"
    with server.client() as http:  # the same address (every local client is 127.0.0.1)
        assert http.get("/api/tasks").status_code == 200
    host = {"Host": f"127.0.0.1:{server.port}"}
    assert handshake(server, {**host, "Authorization": f"Bearer {wrong}"}) == 429
    assert handshake(server, bearer(server)) == 101
    with server.client(token=None) as browser:
        assert browser.post("/login", data={"token": wrong}).status_code == 429
        assert browser.get(f"/?token={wrong}").status_code == 429
        assert browser.post("/login", data={"token": TOKEN}).status_code == 303
        assert browser.get("/api/tasks").status_code == 200
    with server.client(token=None) as link:
        assert link.get(f"/?token={TOKEN}").status_code == 303  # the printed link still works once
        assert link.get("/api/tasks").status_code == 200
    with server.client(token=wrong) as guessing:
        assert guessing.get("/api/tasks").status_code == 429  # a guesser who keeps on stays refused


def test_throttle_forgets_after_its_window():
    from cc_orchestrator.web.throttle import Throttle

    throttle = Throttle(max_failures=2, window=0.2)
    assert throttle.fail("a") == 0
    assert throttle.retry_after("a") == 0
    assert throttle.fail("a") == 0  # the second of two allowed
    assert 0 < throttle.retry_after("a") <= 0.2 and throttle.retry_after("b") == 0
    assert 0 < throttle.fail("a") <= 0.2  # past the limit: refused, and counted
    retry_until(lambda: throttle.retry_after("a") == 0, timeout=2)
    many = Throttle(max_clients=3)
    for n in range(10):
        many.fail(str(n))
    assert len(many._failures) == 3


def test_bodies_are_bounded(server, orch):
    with server.client() as http:
        huge = http.post(
            "/api/tasks", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers={"Content-Type": "application/json"}
        )
        assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"

        def chunks():
            yield b'{"title": '
            yield b'"chunked"}'

        chunked = http.post("/api/tasks", content=chunks(), headers={"Content-Type": "application/json"})
        assert chunked.status_code == 411
    assert orch.tasks.count() == 0


def test_a_short_token_from_the_environment_is_refused(monkeypatch):
    from cc_orchestrator.errors import InvalidInput
    from cc_orchestrator.web.server import load_token

    monkeypatch.setenv("CC_ORCHESTRATOR_WEB_TOKEN", "short")
    with pytest.raises(InvalidInput, match="too short"):
        load_token()
    monkeypatch.delenv("CC_ORCHESTRATOR_WEB_TOKEN")
    assert len(load_token()) >= 40 and load_token() != load_token()


def test_pages_get_security_headers(server):
    client = sign_in(server)
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    client.close()


# -- paths and commands from requests ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/worktrees/..%2f..%2frepo",
        "/api/worktrees/..%2F",
        "/api/worktrees/%2e%2e",
        "/api/worktrees/%2e%2e%2f%2e%2e%2f",
        "/api/worktrees/{id}%2f..%2f..%2frepo",
        "/api/worktrees/..%5c..%5crepo",
        "/api/worktrees/{abs_path}",
        "/api/worktrees/{worktree_path}",
        "/api/worktrees/%00{id}",
        "/api/instances/..%2f..%2f{id}",
        "/api/tasks/..%2f1",
    ],
)
def test_path_tricks_delete_nothing(server, orch, git_repo, path):
    with server.client() as http:
        worktree = http.post("/api/worktrees", json={"branch": "keep/me"}).json()
        sentinel = os.path.join(worktree["path"], "sentinel.txt")
        with open(sentinel, "w") as fh:
            fh.write("precious\n")
        git(git_repo, "tag", "before")
        task = http.post("/api/tasks", json={"title": "keep"}).json()
        url = path.format(
            id=worktree["id"],
            abs_path=str(git_repo).replace("/", "%2f"),
            worktree_path=worktree["path"].replace("/", "%2F"),
        )
        for method in ("DELETE", "GET"):
            response = http.request(method, url, params={"force": "true"})
            assert 400 <= response.status_code < 500, (method, url, response.status_code)
        assert os.path.exists(sentinel) and os.path.isfile(git_repo / "README.md")
        assert http.get(f"/api/worktrees/{worktree['id']}").status_code == 200
        assert http.get(f"/api/tasks/{task['id']}").status_code == 200
        assert git(git_repo, "branch", "--list", "keep/me")


def test_agents_get_an_argument_list_never_a_shell_line(server, git_repo, tmp_path):
    probe = tmp_path / "argv.txt"
    code = f"import sys; open({str(probe)!r}, 'w').write(repr(sys.argv[1:]))"
    trap = tmp_path / "pwned"
    args = [f"$(touch {trap})", f"`touch {trap}`", "a b", "'quoted'", f"x; touch {trap}", "|", "&&"]
    with server.client() as http:
        started = http.post("/api/instances", json={"command": [sys.executable, "-c", code, *args]})
        assert started.status_code == 201, started.text
        retry_until(lambda: probe.exists() and probe.read_text())
    assert eval(probe.read_text()) == args  # every argument arrived as it was sent
    assert not trap.exists()


# -- serve(): the address, the printed link, no token in logs ------------------------------------


def test_serve_refuses_a_remote_address_unless_asked(monkeypatch, cli_env):
    from cc_orchestrator.errors import InvalidInput
    from cc_orchestrator.web import server

    with pytest.raises(InvalidInput, match="refusing to listen on 192.0.2.1"):
        server.serve("192.0.2.1", 0, allow_remote=False)
    assert server.is_loopback("127.0.0.1") and server.is_loopback("::1") and server.is_loopback("localhost")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("192.0.2.1")


def test_serve_on_a_remote_address_warns(monkeypatch, capsys, cli_env):
    import uvicorn

    from cc_orchestrator.web import server

    seen = {}

    def fake_bind(host, port):  # never listen beyond loopback in a test
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        return sock

    def fake_run(self, sockets=None):
        seen["hosts"] = self.config.app.state.guard.allowed_hosts

    monkeypatch.setattr(server, "bind", fake_bind)
    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    monkeypatch.setenv("CC_ORCHESTRATOR_WEB_TOKEN", TOKEN)
    server.serve("192.0.2.1", 0, allow_remote=True)
    out, err = capsys.readouterr()
    assert "WARNING" in err and "192.0.2.1" in err
    assert re.search(rf"http://192\.0\.2\.1:\d+/\?token={TOKEN}", out)
    assert "192.0.2.1" in seen["hosts"] and "localhost" in seen["hosts"]


def test_serve_reports_a_taken_port(cli_env):
    from cc_orchestrator.errors import Conflict
    from cc_orchestrator.web import server

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(Conflict, match="choose another with --port"):
            server.serve("127.0.0.1", taken.getsockname()[1])


def test_serve_prints_the_link_once_and_never_logs_the_token(cli_env, tmp_path):
    env = {**cli_env, "CC_ORCHESTRATOR_WEB_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cc_orchestrator.web", "--port", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        try:
            match = retry_until(lambda: re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", log.read_text()))
            assert match.group(2) == TOKEN
            base = f"http://127.0.0.1:{match.group(1)}"
            with httpx.Client(base_url=base, timeout=10) as browser:
                assert browser.get(f"/?token={TOKEN}").status_code == 303
                assert browser.get(f"/?token={TOKEN}").status_code == 303  # signed in: just redirected
                assert browser.get("/api/tasks").status_code == 200
            with httpx.Client(base_url=base, timeout=10) as other:
                assert other.get(f"/?token={TOKEN}").status_code == 401
                assert other.get("/api/tasks", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
                assert other.get("/api/nothing", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=15)
    text = log.read_text()
    assert text.count(TOKEN) == 1, text  # only in the printed link


def test_cookie_names_depend_on_the_port():
    from cc_orchestrator.web.origins import same_origin
    from cc_orchestrator.web.security import cookie_names

    assert cookie_names("127.0.0.1:8080", "http") == ("cco_session_8080", "cco_csrf_8080")
    assert cookie_names("localhost", "https") == ("cco_session_443", "cco_csrf_443")
    assert same_origin("http://localhost", "localhost:80", "http")
    assert same_origin("http://[::1]:8080", "[::1]:8080", "ws")
    assert not same_origin("http://localhost:8080/path", "localhost:8080", "http")
    assert not same_origin("http://user@localhost:8080", "evil:8080", "http")
