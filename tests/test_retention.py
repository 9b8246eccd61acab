"""Growth over weeks: old events and the files of instances long gone are pruned, and the
database file gives the space back. A real SQLite file, a private tmux server, the fake agent."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from cc_orchestrator.core.events import utcnow
from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.retention import Pruner, prune
from cc_orchestrator.core.store import space
from cc_orchestrator.core.store.tables import CursorRow, EventRow, InstanceRow
from tests.helpers import retry_until

DAY = timedelta(days=1)


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir, events_keep_days=30)
    yield orchestrator
    orchestrator.close()


def _events(orch, *specs) -> list[int]:
    """Insert events (age in days, instance id, task id, payload size); their ids."""
    now = utcnow()

    def insert() -> list[int]:
        ids = []
        for age, instance_id, task_id, *size in specs:
            row = EventRow.create(
                created_at=now - age * DAY,
                kind="log_message",
                level="INFO",
                message="x" * (size[0] if size else 10),
                instance_id=instance_id,
                task_id=task_id,
            )
            ids.append(row.id)
        return ids

    return orch.store.write(insert)


def _cursor(orch, value: int) -> None:
    orch.store.write(lambda: CursorRow.replace(name="integrations", value=value).execute())


def _left(orch) -> set[int]:
    return orch.store.read(lambda: {r.id for r in EventRow.select(EventRow.id)})


def test_old_events_go_and_the_latest_of_each_instance_and_task_stays(orch):
    ids = _events(
        orch,
        (40, "a", None),  # 0: older event of instance a
        (35, "a", 1),  # 1: a's latest (and task 1's older one)
        (40, None, 2),  # 2: task 2's only event
        (50, None, None),  # 3: an old log line
        (31, None, 1),  # 4: task 1's latest
        (31, None, None),  # 5: an old log line
        (2, None, None),  # 6: recent
        (0, "b", 3),  # 7: recent
    )
    _cursor(orch, ids[-1])
    report = prune(orch)
    assert report.events_removed == 3
    assert _left(orch) == {ids[1], ids[2], ids[4], ids[6], ids[7]}
    assert prune(orch).events_removed == 0  # nothing more to do


def test_events_the_integrations_have_not_passed_stay(orch):
    ids = _events(orch, *[(40, None, None)] * 6, (0, None, None))
    _cursor(orch, ids[2])  # the dispatcher has looked at the first three only
    report = prune(orch)
    assert report.events_removed == 3
    assert report.events_held == 3
    assert _left(orch) == set(ids[3:])
    _cursor(orch, ids[-1])
    assert prune(orch).events_removed == 3


def test_dry_run_removes_nothing(orch):
    ids = _events(orch, *[(40, None, None)] * 4)
    _cursor(orch, ids[-1])
    report = prune(orch, dry_run=True)
    assert report.dry_run and report.events_removed == 4
    assert _left(orch) == set(ids)


def test_zero_days_keeps_everything(cli_env, data_dir):
    orch = Orchestrator(data_dir, events_keep_days=0)
    try:
        ids = _events(orch, (400, None, None))
        _cursor(orch, ids[-1])
        assert prune(orch).events_removed == 0
        assert _left(orch) == set(ids)
    finally:
        orch.close()


def _files(orch, instance_id: str, age_days: float = 0) -> list:
    """A pane log with a backup, a hook spool with one of a second run, and a check run's log
    (a name no instance could have gets none), `age_days` old."""
    logs, spool = orch.instances.logs, orch.instances.ingester
    paths = [logs.path(instance_id), logs.logs_dir / f"{instance_id}.log.1"]
    paths += [spool.path(instance_id), spool.path(instance_id, 1)]
    if "-" not in instance_id:
        paths.append(logs.logs_dir / "checks" / f"{instance_id}-7.log")
    when = time.time() - age_days * 86400
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("output\n")
        os.utime(path, (when, when))
    return paths


def _stopped_row(orch, instance_id: str, age_days: float) -> None:
    when = utcnow() - age_days * DAY
    orch.store.write(
        lambda: InstanceRow.create(
            id=instance_id,
            worktree_path="",
            tmux_session=f"cc-orchestrator-{instance_id}",
            status=InstanceStatus.STOPPED.value,
            created_at=when,
            last_activity=when,
        )
    )


def test_files_of_instances_gone_or_long_stopped_go_and_live_ones_stay(orch, git_repo):
    gone = _files(orch, "a0e001", age_days=2)
    just_gone = _files(orch, "a0e002")  # no row, written just now: a start may be committing it
    long_stopped = _files(orch, "01d001", age_days=40)
    _stopped_row(orch, "01d001", 40)
    lately_stopped = _files(orch, "e0e001", age_days=40)
    not_ours = _files(orch, "cli-errors", age_days=40)  # a name no instance could have
    _stopped_row(orch, "e0e001", 3)

    live = orch.instances.start(git_repo)  # idle for two months, but alive
    orch.store.write(
        lambda: InstanceRow.update(last_activity=utcnow() - 60 * DAY).where(InstanceRow.id == live.id).execute()
    )
    live_files = _files(orch, live.id, age_days=60)
    lost = orch.instances.start(git_repo)  # its row is lost (a deleted database); tmux has its session
    lost_files = _files(orch, lost.id, age_days=60)
    orch.store.write(lambda: InstanceRow.delete().where(InstanceRow.id == lost.id).execute())

    merge_logs = orch.instances.logs.logs_dir / "checks"
    old_merge, new_merge = merge_logs / "merge-task3-9.log", merge_logs / "merge-task4-10.log"
    for path, days in ((old_merge, 40), (new_merge, 1)):
        path.write_text("output\n")
        os.utime(path, (time.time() - days * 86400,) * 2)

    report = prune(orch)
    assert sorted(report.files_removed) == sorted(str(p) for p in [*gone, *long_stopped, old_merge])
    assert new_merge.exists()
    assert report.file_bytes_removed == 7 * len(report.files_removed)
    assert not any(p.exists() for p in gone + long_stopped)
    assert all(p.exists() for p in just_gone + lately_stopped + not_ours + live_files + lost_files)
    tmux_events = orch.data_dir / "spool" / "tmux.events"
    assert tmux_events.exists()  # tmux's own file in the spool folder is no instance's
    orch.tmux.kill_session(lost.tmux_session)
    orch.instances.stop(live.id)


def test_a_big_prune_shrinks_the_file(orch):
    assert space.space(orch.store).incremental  # a new database is made for incremental vacuum
    ids = _events(orch, *[(45, None, None, 400)] * 40_000, (0, None, None))
    _cursor(orch, ids[-1])
    space.checkpoint(orch.store)
    before = space.space(orch.store).file_bytes
    report = prune(orch)
    assert report.events_removed == 40_000
    assert report.pages_reclaimed > 0
    after = space.space(orch.store)
    assert after.free_pages == 0
    assert after.file_bytes < before / 4, (before, after)
    assert report.database_bytes_after == after.file_bytes


def test_an_older_small_database_is_switched_to_incremental_vacuum(cli_env, data_dir):
    old = sqlite3.connect(data_dir / "orchestrator.db")
    old.execute("PRAGMA auto_vacuum = NONE")
    old.execute("CREATE TABLE made_before (x)")  # the mode is fixed once a table exists
    old.close()
    orch = Orchestrator(data_dir, events_keep_days=30)
    try:
        assert not space.space(orch.store).incremental
        report = prune(orch)
        assert space.space(orch.store).incremental
        assert report.notes == ("switched to incremental vacuum",)
    finally:
        orch.close()


def test_a_long_lived_face_prunes_in_the_background(orch):
    ids = _events(orch, (40, None, None), (40, None, None))
    _cursor(orch, ids[-1])
    pruner = Pruner(orch, first_after=0)
    pruner.kick()
    retry_until(lambda: pruner.last is not None)
    assert pruner.last.events_removed == 2
    retry_until(lambda: orch.events.tail(limit=1)[0].message.startswith("removed 2 events"))


def test_cli_prunes_and_says_what_it_removed(orch, cli_env, tmp_path):
    ids = _events(orch, (40, None, None), (40, None, None), (1, None, None))
    _cursor(orch, ids[-1])
    _files(orch, "a0e001", age_days=2)
    command = [sys.executable, "-m", "cc_orchestrator", "maintenance", "prune"]
    run = subprocess.run([*command, "--dry-run"], env=cli_env, cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "would remove 2 events older than 30 days and 5 files" in run.stdout
    assert len(_left(orch)) == 3
    run = subprocess.run([*command, "--json"], env=cli_env, cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["events_removed"] == 2
    assert _left(orch) == {ids[2]}
    run = subprocess.run([*command, "--dry-run", "--vacuum"], env=cli_env, cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode != 0 and run.stderr.strip().count("\n") == 0 and "cannot go together" in run.stderr
