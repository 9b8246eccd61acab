"""Overlaps on the dashboard: the `!` on the instance row with its tooltip, the worktree map's
label, the detail screen's lines, and a toast when a conflict appears."""

from __future__ import annotations

import dataclasses

from cc_orchestrator.core.models import Event, EventKind, Level, Overlap, to_json
from cc_orchestrator.tui.alerts import Alerts
from tests.tui.conftest import SIZE, wait_for
from tests.tui.demo import NOW, demo_view

CONFLICT = Overlap(
    ("7f21aa", "81b0c3"),
    ("a1f3c9", "b27e10"),
    ("src/app.ts",),
    True,
    ("src/app.ts",),
    "/home/dev/src/shopfront",
    ("cco/task-3-checkout-retry", "cco/task-5-cart-badge"),
)
SHARED = Overlap(("7f21aa", "92c4de"), ("a1f3c9", "c4d8e2"), ("README.md", "package.json"))


def with_overlaps(*overlaps: Overlap, events: tuple[Event, ...] = ()):
    view = demo_view()
    return view.merged(dataclasses.replace(view.snapshot, overlaps=overlaps, events=events))


def warning(n: int, overlap: Overlap) -> Event:
    return Event(
        id=n,
        created_at=NOW,
        kind=EventKind.WORKTREE_UPDATE,
        level=Level.WARNING,
        message="instances a1f3c9 and b27e10 conflict in src/app.ts",
        instance_id=overlap.instance_ids[0],
        worktree_id=overlap.worktree_ids[0],
        data={"overlap": to_json(overlap)},
    )


async def test_the_instance_row_and_the_worktree_map_name_the_other_and_the_files(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.dashboard.instances.table
        await wait_for(pilot, lambda: table.row_count == 6)
        assert str(table.get_cell("a1f3c9", "branch")) == "cco/task-3-checkout-retry"
        app.view = with_overlaps(CONFLICT, SHARED)
        await pilot.pause()
        assert str(table.get_cell("a1f3c9", "branch")) == "! cco/task-3-checkout-retry"
        assert str(table.get_cell("c4d8e2", "branch")) == "! cco/task-7-orders-csv"
        assert str(table.get_cell("d9a041", "branch")) == "cco/task-8-flaky-login"  # none
        assert table.get_cell("a1f3c9", "branch").spans[0].style == "bold red"  # a conflict is red
        assert table.get_cell("c4d8e2", "branch").spans[0].style == "yellow"
        table.move_cursor(row=table.get_row_index("a1f3c9"))
        await pilot.pause()
        assert table.tooltip == (
            "CONFLICT with instance b27e10 in src/app.ts\noverlap with instance c4d8e2: README.md, package.json"
        )
        tree = app.dashboard.worktrees.tree_view
        [node] = [n for repo in tree.root.children for n in repo.children if n.data == "81b0c3"]
        label = str(node.label)
        assert "! CONFLICT with instance a1f3c9 in src/app.ts" in label

        await pilot.press("d")  # the detail screen lists them
        await wait_for(pilot, lambda: app.screen.id != "dashboard")
        head = str(app.screen.query_one("#detail-head").render())
        assert "overlaps CONFLICT with instance b27e10 in src/app.ts" in head


async def test_a_new_conflict_makes_a_warning_toast(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        app.view = with_overlaps(CONFLICT, events=(warning(999, CONFLICT),))
        await pilot.pause()
        found = [(n.message, n.severity) for n in app._notifications]
        assert ("instances a1f3c9 and b27e10 conflict in src/app.ts", "warning") in found


def test_overlap_alerts_do_not_hide_a_status_alert_of_the_same_instance():
    status = Event(
        id=1,
        created_at=NOW,
        kind=EventKind.INSTANCE_STATUS,
        level=Level.INFO,
        message="instance a1f3c9 WAITING_INPUT: ok?",
        instance_id="a1f3c9",
        data={"status": "WAITING_INPUT", "previous": "RUNNING", "source": "screen"},
    )
    other = dataclasses.replace(CONFLICT, worktree_ids=("7f21aa", "a3d5e1"))
    found = Alerts().feed([status, warning(2, CONFLICT), warning(3, other)])
    assert [a.severity for a in found] == ["warning", "warning", "warning"]
