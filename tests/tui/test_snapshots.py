"""Every screen and modal as a picture, over the fixed demo data.

Deterministic: a fixed clock and ids (tests/tui/demo.py), a 160x48 terminal, no pushes from the
core, text cursors that do not blink. Made with Textual 8.2.8: `pytest tests/tui --snapshot-update` after an
intended change, and look at the report before committing.
"""

from __future__ import annotations

from textual.widgets import TabbedContent

from tests.tui.conftest import SIZE, wait_for
from tests.tui.demo import demo_losses


async def settled(pilot) -> None:
    """The git reports and the log have arrived (they load in workers)."""
    app = pilot.app
    await wait_for(pilot, lambda: len(app.dashboard.worktrees.reports) == len(app.view.worktrees))
    await pilot.pause()


def test_dashboard(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=settled)


def test_dashboard_with_remote_hosts(snap_compare, demo_app):
    """A HOST column, an UNREACHABLE row with how long, and each remote host's health on top."""
    assert snap_compare(demo_app(remote=True), terminal_size=SIZE, run_before=settled)


def test_dashboard_filtered_by_host(snap_compare, demo_app):
    assert snap_compare(demo_app(remote=True), press=["h", "h", "h"], terminal_size=SIZE, run_before=settled)


def test_dashboard_filtered(snap_compare, demo_app):
    assert snap_compare(demo_app(), press=["slash", *"run"], terminal_size=SIZE, run_before=settled)


def test_dashboard_sorted_by_state(snap_compare, demo_app):
    assert snap_compare(demo_app(), press=["o"], terminal_size=SIZE, run_before=settled)


def test_task_board_focused(snap_compare, demo_app):
    assert snap_compare(demo_app(), press=["tab", "right", "right", "down"], terminal_size=SIZE, run_before=settled)


def test_logs_showing_the_agents_screen(snap_compare, demo_app):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("down", "down", "down", "shift+tab", "v", "v")
        await wait_for(pilot, lambda: pilot.app.dashboard.logs.text)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def _instance_detail(tab: str):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("down", "down", "down", "d")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.screen_text)
        screen.query_one(TabbedContent).active = tab
        await pilot.pause()

    return run_before


def test_instance_detail_screen(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_instance_detail("tab-screen"))


def test_instance_detail_diff(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_instance_detail("tab-diff"))


def test_instance_detail_events(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_instance_detail("tab-events"))


def test_task_detail(snap_compare, demo_app):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("tab", "down", "down", "enter")
        log = pilot.app.screen.query_one("#task-events")
        await wait_for(pilot, lambda: log.lines)  # the task's history, loaded in a worker
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_task_detail_with_checks_that_gave_up(snap_compare, demo_app):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("tab", "right", "right", "down", "down", "enter")  # task 8, a red card
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.query_one("#task-events").lines)
        await wait_for(pilot, lambda: screen.query_one("#task-checks").runs)  # read in a worker
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_new_task_form(snap_compare, demo_app):
    assert snap_compare(demo_app(), press=["tab", "n", *"Add a --dry-run flag"], terminal_size=SIZE, run_before=settled)


def test_edit_task_form_with_an_error(snap_compare, demo_app):
    press = ["tab", "down", "e", "tab", "tab", "tab", "end", "space", "4", "9"]
    assert snap_compare(demo_app(), press=press, terminal_size=SIZE, run_before=settled)


def test_import_form(snap_compare, demo_app, monkeypatch):
    monkeypatch.setenv("CC_ORCHESTRATOR_GITHUB_TOKEN", "ghp_demo")  # a token: no "public only" note

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("tab", "i", *"acme/shopfront", "tab", *"bug, checkout")
        note = pilot.app.screen.query_one("#jira-note")
        await wait_for(pilot, lambda: str(note.render()))  # what is configured, read in a worker

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, demo_app):
    assert snap_compare(demo_app(), press=["question_mark"], terminal_size=SIZE, run_before=settled)


def test_send_prompt(snap_compare, demo_app):
    assert snap_compare(demo_app(), press=["down", "p", *"also add a test"], terminal_size=SIZE, run_before=settled)


def test_confirm_stop(snap_compare, demo_app):
    assert snap_compare(demo_app(), press=["down", "down", "down", "x"], terminal_size=SIZE, run_before=settled)


def test_confirm_worktree_removal_lists_what_is_lost(snap_compare, demo_app):
    async def run_before(pilot):
        await settled(pilot)
        app = pilot.app
        app.dashboard.worktree_actions.confirm_removal(demo_losses(app.view, "b4e6f2"))
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)
