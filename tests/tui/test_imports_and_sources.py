"""Importing issues from the board and following a task back to them: real fake servers,
a real store, the real app."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Input, Static

from cc_orchestrator.core.models import EventKind, TaskStatus
from cc_orchestrator.tui import browser
from cc_orchestrator.tui.dialogs.import_form import ImportForm
from cc_orchestrator.tui.dialogs.modals import ConfirmScreen
from cc_orchestrator.tui.screens.task_detail import TaskDetail
from cc_orchestrator.tui.widgets.task_column import card
from tests.fakes.github_api import FakeGitHub
from tests.fakes.jira_api import FakeJira
from tests.helpers import git, retry_until
from tests.tui.conftest import SIZE, wait_for


@pytest.fixture
def gh(cli_env, monkeypatch):
    with FakeGitHub() as fake:
        monkeypatch.setenv("CC_ORCHESTRATOR_GITHUB_API_URL", fake.api_url)
        monkeypatch.setenv("CC_ORCHESTRATOR_GITHUB_TOKEN", fake.token)
        yield fake


@pytest.fixture
def jira(cli_env, monkeypatch):
    with FakeJira() as fake:
        monkeypatch.setenv("CC_ORCHESTRATOR_JIRA_URL", fake.url)
        monkeypatch.setenv("CC_ORCHESTRATOR_JIRA_EMAIL", fake.email)
        monkeypatch.setenv("CC_ORCHESTRATOR_JIRA_TOKEN", fake.token)
        yield fake


def cards(app, status: TaskStatus = TaskStatus.PENDING) -> list[str]:
    column = app.dashboard.tasks.columns[status]
    return [str(row[0]) for row in (column.get_row_at(n) for n in range(column.row_count))]


def errors(app) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_import_github_issues_from_the_board(live_app, orch, gh, git_repo):
    gh.add_issue("acme/web", "Crash on start", labels=["bug"])
    gh.add_issue("acme/web", "Add dark mode", labels=["feature"])
    gh.add_issue("acme/web", "Fix the build", labels=["bug", "ci"], pull_request=True)
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab", "i")
        assert isinstance(app.screen, ImportForm)
        await pilot.press(*"acme/web", "tab", *"bug", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportForm))
        assert "Imported from GitHub acme/web: 1 new, 0 updated, 0 unchanged, 1 skipped" in notes(app)
        await wait_for(pilot, lambda: app.dashboard.tasks.columns[TaskStatus.PENDING].row_count == 1)
        assert "acme/web#1" in cards(app)[0] and "Crash on start" in cards(app)[0]
        assert gh.requests[-1].param("labels") == "bug"
        assert orch.tasks.list()[0].repo == str(git_repo)

        await pilot.press("i")  # the dialog offers the last import again: a re-sync is one key
        assert app.screen.query_one("#repository", Input).value == "acme/web"
        assert app.screen.query_one("#labels", Input).value == "bug"
        await pilot.press("escape")


async def test_wrong_credentials_are_one_error_line_and_the_dialog_keeps_the_input(live_app, orch, gh, monkeypatch):
    monkeypatch.setenv("CC_ORCHESTRATOR_GITHUB_TOKEN", "ghp_wrong_token_000000000000")
    gh.add_issue("acme/web", "Crash on start")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab", "i", *"acme/web", "enter")
        await wait_for(pilot, lambda: errors(app))
        [error] = errors(app)
        assert "401" in error and "CC_ORCHESTRATOR_GITHUB_TOKEN" in error
        assert "\n" not in error and "ghp_wrong" not in error
        form = app.screen
        assert isinstance(form, ImportForm)
        assert form.query_one("#repository", Input).value == "acme/web"
        assert "401" in str(form.query_one("#form-error", Static).render())
        assert orch.tasks.list() == []

        gh.token = "ghp_wrong_token_000000000000"  # the credentials are fixed: Enter tries again
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportForm))
        assert [t.source_label for t in orch.tasks.list()] == ["acme/web#1"]


async def test_import_a_jira_query(live_app, orch, jira):
    jira.add_issue("Login fails", priority="High")
    jira.add_issue("Old thing", status="Done")
    jira.add_issue("Elsewhere", project="OPS")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab", "i", "shift+tab", "right")  # from the repository field to the tabs: Jira
        await pilot.press("tab", *"project = PROJ AND statusCategory != Done", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportForm))
        assert "Imported from Jira: 1 new, 0 updated, 0 unchanged" in notes(app)
        await wait_for(pilot, lambda: app.dashboard.tasks.columns[TaskStatus.PENDING].row_count == 1)
        assert "PROJ-1" in cards(app)[0]


def test_manual_tasks_carry_no_source_marker(orch):
    task = orch.tasks.add("By hand")
    assert str(card(task)).splitlines()[1].strip() == ""


async def test_task_detail_links_to_the_issue_and_the_pull_request(live_app, orch, gh, monkeypatch):
    gh.add_issue("acme/web", "Crash on start")
    [task] = orch.integrations.import_github("acme/web").created
    pull = "https://github.example.com/acme/web/pull/9"
    orch.tasks.set_pull_request(task.id, pull)
    monkeypatch.setattr(browser, "desktop_browser", lambda: True)
    app = live_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.tasks.columns[TaskStatus.PENDING].row_count == 1)
        await pilot.press("tab", "enter")
        assert isinstance(app.screen, TaskDetail)
        head = app.screen.query_one("#detail-head", Static)
        text = head.content
        assert isinstance(text, Text)
        assert "GitHub acme/web#1" in text.plain and pull in text.plain
        links = {text.plain[s.start : s.end]: s.style.link for s in text.spans if getattr(s.style, "link", None)}
        assert links == {"acme/web#1": task.source_url, pull: pull}
        assert task.source_url == "https://github.example.com/acme/web/issues/1"

        await pilot.press("o")
        await wait_for(pilot, lambda: opened == [task.source_url])
        line = next(n for n, row in enumerate(text.plain.splitlines()) if "acme/web#1" in row)
        column = text.plain.splitlines()[line].index("acme/web#1")
        await pilot.click(head, offset=(column + 2, line + 1))  # the head has a padding of 1
        await wait_for(pilot, lambda: opened == [task.source_url, task.source_url])


async def test_without_a_desktop_browser_the_link_is_shown_not_opened(live_app, orch, gh, monkeypatch):
    gh.add_issue("acme/web", "Crash on start")
    [task] = orch.integrations.import_github("acme/web").created
    monkeypatch.setattr(browser, "desktop_browser", lambda: False)  # over SSH: lynx would take the terminal
    app = live_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.tasks.columns[TaskStatus.PENDING].row_count == 1)
        await pilot.press("tab", "o")
        await wait_for(pilot, lambda: any(task.source_url in n for n in notes(app)))
        await pilot.pause(0.1)
        assert opened == []


async def test_open_the_pull_request_again_from_the_board(live_app, orch, gh, git_repo, tmp_path: Path):
    """Nothing to push when the task reached REVIEW; after a commit, `P` opens the pull request."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(git_repo, "remote", "add", "origin", str(bare))
    git(git_repo, "push", "-q", "origin", "main")
    gh.add_issue("acme/web", "Add hello.py")
    [task] = orch.integrations.import_github("acme/web", repo=str(git_repo)).created
    instance = orch.assign(task.id, git_repo)
    retry_until(lambda: orch.tasks.get(task.id).status is TaskStatus.IN_PROGRESS)
    orch.tasks.update(task.id, status=TaskStatus.REVIEW)
    orch.dispatcher.dispatch()  # "no commits beyond main": no pull request yet
    assert gh.pulls.get("acme/web", []) == []
    worktree = Path(instance.worktree_path)
    (worktree / "hello.py").write_text("print('hello')\n")
    git(worktree, "add", "hello.py")
    git(worktree, "-c", "user.email=a@example.com", "-c", "user.name=Agent", "commit", "-q", "-m", "add hello.py")

    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.tasks.columns[TaskStatus.REVIEW].row_count == 1)
        await pilot.press("tab", "right", "right", "right", "P")  # the REVIEW column
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: gh.pulls.get("acme/web"), timeout=20)
        pull = gh.pulls["acme/web"][0]
        await wait_for(pilot, lambda: any("opened pull request" in n for n in notes(app)))
        assert orch.tasks.get(task.id).pr_url == pull["html_url"]


async def test_a_pull_request_only_for_a_task_in_review(live_app, orch):
    orch.tasks.add("Still pending")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.view.tasks)
        await pilot.press("tab", "P")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("pull requests are for tasks in REVIEW" in n for n in notes(app))


def test_a_desktop_browser_is_assumed_only_with_a_display_or_a_chosen_browser(monkeypatch):
    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(browser.sys, "platform", "linux")
    assert not browser.desktop_browser()  # over SSH: webbrowser would run lynx in this terminal
    monkeypatch.setenv("DISPLAY", ":0")
    assert browser.desktop_browser()
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("BROWSER", "/usr/local/bin/code-browser-helper")
    assert browser.desktop_browser()


async def test_task_detail_shows_the_tasks_history_however_old(live_app, orch, gh):
    gh.add_issue("acme/web", "Old issue")
    [task] = orch.integrations.import_github("acme/web").created
    orch.store.write(lambda: [orch.events.add(EventKind.LOG_MESSAGE, f"noise {n}") for n in range(1200)])
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.tasks.columns[TaskStatus.PENDING].row_count == 1)
        await pilot.press("tab", "enter")
        assert isinstance(app.screen, TaskDetail)
        log = app.screen.query_one("#task-events")
        # the app keeps only the newest 1,000 events of all; the task's own come from the store
        await wait_for(pilot, lambda: any("imported from acme/web#1" in line.text for line in log.lines))
