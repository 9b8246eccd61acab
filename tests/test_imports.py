"""`tasks import` as a user runs it: the installed CLI against fake GitHub and Jira servers."""

from __future__ import annotations

import json
import sqlite3

import pytest

from cc_orchestrator.config.paths import database_path
from tests.fakes.github_api import FakeGitHub
from tests.fakes.jira_api import FakeJira
from tests.test_cli import ok, refused, run


@pytest.fixture
def gh(cli_env):
    with FakeGitHub() as fake:
        cli_env.update(CC_ORCHESTRATOR_GITHUB_API_URL=fake.api_url, CC_ORCHESTRATOR_GITHUB_TOKEN=fake.token)
        yield fake


@pytest.fixture
def jira(cli_env):
    with FakeJira() as fake:
        cli_env.update(
            CC_ORCHESTRATOR_JIRA_URL=fake.url,
            CC_ORCHESTRATOR_JIRA_EMAIL=fake.email,
            CC_ORCHESTRATOR_JIRA_TOKEN=fake.token,
        )
        yield fake


def tasks(env, cwd) -> list[dict]:
    return json.loads(ok(env, cwd, "tasks", "list", "--json"))


def test_import_github_issues_then_reimport_updates_without_duplicating(cli_env, git_repo, gh):
    gh.add_issue("acme/app", "Crash on start", body="Steps: run it.", labels=["bug", "P1"])
    gh.add_issue("acme/app", "Add dark mode", labels=["feature"])
    gh.add_issue("acme/app", "A pull request", pull_request=True)

    out = ok(cli_env, git_repo, "tasks", "import", "github", "acme/app")
    assert "imported from GitHub acme/app: 2 new, 0 updated, 0 unchanged, 1 skipped" in out
    assert "+ task 1 acme/app#1: Crash on start" in out
    first = tasks(cli_env, git_repo)
    assert [(t["title"], t["priority"], t["source"], t["source_id"]) for t in first] == [
        ("Crash on start", "HIGH", "github", "1"),
        ("Add dark mode", "MEDIUM", "github", "2"),
    ]
    assert first[0]["source_url"].endswith("/acme/app/issues/1")
    assert first[0]["repo"] == str(git_repo)
    assert "acme/app#1" in ok(cli_env, git_repo, "tasks", "list")  # the SOURCE column

    gh.issues["acme/app"][1]["title"] = "Crash on start (macOS)"
    gh.issues["acme/app"][2]["state"] = "closed"
    out = ok(cli_env, git_repo, "tasks", "import", "github", "acme/app", "--state", "all")
    assert "0 new, 2 updated, 0 unchanged" in out
    again = tasks(cli_env, git_repo)
    assert len(again) == 2
    assert again[0]["title"] == "Crash on start (macOS)"
    assert again[1]["status"] == "DONE"  # closed upstream while PENDING
    assert "0 new, 0 updated, 2 unchanged" in ok(
        cli_env, git_repo, "tasks", "import", "github", "acme/app", "--state", "all"
    )


def test_import_with_label_filter(cli_env, git_repo, gh):
    gh.add_issue("acme/app", "bug one", labels=["bug"])
    gh.add_issue("acme/app", "not a bug", labels=["docs"])
    ok(cli_env, git_repo, "tasks", "import", "github", "acme/app", "--label", "bug")
    assert [t["title"] for t in tasks(cli_env, git_repo)] == ["bug one"]


def test_a_failed_import_changes_nothing(cli_env, git_repo, gh, data_dir):
    for n in range(150):  # two pages; the second one is refused by the rate limit
        gh.add_issue("acme/app", f"issue {n}")
    gh.rate_limit_remaining = 1
    gh.rate_limit_reset_in = 3600
    line = refused(cli_env, git_repo, "tasks", "import", "github", "acme/app", match="GitHub rate limit reached")
    assert "resets at" in line
    assert tasks(cli_env, git_repo) == []
    with sqlite3.connect(database_path(data_dir)) as db:
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("args", "env", "match"),
    [
        (
            ["acme/app"],
            {"CC_ORCHESTRATOR_GITHUB_TOKEN": "ghp_wrong_but_secret_1234"},
            "check CC_ORCHESTRATOR_GITHUB_TOKEN",
        ),
        (["acme/nothing"], {}, "GitHub has no repository acme/nothing (404)"),
        (["not a repo"], {}, "expected OWNER/REPO"),
        (["acme/app", "--state", "weird"], {}, "Invalid value for '--state'"),
    ],
)
def test_bad_imports_get_one_line(cli_env, git_repo, gh, args, env, match):
    gh.add_issue("acme/app", "x")
    line = refused({**cli_env, **env}, git_repo, "tasks", "import", "github", *args, match=match)
    assert "ghp_" not in line
    assert tasks(cli_env, git_repo) == []


def test_import_jira_issues(cli_env, git_repo, jira):
    jira.add_issue("Login fails", description="It fails.\n\nAlways.", priority="Highest")
    jira.add_issue("Old story", status="Done")
    jira.add_issue("Other project", project="OPS")

    out = ok(cli_env, git_repo, "tasks", "import", "jira", "--jql", "project = PROJ ORDER BY key")
    assert "imported from Jira: 2 new, 0 updated, 0 unchanged" in out
    found = tasks(cli_env, git_repo)
    assert [(t["title"], t["source_id"], t["priority"], t["status"]) for t in found] == [
        ("Login fails", "PROJ-1", "HIGH", "PENDING"),
        ("Old story", "PROJ-2", "MEDIUM", "DONE"),
    ]
    assert found[0]["description"] == "It fails.\n\nAlways."
    assert found[0]["source_url"] == f"{jira.url}/browse/PROJ-1"
    assert "1 unchanged" in ok(
        cli_env, git_repo, "tasks", "import", "jira", "--jql", "project = PROJ AND statusCategory != Done"
    )


def test_jira_refusals(cli_env, git_repo, jira):
    refused(
        {**cli_env, "CC_ORCHESTRATOR_JIRA_TOKEN": "nope"},
        git_repo,
        "tasks",
        "import",
        "jira",
        "--jql",
        "project = PROJ",
        match="Jira refused the credentials (401)",
    )
    refused(
        {**cli_env, "CC_ORCHESTRATOR_JIRA_URL": ""},
        git_repo,
        "tasks",
        "import",
        "jira",
        "--jql",
        "x",
        match="set jira_url",
    )


def test_tokens_reach_no_file_log_or_output(cli_env, git_repo, gh, jira, data_dir):
    gh.add_issue("acme/app", "x")
    jira.add_issue("y")
    results = [
        run(cli_env, git_repo, "tasks", "import", "github", "acme/app"),
        run(cli_env, git_repo, "tasks", "import", "jira", "--jql", "project = PROJ"),
        run(cli_env, git_repo, "config", "show"),
        run(cli_env, git_repo, "config", "show", "--json"),
        run(
            {**cli_env, "CC_ORCHESTRATOR_GITHUB_TOKEN": gh.token + "x"},
            git_repo,
            "tasks",
            "import",
            "github",
            "acme/app",
        ),
    ]
    secrets = [gh.token, jira.token]
    for result in results:
        for secret in secrets:
            assert secret not in result.stdout + result.stderr
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in content, path
