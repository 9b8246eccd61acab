"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright.

`.ci/install-browser.sh` installs chromium; without it (or without the `playwright` package)
these tests skip and say why. Playwright never downloads a browser here: it is pointed at
/usr/bin/chromium.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.helpers import capture, retry_until
from tests.web.browser import CHROMIUM, launch
from tests.web.conftest import TOKEN

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: run .ci/install-browser.sh", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the `playwright` package is not installed")
expect = sync_api.expect


@pytest.fixture
def orch(integrations_env, orch):
    """GitHub and Jira set up (the fakes in tests/fakes), for the Import form."""
    return orch


@pytest.fixture
def page(server):
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
        page.set_default_timeout(15_000)
        page.goto(f"{server.base}/?token={TOKEN}")
        expect(page.locator("#connection")).to_have_text("live")
        yield page
        browser.close()


def test_an_instance_appears_live_and_a_task_is_created_from_the_page(page, server, orch):
    assert page.url == f"{server.base}/"  # the token left the address bar
    with server.client() as http:
        instance = http.post("/api/instances", json={}).json()  # made while the page is open
    card = page.locator(f'[data-instance-id="{instance["id"]}"]')
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-status", re.compile("RUNNING|IDLE"))

    page.fill("#task-title", "Task from the browser")
    page.fill("#task-description", "made by clicking")
    page.select_option("#task-priority", "HIGH")
    page.click("#task-create")
    column = page.locator('.column[data-status="PENDING"]')
    expect(column.locator(".task", has_text="Task from the browser")).to_be_visible()
    [task] = orch.tasks.list()
    assert (task.title, task.description, task.priority.value) == ("Task from the browser", "made by clicking", "HIGH")
    assert page.evaluate("() => typeof window.Chart") == "function"
    assert page.problems == []


def test_start_send_approve_and_stop_from_the_page(page, server, orch):
    page.fill("#start-branch", "from-the-page")
    page.click("#start-button")
    card = page.locator(".card", has_text="from-the-page")
    expect(card).to_be_visible()
    instance_id = card.get_attribute("data-instance-id")
    session = f"cc-orchestrator-{instance_id}"
    retry_until(lambda: "fake-agent ready" in capture(orch.settings.tmux_socket, session))

    card.get_by_placeholder("send a prompt").fill("ask from-browser.txt")
    card.get_by_role("button", name="Send").click()
    expect(card).to_have_attribute("data-status", "WAITING_INPUT")
    expect(card.locator(".question")).to_contain_text("from-browser.txt")
    card.locator('[data-action="approve"]').click()
    worktree = orch.instances.get(instance_id, refresh=False).worktree_path
    retry_until(lambda: os.path.exists(os.path.join(worktree, "from-browser.txt")))

    card.locator('[data-action="logs"]').click()
    expect(page.locator("#log-output")).to_contain_text("fake-agent ready")
    expect(page.locator('#worktree-map .worktree[data-status="ACTIVE"]')).to_have_count(1)

    card.locator('[data-action="stop"]').click()
    expect(card).to_be_hidden()  # stopped instances are hidden unless asked for
    page.check("#show-ended")
    expect(page.locator(f'[data-instance-id="{instance_id}"]')).to_have_attribute("data-status", "STOPPED")
    assert page.problems == []


def test_import_from_github_on_the_page_links_each_card_to_its_issue(page, github, orch):
    github.add_issue("acme/web", "<b>Crash</b> on start", labels=["bug"])
    github.add_issue("acme/web", "Dark mode")
    expect(page.locator("#import-form")).to_be_hidden()
    page.click("#import-toggle")
    page.fill("#import-repository", "acme/web")
    page.fill("#import-labels", "bug")
    page.click("#import-submit")
    expect(page.locator(".toast")).to_contain_text("imported from GitHub acme/web: 1 new, 0 updated, 0 unchanged")
    expect(page.locator("#import-form")).to_be_hidden()

    card = page.locator('.column[data-status="PENDING"] .task')
    expect(card.locator(".title")).to_have_text("<b>Crash</b> on start")  # text, never markup
    link = card.locator("a.source")
    expect(link).to_have_text("acme/web#1")
    expect(link).to_have_attribute("href", "https://github.example.com/acme/web/issues/1")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    [task] = orch.tasks.list()
    orch.tasks.set_pull_request(task.id, "https://github.example.com/acme/web/pull/7")
    expect(card.locator("a.pr")).to_have_attribute("href", "https://github.example.com/acme/web/pull/7")

    orch.tasks.update(task.id, status="in_progress")
    orch.tasks.update(task.id, status="review")
    review = page.locator('.column[data-status="REVIEW"] .task')
    review.get_by_role("button", name="Open PR").click()  # no instance worked on it: one line says so
    expect(page.locator(".toast.error")).to_contain_text("has no worktree with a branch to push")

    page.click("#import-toggle")
    page.select_option("#import-source", "jira")
    expect(page.locator("#import-repository")).to_be_hidden()
    page.fill("#import-jql", "summary ~ crash")
    page.click("#import-submit")
    expect(page.locator(".toast.error").last).to_contain_text("could not be parsed")
    # the browser logs the refusals: 409 (no worktree here) and 502 (Jira refused the JQL)
    assert [p for p in page.problems if "status of 409" not in p and "status of 502" not in p] == []


def test_a_task_whose_checks_gave_up_is_red_and_unfolds_its_runs(page, orch, git_repo, tmp_path):
    from cc_orchestrator.core.models import ChecksState, CheckStatus
    from tests.check_runs import record_runs

    task = orch.tasks.add("Fix the login test", repo=str(git_repo))
    orch.tasks.update(task.id, status="in_progress")
    failure = "tests/test_login.py F\nE   assert 302 == 200\n1 failed, 11 passed"
    outcomes = [(CheckStatus.TIMED_OUT, 124, "timed out"), (CheckStatus.FAILED, 1, failure)]
    first, newest = record_runs(orch, task.id, outcomes, ChecksState.GAVE_UP, tmp_path)
    card = page.locator(f'.task[data-task-id="{task.id}"]')
    expect(card).to_have_attribute("data-checks", "gave_up")
    expect(card.locator(".checks-badge")).to_have_text("✗ checks gave up")
    assert card.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(239, 68, 68)"  # --red

    card.locator("summary").click()
    runs = card.locator(".runs li")
    expect(runs).to_have_count(2)
    expect(runs.first).to_have_attribute("data-run-id", str(newest))  # newest first
    expect(runs.first).to_contain_text("failed")
    expect(runs.last).to_contain_text("timed out")
    expect(card.locator(".check-tail")).to_have_text(failure)
    expect(card.locator(".check-runs")).to_contain_text(str(tmp_path / f"{newest}.log"))

    record_runs(orch, task.id, [(CheckStatus.PASSED, 0, "12 passed")], ChecksState.PASSED, tmp_path)
    expect(card).to_have_attribute("data-checks", "passed")  # the board reloaded on the event...
    expect(card.locator(".runs li")).to_have_count(3)  # ...and the runs stayed unfolded
    assert page.problems == []


def test_the_sign_in_form_in_a_second_browser(server):
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(f"{server.base}/")
        expect(page).to_have_url(f"{server.base}/login")
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        expect(page.locator("#connection")).to_have_text("live")
        page.click("#logout")
        expect(page).to_have_url(f"{server.base}/login")
        browser.close()


def test_a_conflict_between_two_instances_marks_both_cards_and_toasts(page, server, orch):
    from pathlib import Path

    from tests.helpers import git

    with server.client() as http:
        first = http.post("/api/instances", json={"branch": "feat-a"}).json()
        second = http.post("/api/instances", json={"branch": "feat-b"}).json()
    for instance, text in ((first, "from a\n"), (second, "from b\n")):
        folder = Path(instance["worktree_path"])
        (folder / "README.md").write_text(text)
        git(folder, "commit", "-q", "-am", "edit the README")
    card = page.locator(f'[data-instance-id="{first["id"]}"] .overlap.conflict')
    expect(card).to_have_text(f"! CONFLICT with instance {second['id']} in README.md", timeout=30_000)
    other = page.locator(f'[data-instance-id="{second["id"]}"] .overlap.conflict')
    expect(other).to_have_text(f"! CONFLICT with instance {first['id']} in README.md")
    expect(page.locator(".worktree .overlap.conflict")).to_have_count(2)
    expect(page.locator(".toast.warning", has_text="conflict in README.md")).to_be_visible()
    assert page.problems == []


@pytest.fixture
def remote_hosts(orch):
    """Two remote hosts as saved rows, before the page loads: `box` answers, `gpu` does not."""
    from tests.web.test_hosts_api import AWAY, add_host

    add_host(orch, "box", latency_ms=7.2)
    add_host(orch, "gpu", unreachable_since=AWAY)


def test_remote_hosts_show_their_health_and_each_card_its_host(remote_hosts, page, server):
    header = page.locator("#hosts")
    expect(header).to_contain_text("box ✓ 7ms")
    expect(header.locator('[data-reachable="false"]')).to_contain_text("gpu ✗")
    with server.client() as http:
        instance = http.post("/api/instances", json={}).json()
    card = page.locator(f'[data-instance-id="{instance["id"]}"]')
    expect(card.locator(".host-badge")).to_have_text("local")  # remote hosts exist: every card says where
    page.select_option("#host-filter", "box")
    expect(card).to_be_hidden()
    page.select_option("#host-filter", "local")
    expect(card).to_be_visible()
    assert page.problems == []
