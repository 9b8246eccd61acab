"""The dashboard over fixed data: filtering, in-place updates, alerts, keys, and never freezing."""

from __future__ import annotations

import dataclasses
import types
from datetime import timedelta

from cc_orchestrator.core.models import Event, EventKind, InstanceStatus, Level, ResourceUsage
from cc_orchestrator.tui.dialogs.modals import ConfirmScreen
from cc_orchestrator.tui.feed import Feed
from cc_orchestrator.tui.screens.help import HelpScreen, sections
from tests.tui.conftest import SIZE, wait_for
from tests.tui.demo import NOW, demo_view


def rows(app) -> list[str]:
    return [row.key.value for row in app.dashboard.instances.table.ordered_rows]


async def test_instances_pane_has_focus_and_rows_at_start(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.instances.table.row_count == 6)
        assert app.focused is app.dashboard.instances.table
        assert app.dashboard.instances.border_title == "Instances (6)"
        assert app.dashboard.tasks.border_title == "Tasks (14)  3 blocked"


async def test_slash_filters_instances_and_escape_clears(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"waiting")
        await wait_for(pilot, lambda: rows(app) == ["b27e10", "d9a041"])  # a permission, and failed checks
        assert app.dashboard.instances.border_title.startswith("Instances (2/6)")
        await pilot.press("enter")  # keeps the filter, back to the table
        assert app.focused is app.dashboard.instances.table
        await pilot.press("escape")
        assert len(rows(app)) == 6


async def test_a_refresh_updates_rows_in_place_and_the_cursor_stays(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.dashboard.instances.table
        await pilot.press("down", "down", "down")
        chosen = table.selected.id
        first = demo_view()
        busy = dataclasses.replace(first.instances[3], resource_usage=ResourceUsage(99.0, 700, 3))
        newcomer = dataclasses.replace(first.instances[0], id="0a0a0a", created_at=NOW - timedelta(days=9))
        instances = (newcomer, *first.instances[:3], busy, *first.instances[4:])
        app.view = first.merged(dataclasses.replace(first.snapshot, instances=instances, events=()))
        await pilot.pause()
        assert table.selected.id == chosen
        assert table.row_count == 7 and rows(app)[0] == "0a0a0a"
        assert str(table.get_cell(busy.id, "cpu")) == "99%"


async def test_sorting_keeps_the_cursor_on_the_same_instance(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.dashboard.instances.table
        await pilot.press("down")
        chosen = table.selected.id
        await pilot.press("o")  # by state: waiting first
        assert app.dashboard.instances.sort_by == "state"
        assert rows(app)[0] == "b27e10"
        assert table.selected.id == chosen


async def test_waiting_input_raises_a_toast_and_the_bell_when_asked(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        app.ring_bell = True
        rang = []
        app.bell = lambda: rang.append(True)
        view = demo_view()
        waiting = Event(
            id=999,
            created_at=NOW,
            kind=EventKind.INSTANCE_STATUS,
            level=Level.INFO,
            message="instance a1f3c9 WAITING_INPUT: Run npm install?",
            instance_id="a1f3c9",
            data={"status": InstanceStatus.WAITING_INPUT.value, "previous": "RUNNING", "source": "screen"},
        )
        app.view = view.merged(dataclasses.replace(view.snapshot, events=(waiting,)))
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert "instance a1f3c9 waits for input: Run npm install?" in messages
        assert rang == [True]
        # history present at start is not announced again
        assert not any("b27e10" in m for m in messages)


async def test_question_mark_lists_every_key_with_its_id(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys")
        ids = {str(table.get_row_at(n)[2]) for n in range(table.row_count)}
        wanted = {b.id for _, _, bindings in sections() for b in bindings}
        assert wanted <= ids
        await pilot.press("escape")
        assert app.screen is app.dashboard


async def test_every_pane_action_is_in_the_command_palette(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title, pane, bindings in sections():
            if pane is not None:
                assert {f"{title}: {b.description}" for b in bindings} <= titles


async def test_keymap_setting_remaps_a_binding_by_id(demo_app, orch):
    settings = types.SimpleNamespace(keymap={"instances.stop": "ctrl+k"}, bell=False, tmux_socket=None)
    orch.__dict__["settings"] = settings
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.keymap)  # the settings arrive just after the first paint
        await pilot.press("x")
        assert app.screen is app.dashboard
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, ConfirmScreen)


async def test_tab_cycles_the_panes_and_the_footer_follows(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(app.dashboard.focused_pane().id)
            keys = {b.binding.id for b in app.screen.active_bindings.values()}
            assert any((k or "").startswith(seen[-1]) for k in keys)
        assert seen == ["tasks", "worktrees", "logs", "instances"]
        await pilot.press("shift+tab")
        assert app.dashboard.focused_pane().id == "logs"


async def test_a_failing_round_is_one_toast_until_one_works_again(demo_app):
    app = demo_app()
    reason = "database /x/db.sqlite3 stayed busy too long; try again"
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            app.post_message(Feed.Failed(reason))
        await pilot.pause()
        assert [n.message for n in app._notifications].count(reason) == 1
        app.post_message(Feed.Updated(app.view))
        app.post_message(Feed.Failed(reason))
        await pilot.pause()
        assert [n.message for n in app._notifications].count(reason) == 2


async def test_the_mouse_focuses_a_column_and_the_key_bar_runs_a_key(demo_app):
    from cc_orchestrator.core.models import TaskStatus

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#column-review")
        assert app.focused is app.dashboard.tasks.columns[TaskStatus.REVIEW]
        bar = app.screen.query_one("#key-bar")
        start = next(start for start, _, _, action in bar._spans if action == "help")
        await pilot.click("#key-bar", offset=(start + 1, 0))
        assert isinstance(app.screen, HelpScreen)


async def test_ages_tick_when_their_text_changes_and_not_before(orch, monkeypatch):
    """No view arrives at idle: AGE and ACTIVE wake when their text would change ("<1m" to
    "1m"), at most every TICK_AT_MOST_EVERY seconds (shortened here)."""
    import time

    from cc_orchestrator.tui.app import OrchestratorApp
    from cc_orchestrator.tui.widgets import instances
    from tests.tui.demo import REPO, DemoReads

    monkeypatch.setattr(instances, "TICK_AT_MOST_EVERY", 0.01)
    view = demo_view()
    first = dataclasses.replace(view.instances[0], last_activity=NOW - timedelta(seconds=58.5))  # slack: a busy start
    view = dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, instances=(first,)))
    started = time.monotonic()
    app = OrchestratorApp(
        orch,
        REPO,
        live=False,
        clock=lambda: NOW + timedelta(seconds=time.monotonic() - started),
        reads=DemoReads(),
        initial=view,
    )
    async with app.run_test(size=SIZE) as pilot:
        table = app.dashboard.instances.table
        await wait_for(pilot, lambda: table.row_count == 1)
        assert str(table.get_cell(first.id, "active")) == "<1m"
        await wait_for(pilot, lambda: str(table.get_cell(first.id, "active")) == "1m", timeout=5)
