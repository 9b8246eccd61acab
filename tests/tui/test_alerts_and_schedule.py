"""Which status changes make a toast, and when the dashboard asks git about a worktree."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from cc_orchestrator.core.models import Event, EventKind, Level
from cc_orchestrator.tui.alerts import Alerts
from cc_orchestrator.tui.report_schedule import ReportSchedule
from tests.tui.demo import NOW, demo_snapshot


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


def test_git_is_asked_once_per_worktree_then_only_after_activity_or_a_long_time():
    clock, snap = Clock(), demo_snapshot()
    schedule = ReportSchedule(min_gap=30, full_every=600, clock=clock)
    first = schedule.due(snap)
    assert len(first) == len([w for w in snap.worktrees if w.exists])  # every new one, at once
    schedule.done(snap, first)
    clock.now += 500
    assert schedule.due(snap) == []  # idle: no git at all
    busy = dataclasses.replace(snap.instances[3], last_activity=NOW + timedelta(seconds=5))
    moved = dataclasses.replace(snap, instances=(*snap.instances[:3], busy, *snap.instances[4:]))
    assert schedule.due(moved) == [busy.worktree_id]
    clock.now += 100
    assert len(schedule.due(snap, limit=2)) == 2  # ten minutes on: a slow round, two per poll
    schedule.ask(["92c4de"])
    assert "92c4de" in schedule.due(snap, limit=0)
