"""Which status changes make a toast, and when the dashboard asks git about a worktree."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from cc_orchestrator.core.models import Event, EventKind, Level
from cc_orchestrator.tui.alerts import Alerts
from cc_orchestrator.tui.report_schedule import ReportSchedule
from tests.tui.demo import NOW, demo_view


def status(n: int, instance: str, new: str, old: str, source: str = "screen") -> Event:
    return Event(
        id=n,
        created_at=NOW,
        kind=EventKind.INSTANCE_STATUS,
        level=Level.INFO,
        message=f"instance {instance} {new}",
        instance_id=instance,
        data={"status": new, "previous": old, "source": source},
    )


def test_ready_after_start_is_quiet_finishing_work_is_announced():
    alerts = Alerts()
    assert alerts.feed([status(1, "a", "RUNNING", "STARTING", "process"), status(2, "a", "IDLE", "RUNNING")]) == []
    found = alerts.feed([status(3, "a", "RUNNING", "IDLE"), status(4, "a", "IDLE", "RUNNING")])
    assert [(a.message, a.severity) for a in found] == [("instance a finished and is idle", "information")]


def test_waiting_error_and_exit_are_announced_but_a_stop_by_the_user_is_not():
    found = Alerts().feed(
        [
            status(1, "a", "WAITING_INPUT", "RUNNING"),
            status(2, "b", "ERROR", "RUNNING"),
            status(3, "c", "STOPPED", "IDLE", "process"),
            status(4, "d", "STOPPED", "IDLE", "user"),
        ]
    )
    assert [(a.instance_id, a.severity) for a in found] == [("a", "warning"), ("b", "error"), ("c", "information")]


def test_a_burst_makes_one_alert_per_instance():
    found = Alerts().feed([status(1, "a", "WAITING_INPUT", "RUNNING"), status(2, "a", "ERROR", "WAITING_INPUT")])
    assert [a.severity for a in found] == ["error"]


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def inspect_all_due(schedule: ReportSchedule, view, highlighted=None) -> list[str]:
    done = []
    while (wid := schedule.due(view, highlighted)) is not None:
        schedule.done(view, wid)
        done.append(wid)
    return done


def test_git_is_asked_about_the_highlighted_worktree_at_once_and_the_others_spread_out():
    clock, view = Clock(), demo_view()
    schedule = ReportSchedule(min_gap=30, gap=1.0, clock=clock)
    existing = [w.id for w in view.worktrees if w.exists]
    assert inspect_all_due(schedule, view, highlighted="92c4de") == ["92c4de"]  # no burst
    seen = {"92c4de"}
    while len(seen) < len(existing):
        assert schedule.waiting(view) == 1.0
        clock.now += 1.0
        [wid] = inspect_all_due(schedule, view)
        seen.add(wid)
    assert schedule.waiting(view) is None
    clock.now += 3600
    assert schedule.due(view) is None  # idle, however long: no git at all


def test_git_is_asked_again_after_activity_at_most_every_min_gap_or_when_the_user_asks():
    clock, view = Clock(), demo_view()
    schedule = ReportSchedule(min_gap=30, gap=0, clock=clock)
    inspect_all_due(schedule, view)
    busy = dataclasses.replace(view.instances[3], last_activity=NOW + timedelta(seconds=5))
    moved = view.merged(dataclasses.replace(view.snapshot, instances=(*view.instances[:3], busy, *view.instances[4:])))
    clock.now += 10
    assert schedule.due(moved) is None  # active, but looked at 10 s ago
    clock.now += 20
    assert inspect_all_due(schedule, moved) == [busy.worktree_id]
    schedule.ask(["92c4de", "b4e6f2"])
    assert inspect_all_due(schedule, moved) == ["92c4de", "b4e6f2"]


def test_an_age_changes_at_the_minute_the_hour_and_the_day():
    from datetime import UTC, datetime, timedelta

    from cc_orchestrator.tui.humanize import ago, ago_changes_in

    now = datetime(2025, 6, 2, 14, 30, tzinfo=UTC)
    for age in (0, 59.5, 60, 61, 3599, 3600, 7300, 86399, 86400, 200000):
        then = now - timedelta(seconds=age)
        wait = ago_changes_in(then, now)
        assert 0 < wait <= 86400
        assert ago(then, now + timedelta(seconds=wait - 0.01)) == ago(then, now)  # not before
        assert ago(then, now + timedelta(seconds=wait + 0.01)) != ago(then, now)  # but then
    assert ago_changes_in(None, now) is None
