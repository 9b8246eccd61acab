"""Finished work goes back upstream: a pushed branch and a pull request, Jira transitions, Slack.

Real parts throughout: a bare repository as the remote, the fake agent in a private tmux
server, fake GitHub, Jira and Slack servers on loopback.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from cc_orchestrator.core.events import utcnow
from cc_orchestrator.core.models import EventKind, InstanceStatus, Level
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.store.tables import EventRow
from tests.fakes.github_api import FakeGitHub
from tests.fakes.jira_api import FakeJira
from tests.fakes.slack_webhook import FakeSlack
from tests.helpers import git, retry_until
from tests.test_cli import ok, run


@pytest.fixture
def remote(git_repo: Path, tmp_path: Path) -> Path:
    """A bare repository as `origin`, holding main."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(git_repo, "remote", "add", "origin", str(bare))
    git(git_repo, "push", "-q", "origin", "main")
    return bare


@pytest.fixture
def gh(cli_env):
    with FakeGitHub() as fake:
        cli_env.update(CC_ORCHESTRATOR_GITHUB_API_URL=fake.api_url, CC_ORCHESTRATOR_GITHUB_TOKEN=fake.token)
        fake.add_repo("acme/app")
        yield fake


def worktree_of(env, cwd, task_id: int) -> Path:
    instances = json.loads(ok(env, cwd, "instances", "list", "--json"))
    return Path(next(i["worktree_path"] for i in instances if i["task_id"] == task_id))


def commit_in(worktree: Path, name: str) -> None:
    (worktree / name).write_text("print('hello')\n")
    git(worktree, "add", name)
    git(worktree, "-c", "user.email=a@example.com", "-c", "user.name=Agent", "commit", "-q", "-m", f"add {name}")


def test_review_pushes_the_branch_and_opens_a_pull_request_that_closes_the_issue(cli_env, git_repo, remote, gh):
    gh.add_issue("acme/app", "Add hello.py", body="Write hello.py.")
    ok(cli_env, git_repo, "tasks", "import", "github", "acme/app")
    ok(cli_env, git_repo, "tasks", "assign", "1")
    worktree = worktree_of(cli_env, git_repo, 1)
    commit_in(worktree, "hello.py")
    (worktree / "scratch.txt").write_text("not committed\n")
    branch = git(worktree, "branch", "--show-current").strip()

    result = run(cli_env, git_repo, "tasks", "update", "1", "--status", "review")

    assert result.returncode == 0, result.stderr
    pull = gh.pulls["acme/app"][0]
    assert (pull["head"]["ref"], pull["base"]["ref"], pull["title"]) == (branch, "main", "Add hello.py")
    assert pull["body"].startswith("Closes #1\n\nWrite hello.py.")
    assert f"opened pull request {pull['html_url']}" in result.stdout + result.stderr
    assert "1 uncommitted file(s)" in result.stderr  # reported, never swept into the pull request
    assert git(remote, "rev-parse", branch) == git(worktree, "rev-parse", "HEAD")
    shown = json.loads(ok(cli_env, git_repo, "tasks", "show", "1", "--json"))
    assert shown["pr_url"] == pull["html_url"]

    # `tasks pr` again finds the open one instead of opening a second
    assert "found the open pull request" in ok(cli_env, git_repo, "tasks", "pr", "1")
    assert len(gh.pulls["acme/app"]) == 1

    # more work after review: back in review, the new commit is pushed to the same pull request
    ok(cli_env, git_repo, "tasks", "update", "1", "--status", "in_progress")
    commit_in(worktree, "more.py")
    again = run(cli_env, git_repo, "tasks", "update", "1", "--status", "review")
    assert f"found the open pull request {pull['html_url']}" in again.stdout + again.stderr
    assert git(remote, "rev-parse", branch) == git(worktree, "rev-parse", "HEAD")
    assert len(gh.pulls["acme/app"]) == 1

    done = run(
        {**cli_env, "CC_ORCHESTRATOR_GITHUB_ON_DONE": "close"}, git_repo, "tasks", "update", "1", "--status", "done"
    )
    assert "commented on and closed acme/app#1" in done.stdout
    assert gh.comments[("acme/app", 1)][0]["body"] == f"Done in {pull['html_url']}"
    assert gh.issues["acme/app"][1]["state"] == "closed"


def test_review_without_commits_says_so_and_keeps_the_status(cli_env, git_repo, remote, gh):
    gh.add_issue("acme/app", "Nothing yet")
    ok(cli_env, git_repo, "tasks", "import", "github", "acme/app")
    ok(cli_env, git_repo, "tasks", "assign", "1")

    result = run(cli_env, git_repo, "tasks", "update", "1", "--status", "review")

    assert result.returncode == 0
    assert "has no commits beyond main; nothing to open a pull request for" in result.stderr
    assert json.loads(ok(cli_env, git_repo, "tasks", "show", "1", "--json"))["status"] == "REVIEW"
    assert gh.pulls.get("acme/app", []) == []

    commit_in(worktree_of(cli_env, git_repo, 1), "later.py")
    assert "opened pull request" in ok(cli_env, git_repo, "tasks", "pr", "1")


def test_review_without_a_token_says_how_to_open_the_pull_request(cli_env, git_repo):
    with FakeGitHub() as fake:
        fake.add_issue("acme/app", "Public issue")
        env = {**cli_env, "CC_ORCHESTRATOR_GITHUB_API_URL": fake.api_url}  # no token: public import only
        ok(env, git_repo, "tasks", "import", "github", "acme/app")
        ok(env, git_repo, "tasks", "update", "1", "--status", "in_progress")
        result = run(env, git_repo, "tasks", "update", "1", "--status", "review")
    assert result.returncode == 0
    assert (
        "task 1: no pull request was opened: set CC_ORCHESTRATOR_GITHUB_TOKEN, then `cco tasks pr 1`" in result.stderr
    )


def test_a_refused_pull_request_is_one_line_and_the_push_is_kept(cli_env, git_repo, remote, gh):
    gh.add_issue("acme/app", "Read-only token")
    gh.read_only = True
    ok(cli_env, git_repo, "tasks", "import", "github", "acme/app")
    ok(cli_env, git_repo, "tasks", "assign", "1")
    commit_in(worktree_of(cli_env, git_repo, 1), "x.py")
    result = run(cli_env, git_repo, "tasks", "pr", "1")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "(403)" in result.stderr and "CC_ORCHESTRATOR_GITHUB_TOKEN" in result.stderr
    assert gh.token not in result.stderr


def test_a_missing_remote_names_the_setting(cli_env, git_repo, gh):
    gh.add_issue("acme/app", "No remote")
    ok(cli_env, git_repo, "tasks", "import", "github", "acme/app")
    ok(cli_env, git_repo, "tasks", "assign", "1")
    commit_in(worktree_of(cli_env, git_repo, 1), "x.py")
    result = run(cli_env, git_repo, "tasks", "pr", "1")
    assert "has no remote 'origin'; set github_remote" in result.stderr


# -- Jira ---------------------------------------------------------------------------------


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir)
    yield orchestrator
    orchestrator.close()


def test_jira_issue_follows_the_task(cli_env, data_dir):
    with FakeJira() as jira:
        key = jira.add_issue("Story")
        orch = Orchestrator(data_dir, jira_url=jira.url, jira_email=jira.email, jira_token=jira.token)
        orch.integrations.import_jira("project = PROJ")

        orch.tasks.update(1, status="in_progress")
        assert [o.message for o in orch.dispatcher.dispatch()] == [f"task 1: moved {key} to In Progress"]
        jira.workflow["In Progress"] = [("31", "Done", "Done")]  # this workflow has no review step
        orch.tasks.update(1, status="review")
        [outcome] = orch.dispatcher.dispatch()
        assert (
            outcome.level is Level.WARNING and "no way from PROJ-1's current status to 'In Review'" in outcome.message
        )
        assert jira.issues[key]["status"] == "In Progress"
        orch.tasks.update(1, status="done")
        orch.dispatcher.dispatch()
        assert jira.issues[key]["status"] == "Done"
        warnings = [e.message for e in orch.events.since(0) if e.level is Level.WARNING]
        assert any("left it as it is" in m for m in warnings)
        orch.close()


# -- Slack --------------------------------------------------------------------------------


def status_event(
    orch: Orchestrator,
    status: InstanceStatus,
    previous: InstanceStatus,
    detail: str = "",
    task_id: int | None = None,
    age: timedelta | None = None,
) -> None:
    """An instance_status event as instances/status.py writes it."""

    def write() -> None:
        event_id = orch.events.add(
            EventKind.INSTANCE_STATUS,
            f"instance abc123 {status.value}" + (f": {detail}" if detail else ""),
            instance_id="abc123",
            task_id=task_id,
            data={"status": status.value, "previous": previous.value, "pid": 1, "source": "hook"},
        )
        if age:
            EventRow.update(created_at=utcnow() - age).where(EventRow.id == event_id).execute()

    orch.store.write(write)


def slack_orch(data_dir: Path, slack: FakeSlack, **settings) -> Orchestrator:
    return Orchestrator(data_dir, slack_webhook_url=slack.webhook_url, **settings)


def test_slack_notices_for_waiting_errors_and_finished_turns(cli_env, data_dir, orch):
    task = orch.tasks.add("Fix login")
    with FakeSlack() as slack:
        o = slack_orch(data_dir, slack)
        status_event(
            o, InstanceStatus.WAITING_INPUT, InstanceStatus.RUNNING, "Do you want to create hello.py?", task.id
        )
        status_event(o, InstanceStatus.IDLE, InstanceStatus.RUNNING, task_id=task.id)
        status_event(o, InstanceStatus.IDLE, InstanceStatus.STARTING)  # ready, not finished: no notice
        status_event(o, InstanceStatus.ERROR, InstanceStatus.RUNNING, "exited with status 3")
        status_event(o, InstanceStatus.WAITING_INPUT, InstanceStatus.RUNNING, "old", age=timedelta(hours=1))
        o.dispatcher.dispatch()
        texts = [m["text"] for m in slack.messages]
        assert texts == [
            ":raising_hand: Instance `abc123` (task 1 “Fix login”) is waiting for you: Do you want to create hello.py?",
            ":white_check_mark: Instance `abc123` (task 1 “Fix login”) finished its turn and is idle",
            ":x: Instance `abc123` failed: exited with status 3",
        ]
        assert o.dispatcher.dispatch() == []  # each event once
        o.close()

        quiet = slack_orch(data_dir, slack, slack_on_waiting=False)
        status_event(quiet, InstanceStatus.WAITING_INPUT, InstanceStatus.RUNNING, "again")
        quiet.dispatcher.dispatch()
        assert len(slack.messages) == 3
        quiet.close()


def test_a_real_instance_waiting_for_permission_reaches_slack(cli_env, git_repo, data_dir):
    with FakeSlack() as slack:
        o = slack_orch(data_dir, slack)
        instance = o.instances.start(git_repo)
        retry_until(lambda: o.instances.get(instance.id).status is not InstanceStatus.STARTING or None)
        o.instances.send(instance.id, "ask hello.py")
        retry_until(lambda: o.instances.get(instance.id).status is InstanceStatus.WAITING_INPUT or None)
        o.dispatcher.dispatch()
        assert any("is waiting for you" in m["text"] and "hello.py" in m["text"] for m in slack.messages)
        o.instances.stop(instance.id)
        o.close()


def test_long_lived_faces_send_notices_from_their_tick(cli_env, data_dir):
    with FakeSlack() as slack:
        o = slack_orch(data_dir, slack)
        status_event(o, InstanceStatus.ERROR, InstanceStatus.RUNNING, "boom")
        o.tick()  # what the dashboard, `serve` and `monitor` run every second
        retry_until(lambda: slack.messages or None)
        assert slack.messages[0]["text"] == ":x: Instance `abc123` failed: boom"
        o.close()


def test_a_broken_webhook_is_a_warning_without_the_url(cli_env, data_dir):
    with FakeSlack() as slack:
        wrong = slack.base_url + "/services/T00000000/B00000000/revokedrevokedrevoked000"
        o = Orchestrator(data_dir, slack_webhook_url=wrong)
        status_event(o, InstanceStatus.ERROR, InstanceStatus.RUNNING, "boom")
        [outcome] = o.dispatcher.dispatch()
        assert outcome.level is Level.WARNING
        assert "Slack refused the webhook (404 no_service)" in outcome.message
        logged = " ".join(e.message for e in o.events.since(0))
        assert "revoked" not in logged and slack.base_url not in logged
        o.close()


def test_every_event_is_handled_once_by_competing_dispatchers(cli_env, data_dir):
    with FakeSlack() as slack:
        faces = [slack_orch(data_dir, slack) for _ in range(3)]
        faces[0].store.read(lambda: None)  # create the database
        for n in range(40):
            status_event(faces[0], InstanceStatus.ERROR, InstanceStatus.RUNNING, f"failure {n}")

        def drain(face: Orchestrator) -> None:
            for _ in range(5):
                face.dispatcher.dispatch()
            face.close()

        threads = [threading.Thread(target=drain, args=(f,)) for f in faces]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        texts = sorted(m["text"] for m in slack.messages)
        assert texts == sorted(f":x: Instance `abc123` failed: failure {n}" for n in range(40))
