"""Issue 12, items 1, 8 and 13 on the web face: every hostile or clumsy input gets a 4xx with one
clear message, nothing is stored, and the server keeps answering."""

from __future__ import annotations

import json

import pytest

from cc_orchestrator.core.text import MAX_PROMPT
from tests.helpers import FAKE_AGENT_COMMAND, retry_until

HUGE = "99999999999999999999999"


def refused(response, *words: str) -> str:
    """The one-line message of a 4xx JSON error (never a 500, never "unexpected")."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    message = response.json()["error"]["message"]
    assert "\n" not in message and "unexpected" not in message, message
    for word in words:
        assert word in message, message
    return message


def send(http, method: str, path: str, body: dict):
    """`body` as JSON with \\u escapes, so a lone surrogate travels as JSON allows it."""
    return http.request(method, path, content=json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "body, words",
    [
        ({"title": "a\x00b"}, ("title", "NUL")),
        ({"title": "ok", "description": "log\x00line"}, ("description", "NUL")),
        ({"title": "lone \ud800 surrogate"}, ("title",)),
        ({"title": "ok", "description": "\udcff"}, ("description",)),
        ({"title": "ok", "description": "x" * (MAX_PROMPT + 1)}, ("description", "1000000")),
        ({"title": "t" * 501}, ("title", "500")),
    ],
)
def test_a_task_no_terminal_can_carry_is_refused_and_not_stored(http, orch, body, words):
    refused(send(http, "POST", "/api/tasks", body), *words)
    assert orch.tasks.count() == 0
    task = orch.tasks.add("fine")
    refused(send(http, "PUT", f"/api/tasks/{task.id}", body), *words)
    assert orch.tasks.get(task.id).title == "fine" and orch.tasks.get(task.id).description == ""


def test_a_body_that_is_not_utf8_is_refused(http, orch):
    for raw in (b'{"title": "\xff\xfe"}', b'{"title": "ok", "description": "\xc3\x28"}'):
        refused(http.post("/api/tasks", content=raw, headers={"Content-Type": "application/json"}))
    assert orch.tasks.count() == 0


def test_a_bad_agent_profile_is_refused_and_every_command_still_works(http, orch):
    before = http.get("/api/config").json()
    refused(http.put("/api/config", json={"agents": {"x": {"command": 5}}}), "agents", "command")
    refused(http.put("/api/config", json={"max_instances": 3, "agents": {"x": {"command": 5}}}), "agents")
    assert http.get("/api/config").json() == before  # neither value stored
    assert http.get("/api/instances").status_code == 200
    assert http.get("/api/tasks").status_code == 200
    assert http.get("/api/repositories").status_code in (200, 404)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("task_id", [HUGE, "9223372036854775808", "-1", "0"])
def test_a_task_id_no_task_could_have_is_404_or_422(http, method, task_id):
    response = http.request(method, f"/api/tasks/{task_id}", json={"title": "x"} if method == "PUT" else None)
    assert response.status_code in (404, 422), response.text
    refused(response)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/tasks/{HUGE}/assign",
        f"/api/instances?task_id={HUGE}",
        f"/api/events?after={HUGE}",
        f"/api/events?task_id={HUGE}",
        f"/api/tasks?offset={HUGE}",
        f"/api/instances/{'a' * 300}",
        f"/api/worktrees/{'a' * 300}",
        "/api/worktrees?repo=%00",
        f"/api/worktrees?repo={'x' * 5000}",
        "/api/tasks?repo=%00",
        "/api/instances?repo=%00",
    ],
)
def test_huge_numbers_and_bad_paths_anywhere_are_never_a_500(http, path):
    method = "POST" if path.endswith("/assign") else "GET"
    response = http.request(method, path)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        refused(response)


@pytest.mark.parametrize(
    "branch, words",
    [
        ("b" * 300, ("branch", "200")),
        ("é" * 150, ("branch", "200")),  # 150 characters, 300 bytes: too long for a folder name
        ("bad\x00branch", ("branch",)),
    ],
)
def test_a_branch_name_no_folder_can_hold_is_refused(http, orch, git_repo, branch, words):
    refused(http.post("/api/instances", json={"branch": branch, "command": FAKE_AGENT_COMMAND.split()}), *words)
    refused(http.post("/api/worktrees", json={"branch": branch}), *words)
    assert orch.instances.list() == [] and orch.worktrees.list() == []


@pytest.mark.parametrize(
    "body, words",
    [
        ({"base": "ma\x00in"}, ("NUL",)),
        ({"repo": "/tmp\x00x"}, ("repository", "NUL")),
        ({"repo": "x" * 5000}, ("not inside a git repository",)),
    ],
)
def test_a_repository_or_base_no_system_call_can_take_is_refused(http, orch, git_repo, body, words):
    refused(http.post("/api/instances", json={**body, "command": FAKE_AGENT_COMMAND.split()}), *words)
    refused(http.post("/api/worktrees", json={**body, "branch": "fine"}), *words)
    assert orch.instances.list() == [] and orch.worktrees.list() == []


def test_nul_or_a_megabyte_sent_to_an_instance_is_refused(http, orch, git_repo):
    started = http.post("/api/instances", json={"command": FAKE_AGENT_COMMAND.split()})
    assert started.status_code == 201, started.text
    instance = started.json()["id"]
    refused(http.post(f"/api/instances/{instance}/send", json={"text": "a\x00b"}), "NUL")
    refused(http.post(f"/api/instances/{instance}/send", json={"text": "x" * (MAX_PROMPT + 1)}), "text", "1000000")
    refused(http.post(f"/api/instances/{instance}/send", json={"text": "x" * (1 << 20)}), "1048576")  # 1 MB
    refused(send(http, "POST", f"/api/instances/{instance}/send", {"text": "\ud800"}), "text")
    assert http.get(f"/api/instances/{instance}").status_code == 200
    retry_until(lambda: http.get("/api/instances").json()["total"] == 1)
    assert http.post(f"/api/instances/{instance}/send", json={"text": "still here"}).status_code == 200
