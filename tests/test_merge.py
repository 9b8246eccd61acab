"""Merging finished work back, and the merge queue: real git repositories, a real SQLite file.

Each task here has a worktree and branch made by WorktreeService, commits made with git, and a
stopped instance row that links them (as an agent's would); checks are a shell command.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cc_orchestrator.core.events import utcnow
from cc_orchestrator.core.models import CheckStatus, Level, TaskStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.review import runs
from cc_orchestrator.core.review.checks import Checks
from cc_orchestrator.core.store.tables import EventRow, InstanceRow, TaskRow, WorktreeRow
from cc_orchestrator.errors import Conflict
from tests.helpers import git, retry_until
from tests.test_cli import ok, refused, run


def make_orch(data_dir: Path, **settings) -> Orchestrator:
    return Orchestrator(data_dir, review_checks=settings.pop("checks", {"*": "true"}), **settings)


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = make_orch(data_dir)
    yield orchestrator
    orchestrator.close()


def commit(folder: Path, files: dict[str, str], message: str = "") -> str:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
        git(folder, "add", name)
    git(folder, "commit", "-q", "-m", message or f"change {', '.join(files)}")
    return git(folder, "rev-parse", "HEAD")


def review_task(
    orch: Orchestrator, repo: Path, title: str, files: dict[str, str], deps=(), passed: bool = True
) -> tuple[int, Path]:
    """A REVIEW task whose branch has one commit with `files`, checks passed on its HEAD."""
    task = orch.tasks.add(title, repo=str(repo))
    worktree = orch.worktrees.create(repo, f"task-{task.id}", base="main")
    path = Path(worktree.path)
    head = commit(path, files, title)
    now = utcnow()

    def write() -> None:
        instance = f"i{task.id:05d}"
        InstanceRow.create(
            id=instance,
            task=task.id,
            worktree_id=worktree.id,
            worktree_path=str(path),
            tmux_session=f"cco-{instance}",
            status="STOPPED",
            repo=str(repo),
            branch=worktree.branch,
            created_at=now,
            last_activity=now,
        )
        TaskRow.update(status=TaskStatus.REVIEW.value, checks="passed").where(TaskRow.id == task.id).execute()
        if passed:
            pass_checks(orch, task.id, head, path)

    orch.store.write(write)
    if deps:
        orch.tasks.update(task.id, add_dependencies=deps)
    return task.id, path


def pass_checks(orch: Orchestrator, task_id: int, head: str, folder: Path) -> None:
    """Inside a write: the gate's run that passed on `head`."""
    row = runs.begin(
        task_id=task_id,
        instance_id=None,
        purpose="gate",
        checks=Checks("true", "test"),
        folder=folder,
        head=head,
        tree="",
        log_path=folder / "log",
    )
    runs.finish(orch.events, row, 0, CheckStatus.PASSED, "")


def state(orch: Orchestrator, repo: Path) -> tuple:
    """What a refusal must leave as it was: the base, the main checkout's files, the database."""
    files = {p.name: p.read_text() for p in repo.iterdir() if p.is_file()}
    tasks = orch.store.read(lambda: [(t.id, t.status, t.checks) for t in TaskRow.select().order_by(TaskRow.id)])
    worktrees = orch.store.read(lambda: [(w.id, w.merged_at) for w in WorktreeRow.select().order_by(WorktreeRow.id)])
    newest_event = orch.store.read(lambda: EventRow.select().order_by(EventRow.id.desc()).first().id)
    return git(repo, "rev-parse", "main"), git(repo, "status", "--porcelain"), files, tasks, worktrees, newest_event


def parents(repo: Path, rev: str) -> list[str]:
    return git(repo, "rev-list", "--parents", "-n", "1", rev).split()[1:]


# -- one task -----------------------------------------------------------------------------


def test_merge_makes_a_merge_commit_and_fast_forwards_the_clean_main_checkout(orch, git_repo):
    tid, path = review_task(orch, git_repo, "Add hello", {"hello.py": "print('hi')\n"})
    before = git(git_repo, "rev-parse", "main")
    tip = git(path, "rev-parse", "HEAD")

    result = orch.merges.merge(tid)

    head = git(git_repo, "rev-parse", "main")
    assert result.merged and result.commit == head and result.strategy == "merge" and not result.checked_again
    assert parents(git_repo, head) == [before, tip]
    assert git(git_repo, "log", "-1", "--format=%s", "main") == f"Merge task #{tid}: Add hello"
    assert (git_repo / "hello.py").read_text() == "print('hi')\n"  # the checkout's files followed
    assert git(git_repo, "status", "--porcelain") == ""
    assert orch.tasks.get(tid).status is TaskStatus.DONE
    worktree = orch.worktrees.get(orch.instances.get(f"i{tid:05d}", refresh=False).worktree_id)
    assert worktree.merged_at is not None
    merged = [e for e in orch.events.since(0) if e.data.get("merged") == head]
    assert len(merged) == 1 and merged[0].message.startswith(f"task {tid} merged into main as {head[:8]}")
    assert result.seconds > 0


def test_squash_is_one_commit_and_the_merged_worktree_goes_without_force(orch, git_repo):
    tid, path = review_task(orch, git_repo, "Two steps", {"a.txt": "a\n"})
    commit(path, {"b.txt": "b\n"}, "second step")
    orch.store.write(lambda: pass_checks(orch, tid, git(path, "rev-parse", "HEAD"), path))
    before = git(git_repo, "rev-parse", "main")

    result = orch.merges.merge(tid, "squash")

    assert parents(git_repo, "main") == [before]
    message = git(git_repo, "log", "-1", "--format=%B", "main")
    assert message.startswith(f"Two steps (task #{tid})") and "* Two steps\n* second step" in message
    worktree_id = orch.instances.get(f"i{tid:05d}", refresh=False).worktree_id
    assert not orch.worktrees.losses(worktree_id)  # the squash holds its commits' work
    (path / "notes.txt").write_text("mine\n")  # uncommitted work still counts
    with pytest.raises(Conflict, match="1 uncommitted file"):
        orch.worktrees.remove(worktree_id)
    (path / "notes.txt").unlink()
    commit(path, {"late.txt": "after the merge\n"}, "late")  # so does a commit made after the merge
    with pytest.raises(Conflict, match="1 commit on no other branch"):
        orch.worktrees.remove(worktree_id)
    git(path, "reset", "-q", "--hard", "HEAD~1")
    orch.worktrees.remove(worktree_id)
    assert not path.exists() and result.merged


def test_rebase_replays_the_commits_onto_a_moved_base_and_leaves_the_branch_alone(cli_env, data_dir, git_repo):
    orch = make_orch(data_dir, checks={"*": ""})  # no checks: nothing to check again
    tid, path = review_task(orch, git_repo, "Feature", {"feature.txt": "f\n"})
    tip = git(path, "rev-parse", "HEAD")
    moved = commit(git_repo, {"other.txt": "o\n"}, "meanwhile on main")

    result = orch.merges.merge(tid, "rebase")

    head = git(git_repo, "rev-parse", "main")
    assert parents(git_repo, head) == [moved]  # linear: the task's commit on top of main
    assert git(git_repo, "log", "-1", "--format=%s", "main") == "Feature"
    assert (git_repo / "feature.txt").exists() and git(path, "rev-parse", "HEAD") == tip
    assert result.commit == head and not orch.worktrees.losses(orch.store.read(lambda: WorktreeRow.get().id))
    assert not any((data_dir / "merging").glob("*"))
    orch.close()


def test_a_base_checked_out_nowhere_moves_by_compare_and_swap(orch, git_repo):
    git(git_repo, "switch", "-q", "-c", "elsewhere")
    tid, _ = review_task(orch, git_repo, "Off-screen", {"x.txt": "x\n"})
    result = orch.merges.merge(tid)
    assert git(git_repo, "rev-parse", "main") == result.commit
    assert git(git_repo, "branch", "--show-current") == "elsewhere" and not (git_repo / "x.txt").exists()


def test_a_dirty_main_checkout_refuses_and_nothing_changes(orch, git_repo):
    tid, _ = review_task(orch, git_repo, "Add hello", {"hello.py": "print('hi')\n"})
    (git_repo / "README.md").write_text("my edit, not committed\n")
    before = state(orch, git_repo)

    with pytest.raises(Conflict) as refusal:
        orch.merges.merge(tid)

    assert refusal.value.message == (
        f"main is checked out at {git_repo} with uncommitted changes (README.md); commit or stash them, "
        "then merge again"
    )
    assert state(orch, git_repo) == before


def test_untracked_files_in_the_way_say_what_to_do_and_nothing_changes(orch, git_repo):
    tid, _ = review_task(orch, git_repo, "Add hello", {"hello.py": "print('hi')\n"})
    (git_repo / "hello.py").write_text("someone's own file\n")
    before = state(orch, git_repo)
    with pytest.raises(Conflict, match=r"untracked files would be overwritten by the merge \(hello.py\); move them"):
        orch.merges.merge(tid)
    assert state(orch, git_repo) == before


def test_a_conflict_is_refused_naming_the_files(orch, git_repo):
    tid, _ = review_task(orch, git_repo, "Edit readme", {"README.md": "theirs\n", "ok.txt": "fine\n"})
    commit(git_repo, {"README.md": "ours\n"}, "main edits the readme")
    before = state(orch, git_repo)
    with pytest.raises(Conflict, match=f"task {tid} does not merge into main: conflicts in README.md;"):
        orch.merges.merge(tid)
    assert state(orch, git_repo) == before


def test_checks_not_passed_on_the_current_head_are_refused(orch, git_repo):
    tid, path = review_task(orch, git_repo, "Checked once", {"a.txt": "a\n"})
    head = commit(path, {"a.txt": "changed after the checks\n"})
    before = state(orch, git_repo)
    with pytest.raises(Conflict, match=f"checks have not passed on {head[:8]}, the HEAD of task-{tid}"):
        orch.merges.merge(tid)
    (path / "a.txt").write_text("uncommitted\n")
    with pytest.raises(Conflict, match="has uncommitted changes \\(a.txt\\); merging would leave them behind"):
        orch.merges.merge(tid)
    assert state(orch, git_repo) == before


def test_cleanup_merged_removes_the_worktree_and_branch(cli_env, data_dir, git_repo):
    orch = make_orch(data_dir, cleanup_merged=True)
    tid, path = review_task(orch, git_repo, "Tidy", {"t.txt": "t\n"})
    result = orch.merges.merge(tid, "squash")
    assert result.merged and result.notes == ()
    assert not path.exists() and git(git_repo, "branch", "--list", f"task-{tid}") == ""
    assert orch.worktrees.list(inspect=False) == []
    orch.close()


# -- the queue ----------------------------------------------------------------------------


def test_the_queue_takes_dependencies_first_then_the_smallest_change_and_checks_each_on_the_new_base(orch, git_repo):
    big, _ = review_task(orch, git_repo, "Big", {"big.txt": "1\n2\n3\n4\n5\n6\n"})
    small, _ = review_task(orch, git_repo, "Small", {"small.txt": "1\n2\n"})
    smallest, _ = review_task(orch, git_repo, "Smallest, after big", {"tiny.txt": "1\n"}, deps=[big])
    unchecked, _ = review_task(orch, git_repo, "Not checked", {"u.txt": "u\n"}, passed=False)

    results = orch.merges.merge_ready()

    assert [(r.task_id, r.merged) for r in results] == [(small, True), (big, True), (smallest, True)]
    assert [r.checked_again for r in results] == [False, True, True]  # the base moved under the later two
    assert git(git_repo, "rev-parse", "main") == results[-1].commit
    rechecks = [r for tid in (big, smallest) for r in runs.of_task(orch.store, tid) if r.purpose == "merge"]
    assert [(r.status, r.head) for r in rechecks] == [(CheckStatus.PASSED, results[1].commit)] + [
        (CheckStatus.PASSED, results[2].commit)
    ]
    assert orch.tasks.get(unchecked).status is TaskStatus.REVIEW
    assert orch.merges.merge_ready() == []


def test_a_recheck_that_fails_on_the_moved_base_leaves_the_base_alone(cli_env, data_dir, git_repo):
    orch = make_orch(data_dir, checks={"*": "test ! -f broken.txt"})
    tid, _ = review_task(orch, git_repo, "Innocent", {"a.txt": "a\n"})
    tip = commit(git_repo, {"broken.txt": "the base moved, and with this the task breaks\n"})

    [result] = orch.merges.merge_ready()

    assert not result.merged and result.reason.startswith(f"merging task {tid} onto main breaks its checks")
    assert git(git_repo, "rev-parse", "main") == tip
    task = orch.tasks.get(tid)
    assert (task.status, task.checks.value) == (TaskStatus.REVIEW, "failed")
    warnings = [e.message for e in orch.events.since(0) if e.level is Level.WARNING]
    assert f"merging task {tid} onto main breaks its checks" in warnings
    [run] = [r for r in runs.of_task(orch.store, tid) if r.purpose == "merge"]
    assert run.status is CheckStatus.FAILED and Path(run.log_path).is_file()
    assert not Path(run.folder).exists() and not any((data_dir / "merging").glob("*"))
    assert len(git(git_repo, "worktree", "list").splitlines()) == 2  # main and the task's: no scratch left
    assert orch.merges.merge_ready() == []  # a failed re-check takes it out of the queue
    orch.close()


def test_one_merge_at_a_time_across_processes(orch, git_repo, data_dir):
    tid, _ = review_task(orch, git_repo, "Waits", {"w.txt": "w\n"})
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from cc_orchestrator.core.review.queue import merge_lock\n"
            "with merge_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
            str(orch.merges.lock_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = state(orch, git_repo)
        with pytest.raises(Conflict, match=f"another merge is under way \\(process {holder.pid}\\)"):
            orch.merges.merge(tid)
        assert orch.merges.merge_ready() == []  # the face's queue leaves it to the holder
        with pytest.raises(Conflict, match="another merge is under way"):
            orch.merges.merge_ready(refuse_if_busy=True)
        assert state(orch, git_repo) == before
    finally:
        holder.kill()
        holder.wait()
    retry_until(lambda: orch.merges.merge(tid).merged, timeout=5)  # the lock died with its holder


# -- the command line ---------------------------------------------------------------------


def test_cli_merges_one_task_and_refuses_in_one_line(cli_env, data_dir, git_repo):
    orch = make_orch(data_dir, checks={"*": ""})
    first, _ = review_task(orch, git_repo, "First", {"1.txt": "1\n"})
    second, _ = review_task(orch, git_repo, "Second", {"README.md": "conflicts\n"})
    commit(git_repo, {"README.md": "main's\n"})
    orch.close()
    env = {**cli_env, "CC_ORCHESTRATOR_REVIEW_CHECKS": '{"*": ""}'}

    out = ok(env, git_repo, "tasks", "merge", str(first), "--squash")
    assert out.startswith(f"task {first}: merged task-{first} into main as ") and "(squash" in out
    refused(env, git_repo, "tasks", "merge", str(second), match="conflicts in README.md")
    refused(env, git_repo, "tasks", "merge", str(first), match=f"task {first} is DONE, not REVIEW")
    result = run(env, git_repo, "tasks", "merge", "--ready", "--json")
    assert result.returncode == 1 and '"merged": false' in result.stdout and "conflicts in README.md" in result.stdout
    assert "TASK_ID or --ready" in run(env, git_repo, "tasks", "merge").stderr


def test_cleanup_merged_stops_a_live_instance_and_removes_its_worktree(cli_env, data_dir, git_repo):
    orch = make_orch(data_dir, cleanup_merged=True, checks={"*": ""})
    task = orch.tasks.add("Live", repo=str(git_repo))
    instance = orch.instances.start(git_repo, task_id=task.id, base="main")
    path = Path(instance.worktree_path)
    commit(path, {"live.txt": "made by the agent\n"})
    orch.tasks.set_status(task.id, TaskStatus.IN_PROGRESS)
    orch.tasks.set_status(task.id, TaskStatus.REVIEW)

    result = orch.merges.merge(task.id)

    assert result.merged and result.notes == ()
    assert orch.instances.get(instance.id, refresh=False).status.value == "STOPPED"
    assert not path.exists() and (git_repo / "live.txt").exists()
    assert orch.tasks.get(task.id).status is TaskStatus.DONE
    orch.close()
