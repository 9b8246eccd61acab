"""Imports from GitHub and Jira, and a task's pull request, over the real server and real HTTP:
the fake GitHub and Jira in tests/fakes stand where api.github.com and a Jira site would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import git


@pytest.fixture
def orch(integrations_env, orch):
    """The server's orchestrator, with GitHub and Jira set up (the fakes)."""
    return orch


def _no_secrets(response, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in response.text


def test_the_integrations_in_use(http):
    assert http.get("/api/integrations").json() == {"github": True, "jira": True, "slack": False}


def test_import_from_github_twice_makes_each_task_once(http, github, git_repo):
    github.add_issue("acme/web", "Crash on start", "Stack trace inside", labels=["bug"])
    github.add_issue("acme/web", "Dark mode", labels=["enhancement"])
    github.add_issue("acme/web", "Fix the crash", labels=["bug"], pull_request=True)
    body = {"source": "github", "repository": "acme/web", "labels": ["bug"], "state": "open"}

    first = http.post("/api/tasks/import", json=body)
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["source"] == "github" and result["summary"] == "1 new, 0 updated, 0 unchanged, 1 skipped"
    assert (result["unchanged"], result["skipped"], result["updated"]) == (0, 1, [])
    [task] = result["created"]
    assert task["title"] == "Crash on start" and task["description"] == "Stack trace inside"
    assert task["source"] == "github" and task["source_project"] == "acme/web" and task["source_id"] == "1"
    assert task["source_label"] == "acme/web#1" and task["pr_url"] == ""
    assert task["source_url"] == "https://github.example.com/acme/web/issues/1"
    assert task["repo"] == str(git_repo)  # the server's repository, as the CLI would take
    assert http.get(f"/api/tasks/{task['id']}").json()["source_url"] == task["source_url"]
    assert github.requests[-1].query["labels"] == ["bug"]

    github.issues["acme/web"][1]["title"] = "Crash on start (macOS)"
    again = http.post("/api/tasks/import", json=body).json()
    assert again["created"] == [] and [t["id"] for t in again["updated"]] == [task["id"]]
    assert again["updated"][0]["title"] == "Crash on start (macOS)"
    third = http.post("/api/tasks/import", json=body).json()
    assert third["summary"] == "0 new, 0 updated, 1 unchanged, 1 skipped"
    assert http.get("/api/tasks").json()["total"] == 1
    _no_secrets(first, github.token)


def test_import_from_jira_into_a_named_repository(http, jira, tmp_path):
    jira.add_issue("Login fails", "Steps:\n\n1. open the page", priority="High")
    jira.add_issue("Old bug", status="Done")
    jira.add_issue("Other project", project="OPS")
    jql = "project = PROJ AND statusCategory != Done"
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")

    response = http.post("/api/tasks/import", json={"source": "jira", "jql": jql, "repo": str(other)})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["source"] == "jira" and result["summary"] == "1 new, 0 updated, 0 unchanged"
    [task] = result["created"]
    assert (task["title"], task["priority"], task["source_label"]) == ("Login fails", "HIGH", "PROJ-1")
    assert task["source_url"] == f"{jira.url}/browse/PROJ-1" and task["repo"] == str(other)
    again = http.post("/api/tasks/import", json={"source": "jira", "jql": jql}).json()
    assert again["summary"] == "0 new, 0 updated, 1 unchanged"
    assert http.get("/api/tasks").json()["total"] == 1
    _no_secrets(response, jira.token)


def test_a_refused_token_answers_502_in_one_line_and_imports_nothing(http, github, jira, orch):
    github.add_issue("acme/web", "Crash on start")
    jira.add_issue("Login fails")
    ours = github.token, jira.token
    github.token, jira.token = "ghp_another_token_1234567", "jira_another_token_1234567"  # ours are wrong now
    for body in ({"source": "github", "repository": "acme/web"}, {"source": "jira", "jql": "project = PROJ"}):
        response = http.post("/api/tasks/import", json=body)
        assert response.status_code == 502, response.text
        error = response.json()["error"]
        assert error["code"] == "integration_error" and "\n" not in error["message"]
        assert "TOKEN" in error["message"]  # names the setting to fix
        _no_secrets(response, *ours)
    assert orch.tasks.count() == 0


def test_bad_import_requests(http, github):
    def refused(body, status=422):
        response = http.post("/api/tasks/import", json=body)
        assert response.status_code == status, response.text
        return response.json()["error"]

    assert refused({"source": "trello", "board": "x"})["code"] == "validation_error"
    assert refused({"source": "github"})["message"] == "invalid github.repository: Field required"
    assert refused({"source": "github", "repository": "acme/web", "state": "merged"})["code"] == "validation_error"
    assert refused({"source": "jira", "jql": ""})["code"] == "validation_error"
    assert refused({"source": "github", "repository": "not a repo"})["code"] == "invalid_input"
    assert "acme/gone" in refused({"source": "github", "repository": "acme/gone"}, 502)["message"]
    assert http.get("/api/tasks").json()["total"] == 0


def test_open_a_pull_request_for_a_task(http, orch, github, git_repo, tmp_path):
    github.add_issue("acme/web", "Add a changelog")
    [task] = http.post("/api/tasks/import", json={"source": "github", "repository": "acme/web"}).json()["created"]
    refused = http.post(f"/api/tasks/{task['id']}/pull-request")
    assert refused.status_code == 409 and "no worktree" in refused.json()["error"]["message"]  # nothing upstream failed

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(git_repo, "remote", "add", "origin", str(remote))
    instance = http.post("/api/instances", json={"task_id": task["id"], "branch": "changelog"}).json()
    http.post(f"/api/instances/{instance['id']}/stop")
    worktree = Path(instance["worktree_path"])
    (worktree / "CHANGELOG.md").write_text("# Changes\n")
    git(worktree, "add", "CHANGELOG.md")
    git(worktree, "commit", "-q", "-m", "Add a changelog")

    response = http.post(f"/api/tasks/{task['id']}/pull-request", json={"draft": True})
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["level"] == "INFO" and outcome["task_id"] == task["id"]
    assert outcome["url"] == "https://github.example.com/acme/web/pull/2" and outcome["url"] in outcome["message"]
    [pull] = github.pulls["acme/web"]
    assert pull["head"]["ref"] == "changelog" and pull["draft"] is True and "Closes #1" in pull["body"]
    assert http.get(f"/api/tasks/{task['id']}").json()["pr_url"] == outcome["url"]
    assert git(remote, "branch", "--list", "changelog")
    _no_secrets(response, github.token)
