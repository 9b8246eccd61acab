"""Overlap and conflict warnings against real git repositories and a real SQLite file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.git import refs, reports
from cc_orchestrator.core.git.worktrees import WorktreeService, stored_worktrees
from cc_orchestrator.core.models import EventKind, Level
from cc_orchestrator.core.review.overlaps import RECHECK_SECONDS, Overlaps, fingerprint
from cc_orchestrator.core.store.tables import InstanceRow, WorktreeChangeRow, WorktreeRow
from tests.helpers import git


@pytest.fixture
def worktrees(store, tmp_path) -> WorktreeService:
    return WorktreeService(store, EventLog(store), tmp_path / "worktrees")


@pytest.fixture
def overlaps(store) -> Overlaps:
    return Overlaps(store, EventLog(store))


@pytest.fixture
def git_calls(monkeypatch) -> list[tuple]:
    """Every git process the overlap check starts (it runs git through `reports.git`)."""
    calls: list[tuple] = []
    real = reports.git

    def counted(cwd, *args):
        calls.append(args)
        return real(cwd, *args)

    monkeypatch.setattr(reports, "git", counted)
    return calls


def start(store, worktrees, repo: Path, branch: str, instance_id: str, status: str = "RUNNING") -> Path:
    """A worktree on a new branch with a live instance working in it."""
    worktree = worktrees.create(repo, branch, "main", instance_id=instance_id)

    def add() -> None:
        InstanceRow.insert(
            id=instance_id,
            worktree_id=worktree.id,
            worktree_path=worktree.path,
            tmux_session=f"cco-{instance_id}",
            status=status,
            repo=str(repo),
            branch=branch,
            created_at=utcnow(),
            last_activity=utcnow(),
        ).execute()

    store.write(add)
    return Path(worktree.path)


def commit(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(folder, "add", name)
    git(folder, "commit", "-q", "-m", f"change {name}")


def set_status(store, instance_id: str, status: str) -> None:
    store.write(lambda: InstanceRow.update(status=status).where(InstanceRow.id == instance_id).execute())


def overlap_events(store) -> list:
    return [e for e in EventLog(store).tail(limit=200) if e.kind is EventKind.WORKTREE_UPDATE and "overlap" in e.data]


PAIRS = [("inst0a", "inst0b"), ("inst0b", "inst0a")]  # pairs go in worktree id order, which is random


@pytest.fixture
def repo(git_repo) -> Path:
    commit(git_repo, "src/app.py", "one\ntwo\nthree\n")
    return git_repo


def test_two_worktrees_changing_one_file_overlap(repo, store, worktrees, overlaps):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    b = start(store, worktrees, repo, "feat-b", "inst0b")
    commit(a, "src/app.py", "one\ntwo\nthree\nfour\n")  # appended: merges with b's change
    commit(b, "src/app.py", "zero\none\ntwo\nthree\n")
    (b / "notes.md").write_text("untracked\n")

    overlaps.update()
    [found] = overlaps.current()
    assert sorted(found.instance_ids) == ["inst0a", "inst0b"]
    assert found.files == ("src/app.py",)
    assert not found.conflicts
    [event] = overlap_events(store)
    assert event.level is Level.INFO
    assert event.message in [f"instances {x} and {y} both change src/app.py" for x, y in PAIRS]
    assert event.data["overlap"]["files"] == ["src/app.py"]

    overlaps.update(force=True)  # the same again: nothing new to say
    assert len(overlap_events(store)) == 1


def test_uncommitted_files_count_too(repo, store, worktrees, overlaps):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    b = start(store, worktrees, repo, "feat-b", "inst0b")
    (a / "README.md").write_text("edited\n")
    (b / "README.md").write_text("edited too\n")
    overlaps.update()
    [found] = overlaps.current()
    assert found.files == ("README.md",) and not found.conflicts  # merge-tree sees commits only


def test_conflicting_branches_name_the_file(repo, store, worktrees, overlaps):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    b = start(store, worktrees, repo, "feat-b", "inst0b")
    commit(a, "src/app.py", "one\nTWO from a\nthree\n")
    commit(b, "src/app.py", "one\nTWO from b\nthree\n")
    commit(b, "other.py", "b only\n")

    overlaps.update()
    [found] = overlaps.current()
    assert found.conflicts and found.conflict_files == ("src/app.py",)
    assert found.summary() in [f"CONFLICT instance {x} and instance {y} in src/app.py" for x, y in PAIRS]
    assert found.summary(found.worktree_ids[0]) == f"CONFLICT with instance {found.instance_ids[1]} in src/app.py"
    [event] = overlap_events(store)
    assert event.level is Level.WARNING
    assert event.message in [f"instances {x} and {y} conflict in src/app.py" for x, y in PAIRS]
    assert event.instance_id == found.instance_ids[0]


def test_a_branch_that_no_longer_merges_into_its_base(repo, store, worktrees, overlaps):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    commit(a, "src/app.py", "one\nTWO from a\nthree\n")
    overlaps.update()
    assert overlaps.current() == []

    commit(repo, "src/app.py", "one\nTWO on main\nthree\n")  # the base moves
    spent = overlaps.update()
    [found] = overlaps.current()
    assert found.base == "main" and found.worktree_ids == (found.worktree_ids[0],)
    assert found.conflict_files == ("src/app.py",)
    assert spent == 2  # the diff against the new merge base, and merge-tree with the tip
    [event] = overlap_events(store)
    assert event.level is Level.WARNING
    assert event.message == "instance inst0a (feat-a) no longer merges into main: conflict in src/app.py"


def test_nothing_moved_no_git_process(repo, store, worktrees, overlaps, git_calls):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    b = start(store, worktrees, repo, "feat-b", "inst0b")
    commit(a, "src/app.py", "one\nTWO from a\nthree\n")
    commit(b, "src/app.py", "one\nTWO from b\nthree\n")
    assert overlaps.update() == len(git_calls) > 0

    git_calls.clear()
    assert overlaps.update() == 0
    assert Overlaps(overlaps.store, overlaps.events).update() == 0  # another process: reads, asks nothing
    assert git_calls == []


def test_a_commit_costs_three_calls_and_one_per_pair(repo, store, worktrees, overlaps, git_calls):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    b = start(store, worktrees, repo, "feat-b", "inst0b")
    commit(a, "src/app.py", "one\nTWO from a\nthree\n")
    commit(b, "src/app.py", "one\ntwo\nthree\nfrom b\n")
    overlaps.update()
    git_calls.clear()
    commit(a, "src/app.py", "one\nTWO from a again\nthree\n")
    assert overlaps.update() == 4
    assert [c[0] for c in git_calls] == ["diff", "merge-tree", "status", "merge-tree"]


def test_fingerprint_moves_on_commit_edit_and_base(repo, store, worktrees, git_calls):
    a = start(store, worktrees, repo, "feat-a", "inst0a")

    def printed():
        shown = {w.id: w for w in stored_worktrees(store)}
        [worktree] = [w for w in shown.values() if w.instance_id == "inst0a"]
        from cc_orchestrator.core.instances.rows import to_instance

        instance = to_instance(store.read(lambda: InstanceRow.get_by_id("inst0a")))
        return fingerprint(worktree, instance, lambda *a: (_ for _ in ()).throw(AssertionError("git ran")))

    first = printed()
    assert first == printed()
    commit(a, "x.py", "x\n")
    after_commit = printed()
    assert after_commit.head != first.head and after_commit.head == git(a, "rev-parse", "HEAD")

    (a / "x.py").write_text("edited\n")  # an edit alone gives no sign...
    assert printed() == after_commit
    set_status(store, "inst0a", "IDLE")  # ...until the agent's turn ends
    after_turn = printed()
    assert after_turn.dirty != after_commit.dirty
    git(a, "add", "x.py")  # the index moved
    assert printed().dirty != after_turn.dirty

    commit(repo, "main.txt", "main moves\n")
    assert printed().base == git(repo, "rev-parse", "main") != after_commit.base
    assert git_calls == []


def test_a_working_agent_is_read_again_once_per_recheck(repo, store, worktrees, overlaps, git_calls):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    overlaps.update()
    (a / "new.py").write_text("x\n")
    assert overlaps.update() == 0
    later = utcnow().timestamp() + RECHECK_SECONDS
    from datetime import datetime

    stamp = datetime.fromtimestamp(later).replace(microsecond=0)
    store.write(lambda: InstanceRow.update(last_activity=stamp).execute())
    git_calls.clear()
    assert overlaps.update() == 1 and git_calls[0][0] == "status"
    [row] = store.read(lambda: list(WorktreeChangeRow.select()))
    assert "new.py" in row.files


def test_stopped_and_merged_worktrees_are_left_out(repo, store, worktrees, overlaps):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    b = start(store, worktrees, repo, "feat-b", "inst0b")
    commit(a, "src/app.py", "a\n")
    commit(b, "src/app.py", "b\n")
    overlaps.update()
    assert len(overlaps.current()) == 1
    set_status(store, "inst0b", "STOPPED")
    assert overlaps.current() == []  # read: only active worktrees count, before any update
    overlaps.update()
    assert {r.worktree_id for r in store.read(lambda: list(WorktreeChangeRow.select()))} == {
        w.id for w in stored_worktrees(store) if w.instance_id == "inst0a"
    }
    store.write(lambda: WorktreeRow.update(merged_at=utcnow()).execute())
    overlaps.update()
    assert store.read(lambda: WorktreeChangeRow.select().count()) == 0


def test_two_processes_say_a_conflict_once(repo, store, worktrees, overlaps):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    b = start(store, worktrees, repo, "feat-b", "inst0b")
    commit(a, "src/app.py", "a\n")
    commit(b, "src/app.py", "b\n")
    other = Overlaps(store, EventLog(store))
    overlaps.update()
    other.update(force=True)
    assert [e.level for e in overlap_events(store)] == [Level.WARNING]


def test_refs_from_files_packed_and_loose(repo, store, worktrees):
    a = start(store, worktrees, repo, "feat-a", "inst0a")
    where = refs.layout(a)
    assert refs.head(where) == git(a, "rev-parse", "HEAD")
    git(repo, "pack-refs", "--all")
    assert refs.resolve(where, "main") == git(repo, "rev-parse", "main")
    assert refs.head(where) == git(a, "rev-parse", "HEAD")
    git(repo, "tag", "-a", "v1", "-m", "v1")
    assert refs.resolve(where, "v1") == git(repo, "rev-parse", "v1")
    assert refs.resolve(where, "main~1") is None  # git's to answer
    os.utime(where.gitdir / "index", ns=(time.time_ns(), time.time_ns() + 10**9))
    assert refs.index_stamp(where) != "0:0"


# -- the faces' ends: the CLI, Live -------------------------------------------------------------


def test_cli_overlaps_lines_and_json(cli_env, git_repo, store, worktrees):
    import json

    from tests.test_cli import ok

    assert ok(cli_env, git_repo, "worktrees", "overlaps").strip() == "no overlaps"
    commit(git_repo, "src/app.py", "one\ntwo\nthree\n")
    a = start(store, worktrees, git_repo, "feat-a", "inst0a")
    b = start(store, worktrees, git_repo, "feat-b", "inst0b")
    c = start(store, worktrees, git_repo, "feat-c", "inst0c")
    commit(a, "src/app.py", "one\nTWO from a\nthree\n")
    commit(b, "src/app.py", "one\nTWO from b\nthree\n")
    (c / "README.md").write_text("c edits\n")
    (a / "README.md").write_text("a edits\n")

    lines = ok(cli_env, git_repo, "worktrees", "overlaps").splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("CONFLICT  inst0") and lines[0].endswith(": src/app.py")
    assert "(feat-a)" in lines[0] and "(feat-b)" in lines[0]
    assert lines[1].startswith("overlap   inst0") and lines[1].endswith(": README.md")
    assert "(feat-a)" in lines[1] and "(feat-c)" in lines[1]

    found = json.loads(ok(cli_env, git_repo, "worktrees", "overlaps", "--json", "--repo", str(git_repo)))
    assert [o["conflicts"] for o in found] == [True, False]
    assert found[0]["conflict_files"] == ["src/app.py"] and sorted(found[0]["instance_ids"]) == ["inst0a", "inst0b"]
    other = git_repo.parent / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    assert json.loads(ok(cli_env, git_repo, "worktrees", "overlaps", "--json", "--repo", str(other))) == []


def test_live_warns_of_a_new_conflict_then_sweeps_without_git(cli_env, data_dir, git_repo, git_calls):
    from cc_orchestrator.core.models import InstanceStatus
    from cc_orchestrator.core.orchestrator import Orchestrator
    from tests.helpers import retry_until
    from tests.test_live import Pushed

    orch = Orchestrator(data_dir)
    commit(git_repo, "src/app.py", "one\ntwo\nthree\n")
    first, second = orch.instances.start(git_repo), orch.instances.start(git_repo)
    commit(Path(first.worktree_path), "src/app.py", "one\nTWO from a\nthree\n")
    commit(Path(second.worktree_path), "src/app.py", "one\nTWO from b\nthree\n")
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append, sweep=0.3)
    try:
        shown = pushed.until(lambda s: s.overlaps and s.overlaps[0].conflicts)
        assert set(shown.overlaps[0].instance_ids) == {first.id, second.id}
        warned = retry_until(
            lambda: [
                e for s in pushed.snapshots for e in s.events if e.level.value == "WARNING" and "overlap" in e.data
            ]
        )
        assert warned[0].message.endswith("conflict in src/app.py")
        pushed.until(lambda s: all(s.instance(i.id).status is InstanceStatus.IDLE for i in (first, second)))

        def three_sweeps_without_git() -> bool:
            before, rounds = len(git_calls), running.rounds
            retry_until(lambda: running.rounds >= rounds + 3)
            return len(git_calls) == before

        retry_until(three_sweeps_without_git, timeout=20)
        assert not pushed.errors, pushed.errors
    finally:
        running.stop()
        orch.instances.stop(first.id)
        orch.instances.stop(second.id)
        orch.close()
