"""The REST API over real HTTP, on the real services (git, tmux, SQLite, the fake agent)."""

from __future__ import annotations

import os

from tests.helpers import FAKE_AGENT_COMMAND, capture, git, retry_until

FAKE = FAKE_AGENT_COMMAND.split()


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# -- tasks ----------------------------------------------------------------------------------


def test_tasks_create_get_update_delete(http):
    first = http.post("/api/tasks", json={"title": "Write docs", "priority": "high"})
    assert first.status_code == 201
    task = first.json()
    assert task["status"] == "PENDING" and task["priority"] == "HIGH" and task["source"] == "manual"
    second = http.post("/api/tasks", json={"title": "Ship", "dependencies": [task["id"]]}).json()
    assert second["dependencies"] == [task["id"]] and second["blocked"] is True

    assert http.get(f"/api/tasks/{task['id']}").json()["title"] == "Write docs"
    moved = http.put(f"/api/tasks/{task['id']}", json={"status": "done", "title": "Write the docs"})
    assert moved.status_code == 200 and moved.json()["status"] == "DONE" and moved.json()["title"] == "Write the docs"
    assert http.get(f"/api/tasks/{second['id']}").json()["blocked"] is False

    dropped = http.put(f"/api/tasks/{second['id']}", json={"dependencies": []}).json()
    assert dropped["dependencies"] == []
    assert http.delete(f"/api/tasks/{second['id']}").json()["id"] == second["id"]
    _error(http.get(f"/api/tasks/{second['id']}"), 404, "not_found")


def test_a_dependency_set_is_replaced_whole_by_the_task_service(http, orch):
    a, b, c = (orch.tasks.add(name) for name in "abc")
    task = orch.tasks.add("d", dependencies=[a.id, b.id])
    replaced = http.put(f"/api/tasks/{task.id}", json={"dependencies": [b.id, c.id]})
    assert replaced.status_code == 200 and replaced.json()["dependencies"] == [b.id, c.id]
    both = http.put(f"/api/tasks/{task.id}", json={"dependencies": [a.id], "add_dependencies": [c.id]}).json()
    assert both["dependencies"] == [a.id, c.id]
    _error(http.put(f"/api/tasks/{task.id}", json={"dependencies": [b.id, 9999], "title": "x"}), 404)
    assert orch.tasks.get(task.id).dependencies == (a.id, c.id) and orch.tasks.get(task.id).title == "d"


def test_a_description_may_be_as_long_as_the_core_allows(http, orch):
    from cc_orchestrator.core.text import MAX_PROMPT

    long = http.post("/api/tasks", json={"title": "long", "description": "x" * 200_000})
    assert long.status_code == 201 and len(long.json()["description"]) == 200_000  # the CLI's limit, not 100,000
    error = _error(http.post("/api/tasks", json={"title": "too long", "description": "x" * (MAX_PROMPT + 1)}), 422)
    assert "1000000" in error["message"] and orch.tasks.count() == 1


def test_task_list_is_paginated_and_filtered(http, orch):
    for n in range(25):
        orch.tasks.add(f"task {n}", priority="high" if n % 5 == 0 else "low")
    page = http.get("/api/tasks", params={"limit": 10, "offset": 20}).json()
    assert page["total"] == 25 and page["limit"] == 10 and page["offset"] == 20
    assert [t["title"] for t in page["items"]] == [f"task {n}" for n in range(20, 25)]
    high = http.get("/api/tasks", params={"priority": "HIGH"}).json()
    assert high["total"] == 5 and all(t["priority"] == "HIGH" for t in high["items"])
    assert http.get("/api/tasks", params={"status": "DONE"}).json()["total"] == 0
    _error(http.get("/api/tasks", params={"status": "SOMEDAY"}), 422, "invalid_input")
    _error(http.get("/api/tasks", params={"limit": 0}), 422, "validation_error")
    _error(http.get("/api/tasks", params={"limit": 5000}), 422, "validation_error")


def test_task_errors_are_json_4xx(http, orch):
    a = orch.tasks.add("a")
    b = orch.tasks.add("b", dependencies=[a.id])
    error = _error(http.put(f"/api/tasks/{a.id}", json={"dependencies": [b.id]}), 422, "invalid_input")
    assert "cycle" in error["message"]
    _error(http.put(f"/api/tasks/{a.id}", json={"status": "REVIEW"}), 422)
    _error(http.post("/api/tasks", json={"title": ""}), 422, "validation_error")
    _error(http.post("/api/tasks", json={"title": "x", "colour": "red"}), 422, "validation_error")
    _error(http.get("/api/tasks/abc"), 422, "validation_error")
    _error(http.get("/api/nothing-here"), 404, "not_found")
    _error(http.patch("/api/instances"), 405, "method_not_allowed")


# -- instances ------------------------------------------------------------------------------


def _ready(orch, instance_id: str) -> None:
    retry_until(lambda: "fake-agent ready" in capture(orch.settings.tmux_socket, f"cc-orchestrator-{instance_id}"))


def test_start_send_and_stop_an_instance(http, orch, git_repo):
    started = http.post("/api/instances", json={"branch": "feature/web"})
    assert started.status_code == 201, started.text
    instance = started.json()
    assert instance["status"] == "RUNNING" and instance["branch"] == "feature/web"
    assert instance["tmux_session"] == f"cc-orchestrator-{instance['id']}"
    assert os.path.isdir(instance["worktree_path"]) and instance["worktree_id"]
    _ready(orch, instance["id"])

    listed = http.get("/api/instances").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == instance["id"]
    assert http.get("/api/instances", params={"status": "stopped"}).json()["total"] == 0
    assert http.get("/api/instances", params={"live": True}).json()["total"] == 1

    sent = http.post(f"/api/instances/{instance['id']}/send", json={"text": "hello from the web"})
    assert sent.status_code == 200
    retry_until(lambda: "received: hello from the web" in capture(orch.settings.tmux_socket, instance["tmux_session"]))
    tail = retry_until(
        lambda: [
            line for line in http.get(f"/api/instances/{instance['id']}/logs").json()["lines"] if "received" in line
        ]
    )
    assert tail == ["received: hello from the web"]
    usage = retry_until(lambda: http.get(f"/api/instances/{instance['id']}/metrics").json()["samples"])
    assert usage[-1]["memory_mb"] > 0

    stopped = http.post(f"/api/instances/{instance['id']}/stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "STOPPED"
    _error(http.post(f"/api/instances/{instance['id']}/stop"), 409, "conflict")
    _error(http.post(f"/api/instances/{instance['id']}/send", json={"text": "x"}), 409, "conflict")
    assert os.path.isdir(instance["worktree_path"])  # stop keeps the worktree


def test_approve_a_permission_prompt(http, orch, git_repo):
    instance = http.post("/api/instances", json={}).json()
    _ready(orch, instance["id"])
    http.post(f"/api/instances/{instance['id']}/send", json={"text": "ask approved.txt"})
    waiting = retry_until(
        lambda: (i := http.get(f"/api/instances/{instance['id']}").json())["status"] == "WAITING_INPUT" and i
    )
    assert "approved.txt" in waiting["waiting_for"]
    assert http.post(f"/api/instances/{instance['id']}/approve").status_code == 200
    retry_until(lambda: os.path.exists(os.path.join(instance["worktree_path"], "approved.txt")))
    _error(http.post(f"/api/instances/{instance['id']}/approve"), 409, "conflict")


def test_delete_stops_and_removes_the_worktree_but_not_unsaved_work(http, orch, git_repo):
    instance = http.post("/api/instances", json={}).json()
    _ready(orch, instance["id"])
    with open(os.path.join(instance["worktree_path"], "unsaved.txt"), "w") as fh:
        fh.write("work\n")
    error = _error(http.delete(f"/api/instances/{instance['id']}"), 409, "conflict")
    assert "uncommitted" in error["message"]
    assert http.get(f"/api/instances/{instance['id']}").json()["status"] in ("RUNNING", "IDLE")  # not stopped
    removed = http.delete(f"/api/instances/{instance['id']}", params={"force": True})
    assert removed.status_code == 200 and removed.json()["status"] == "STOPPED"
    assert not os.path.exists(instance["worktree_path"])
    assert not git(git_repo, "branch", "--list", instance["branch"])


def test_put_restarts_a_stopped_instance(http, orch, git_repo):
    instance = http.post("/api/instances", json={}).json()
    assert http.put(f"/api/instances/{instance['id']}", json={"status": "STOPPED"}).json()["status"] == "STOPPED"
    restarted = http.put(f"/api/instances/{instance['id']}", json={"status": "RUNNING"})
    assert restarted.status_code == 200 and restarted.json()["status"] in ("STARTING", "RUNNING")
    _error(http.put(f"/api/instances/{instance['id']}", json={"status": "RUNNING"}), 409, "conflict")
    _error(http.put(f"/api/instances/{instance['id']}", json={"status": "IDLE"}), 422, "validation_error")
    http.post(f"/api/instances/{instance['id']}/stop")


def test_assigning_a_task_starts_an_instance_that_gets_the_prompt(http, orch, git_repo):
    task = http.post("/api/tasks", json={"title": "Say hi", "description": "work 0"}).json()
    instance = http.post(f"/api/tasks/{task['id']}/assign", json={}).json()
    assert instance["task_id"] == task["id"]
    # the server's tick delivers the prompt once the agent is ready
    retry_until(lambda: http.get(f"/api/tasks/{task['id']}").json()["status"] == "IN_PROGRESS", timeout=20)
    assert "received: Say hi" in capture(orch.settings.tmux_socket, instance["tmux_session"])
    _error(http.post(f"/api/tasks/{task['id']}/assign", json={}), 409, "conflict")
    _error(http.delete(f"/api/tasks/{task['id']}"), 409, "conflict")
    http.post(f"/api/instances/{instance['id']}/stop")


def test_unknown_instances_and_bad_start_requests(http, git_repo, tmp_path):
    _error(http.get("/api/instances/abcdef"), 404, "not_found")
    _error(http.get("/api/instances/abcdef/logs"), 404, "not_found")
    _error(http.post("/api/instances/abcdef/approve"), 404, "not_found")
    _error(http.post("/api/instances", json={"repo": str(tmp_path)}), 422, "not_a_repository")
    _error(http.post("/api/instances", json={"agent": "nobody"}), 422, "invalid_input")
    _error(http.post("/api/instances", json={"branch": "-x"}), 422, "invalid_input")
    _error(http.post("/api/instances", json={"command": ["sh", "-c", "true;"]}), 422, "invalid_input")
    _error(http.post("/api/instances", json={"command": []}), 422, "invalid_input")
    assert http.get("/api/instances").json()["total"] == 0  # nothing half-made


# -- worktrees ------------------------------------------------------------------------------


def test_worktrees_by_id(http, orch, git_repo):
    created = http.post("/api/worktrees", json={"branch": "exp/one"})
    assert created.status_code == 201, created.text
    worktree = created.json()
    assert worktree["status"] == "IDLE" and os.path.isdir(worktree["path"])
    assert http.get(f"/api/worktrees/{worktree['id']}").json()["branch"] == "exp/one"
    assert http.get("/api/worktrees").json()["total"] == 1
    assert http.get("/api/worktrees", params={"status": "ACTIVE"}).json()["total"] == 0
    report = http.get(f"/api/worktrees/{worktree['id']}/report").json()
    assert report["uncommitted_files"] == [] and report["worktree"]["id"] == worktree["id"]

    with open(os.path.join(worktree["path"], "new.txt"), "w") as fh:
        fh.write("x\n")
    assert "uncommitted" in _error(http.delete(f"/api/worktrees/{worktree['id']}"), 409, "conflict")["message"]
    assert http.delete(f"/api/worktrees/{worktree['id']}", params={"force": True}).status_code == 200
    assert not os.path.exists(worktree["path"])
    _error(http.get(f"/api/worktrees/{worktree['id']}"), 404, "not_found")


# -- config, events, docs -----------------------------------------------------------------


def test_config_get_and_put(http, orch):
    entries = {e["key"]: e for e in http.get("/api/config").json()["entries"]}
    assert entries["max_instances"]["value"] == 5
    assert entries["github_token"]["secret"] is True
    updated = http.put("/api/config", json={"max_instances": 8, "log_level": "debug"})
    assert updated.status_code == 200
    entries = {e["key"]: e for e in updated.json()["entries"]}
    assert entries["max_instances"]["value"] == 8 and entries["max_instances"]["source"] == "stored"
    assert entries["log_level"]["value"] == "DEBUG"
    assert "secret" in _error(http.put("/api/config", json={"github_token": "x"}), 422)["message"]
    _error(http.put("/api/config", json={"no_such_setting": 1}), 422, "invalid_input")
    _error(http.put("/api/config", json={"max_instances": 0}), 422, "invalid_input")
    assert orch.config.stored()["max_instances"] == 8


def test_settings_are_saved_together_or_not_at_all(http, orch):
    before = orch.config.stored()
    for body in ({"max_instances": 3, "no_such_setting": 1}, {"max_instances": 3, "log_level": "chatty"}):
        _error(http.put("/api/config", json=body), 422, "invalid_input")
        assert orch.config.stored() == before  # the valid value was not stored either
    saved = http.put("/api/config", json={"Max-Instances": 3, "auto_assign": True})
    assert saved.status_code == 200, saved.text
    assert {k: orch.config.stored()[k] for k in ("max_instances", "auto_assign")} == {
        "max_instances": 3,
        "auto_assign": True,
    }


def test_repos_to_start_instances_in(http, git_repo):
    repos = http.get("/api/repos").json()
    assert repos["default"] == str(git_repo) and isinstance(repos["known"], list)
    _error(http.get("/api/repositories"), 404, "not_found")


def test_events_and_openapi_docs(http, orch):
    orch.tasks.add("evented")
    events = http.get("/api/events", params={"limit": 5}).json()
    assert events[-1]["kind"] == "task_update" and "evented" in events[-1]["message"]
    after = http.get("/api/events", params={"after": events[-1]["id"]}).json()
    assert after == []
    assert http.get("/api/events", params={"kind": "task_update"}).json()[0]["kind"] == "task_update"
    other = orch.tasks.add("another")
    mine = http.get("/api/events", params={"task_id": other.id}).json()
    assert [e["message"] for e in mine] == [f"task {other.id} added: another"]
    docs = http.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text  # works without internet
    assert http.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    spec = http.get("/openapi.json").json()
    for path in (
        "/api/instances",
        "/api/instances/{instance_id}",
        "/api/tasks",
        "/api/tasks/{task_id}",
        "/api/worktrees",
        "/api/worktrees/{worktree_id}",
        "/api/config",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "InstanceOut" in spec["components"]["schemas"]
