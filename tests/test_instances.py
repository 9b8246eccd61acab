"""Instances end to end: real git worktrees, a private tmux server, the fake agent."""

from __future__ import annotations

import os
import subprocess

import psutil
import pytest

from cc_orchestrator.core.models import InstanceStatus, TaskStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.errors import Conflict, InvalidInput, OrchestratorError
from tests.helpers import FAKE_AGENT_COMMAND, capture, git, retry_until, wait_for

FAKE = FAKE_AGENT_COMMAND.split()


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir, stop_timeout=2.0)
    yield orchestrator
    orchestrator.close()


def _ready(orch, instance):
    retry_until(lambda: "fake-agent ready" in capture(orch.settings.tmux_socket, instance.tmux_session))


def test_start_makes_a_worktree_a_session_and_a_running_agent(orch, git_repo):
    instance = orch.instances.start(git_repo)
    assert instance.status is InstanceStatus.RUNNING
    assert instance.branch == f"cco/{instance.id}"
    assert instance.tmux_session == f"cc-orchestrator-{instance.id}"
    assert os.path.isdir(instance.worktree_path)
    assert not instance.worktree_path.startswith(str(git_repo))
    assert git(git_repo, "branch", "--list", instance.branch)
    _ready(orch, instance)
    listed = orch.instances.get(instance.id)
    assert listed.pid and listed.resource_usage.memory_mb > 0
    assert orch.worktrees.get(instance.worktree_id).status.value == "ACTIVE"


def test_stop_ends_the_whole_process_tree_and_keeps_the_worktree(orch, git_repo):
    instance = orch.instances.start(git_repo, command=[*FAKE, "--spawn-child"])
    _ready(orch, instance)
    agent = psutil.Process(orch.instances.get(instance.id).pid)
    family = [agent, *agent.children(recursive=True)]
    assert len(family) >= 2
    stopped = orch.instances.stop(instance.id)
    assert stopped.status is InstanceStatus.STOPPED and stopped.pid is None
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family)
    assert orch.tmux.panes() == {}
    assert os.path.isdir(instance.worktree_path)
    assert git(git_repo, "branch", "--list", instance.branch)
    assert orch.worktrees.get(instance.worktree_id).status.value == "IDLE"
    with pytest.raises(Conflict, match="already stopped"):
        orch.instances.stop(instance.id)


def test_an_agent_that_ignores_term_is_killed_after_the_timeout(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, stop_timeout=0.5)
    instance = orch.instances.start(git_repo, command=[*FAKE, "--ignore-term"])
    _ready(orch, instance)
    pid = orch.instances.get(instance.id).pid
    orch.instances.stop(instance.id)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_an_agent_that_exits_at_once_is_error(orch, git_repo):
    instance = orch.instances.start(git_repo, command=[*FAKE, "--exit-at-once", "3"])
    final = wait_for(orch, instance.id, lambda i: not i.status.is_live, timeout=10)
    assert final.status is InstanceStatus.ERROR
    # tmux 3.3 sometimes loses the status of a process that dies within milliseconds
    assert final.exit_status in (3, None)
    assert "status 3" in final.status_message or "did not report" in final.status_message
    assert os.path.isdir(instance.worktree_path)  # its worktree is kept for a look


def test_an_agent_that_exits_cleanly_is_stopped(orch, git_repo):
    instance = orch.instances.start(git_repo, command=[*FAKE, "--exit-after", "0.5"])
    final = wait_for(orch, instance.id, lambda i: not i.status.is_live, timeout=10)
    if final.exit_status is None:  # tmux lost the status (tmux/tmux#4841): said, not guessed
        assert final.status is InstanceStatus.ERROR and "did not report" in final.status_message
    else:
        assert (final.status, final.exit_status) == (InstanceStatus.STOPPED, 0)


def test_an_agent_that_fails_later_is_error_with_its_status(orch, git_repo):
    instance = orch.instances.start(git_repo)
    _ready(orch, instance)
    orch.instances.send(instance.id, "exit 5")
    final = wait_for(orch, instance.id, lambda i: not i.status.is_live, timeout=10)
    assert final.status is InstanceStatus.ERROR
    assert final.exit_status in (5, None)  # None: tmux lost it (tmux/tmux#4841)


def test_max_instances_is_enforced_and_a_refusal_leaves_nothing(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, max_instances=2)
    orch.instances.start(git_repo)
    orch.instances.start(git_repo)
    worktrees_before = git(git_repo, "worktree", "list")
    with pytest.raises(Conflict, match="all 2 instance slots are in use"):
        orch.instances.start(git_repo)
    assert len(orch.instances.list()) == 2
    assert git(git_repo, "worktree", "list") == worktrees_before
    assert len(orch.tmux.panes()) == 2


def test_send_text_reaches_the_agent(orch, git_repo):
    instance = orch.instances.start(git_repo)
    _ready(orch, instance)
    orch.instances.send(instance.id, "please say hi")
    retry_until(lambda: "received: please say hi" in capture(orch.settings.tmux_socket, instance.tmux_session))
    with pytest.raises(InvalidInput):
        orch.instances.send(instance.id, "   ")


def test_assign_starts_an_instance_and_delivers_the_task_as_first_prompt(orch, git_repo):
    task = orch.tasks.add("Add a greeting", "Write hello.txt", repo=str(git_repo))
    instance = orch.assign(task.id)
    assert instance.task_id == task.id and not instance.pending_prompt
    assert instance.branch.startswith(f"cco/task-{task.id}-add-a-greeting")
    retry_until(lambda: "received: Add a greeting" in capture(orch.settings.tmux_socket, instance.tmux_session))
    retry_until(lambda: "received: Write hello.txt" in capture(orch.settings.tmux_socket, instance.tmux_session))
    task = orch.tasks.get(task.id)
    assert task.status is TaskStatus.IN_PROGRESS and task.assigned_instance == instance.id


def test_a_blocked_task_is_not_assigned_and_nothing_is_created(orch, git_repo):
    first = orch.tasks.add("first")
    second = orch.tasks.add("second", dependencies=[first.id])
    with pytest.raises(Conflict, match="blocked"):
        orch.assign(second.id, git_repo)
    assert orch.instances.list() == []
    assert orch.tasks.get(second.id).status is TaskStatus.PENDING


def test_a_prompt_that_could_not_wait_is_delivered_by_a_later_refresh(orch, git_repo):
    orch.config.set("agent_command", FAKE_AGENT_COMMAND + " --ready-delay 1")
    orch.__dict__.pop("settings", None)
    orch.__dict__.pop("instances", None)
    task = orch.tasks.add("slow starter", repo=str(git_repo))
    instance = orch.assign(task.id, wait=False)
    assert instance.pending_prompt
    retry_until(lambda: not orch.instances.get(instance.id).pending_prompt, timeout=15, interval=0.3)
    retry_until(lambda: "received: slow starter" in capture(orch.settings.tmux_socket, instance.tmux_session))
    assert orch.tasks.get(task.id).status is TaskStatus.IN_PROGRESS


def test_auto_assign_fills_free_slots_by_priority(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, max_instances=2)
    low = orch.tasks.add("low one", priority="low", repo=str(git_repo))
    high = orch.tasks.add("high one", priority="HIGH", repo=str(git_repo))
    mid = orch.tasks.add("mid one", priority="Medium", repo=str(git_repo))
    started = orch.auto_assign()
    assert sorted(i.task_id for i in started) == sorted([high.id, mid.id])
    assert orch.tasks.get(low.id).status is TaskStatus.PENDING
    assert orch.auto_assign() == []


def test_a_failed_start_rolls_everything_back(orch, git_repo):
    task = orch.tasks.add("doomed", repo=str(git_repo))
    branches_before = git(git_repo, "branch", "--list")
    with pytest.raises(InvalidInput):
        orch.instances.start(git_repo, task_id=task.id, base="no-such-branch")
    assert orch.instances.list() == []
    assert orch.tasks.get(task.id).status is TaskStatus.PENDING
    assert git(git_repo, "branch", "--list") == branches_before


def test_a_tmux_failure_after_the_worktree_removes_the_new_worktree(orch, git_repo, tmp_path, monkeypatch):
    _ = orch.settings  # resolve before tmux breaks
    not_a_dir = tmp_path / "not-a-dir"
    not_a_dir.write_text("")
    monkeypatch.setenv("TMUX_TMPDIR", str(not_a_dir))  # tmux cannot create its socket here
    branches_before = git(git_repo, "branch", "--list")
    with pytest.raises(OrchestratorError):
        orch.instances.start(git_repo)
    monkeypatch.delenv("TMUX_TMPDIR")
    assert orch.instances.list() == []
    assert git(git_repo, "branch", "--list") == branches_before
    assert orch.worktrees.list() == []


def test_instances_of_several_repositories_are_filtered_by_repo(orch, git_repo, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    for args in (["init", "-q", "-b", "trunk"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", "-C", str(other), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True)
    a = orch.instances.start(git_repo)
    b = orch.instances.start(other)
    assert orch.worktrees.get(b.worktree_id).base_branch == "trunk"
    assert [i.id for i in orch.instances.list(repo=str(git_repo))] == [a.id]
    assert [i.id for i in orch.instances.list(repo=str(other))] == [b.id]
    assert {i.id for i in orch.instances.list()} == {a.id, b.id}


def test_several_refreshing_processes_record_a_change_once(orch, git_repo):
    instance = orch.instances.start(git_repo, command=[*FAKE, "--exit-at-once", "4"])
    retry_until(lambda: orch.tmux.panes().get(instance.tmux_session).dead)
    others = [Orchestrator(orch.data_dir) for _ in range(3)]
    for other in [*others, orch]:
        other.instances.refresh()
    changes = [e for e in orch.events.since(0, instance_id=instance.id) if e.data.get("status") == "ERROR"]
    assert len(changes) == 1


def test_stop_with_remove_worktree_refuses_unsaved_work_before_stopping(orch, git_repo):
    instance = orch.instances.start(git_repo)
    _ready(orch, instance)
    with open(os.path.join(instance.worktree_path, "notes.txt"), "w") as fh:
        fh.write("unsaved\n")
    with pytest.raises(Conflict, match="1 uncommitted file"):
        orch.instances.stop(instance.id, remove_worktree=True)
    assert orch.instances.get(instance.id).status.is_live  # untouched
    os.remove(os.path.join(instance.worktree_path, "notes.txt"))
    orch.instances.stop(instance.id, remove_worktree=True)
    assert not os.path.exists(instance.worktree_path)
    assert not git(git_repo, "branch", "--list", instance.branch)
    assert orch.instances.get(instance.id).status is InstanceStatus.STOPPED


def test_cpu_of_child_processes_is_measured_between_refreshes(orch, git_repo):
    instance = orch.instances.start(git_repo, command=[*FAKE, "--spawn-child"])
    _ready(orch, instance)
    first = orch.instances.list()[0].resource_usage
    assert first.processes >= 2
    # the child's handle survives the round, so the next sample is a delta, not a lifetime average
    tree = {p for p in orch.instances.sampler._procs}
    orch.instances.list()
    assert tree <= set(orch.instances.sampler._procs)


def test_stopping_a_failed_instance_removes_its_dead_session(orch, git_repo):
    instance = orch.instances.start(git_repo, command=["sh", "-c", "sleep 0.3; exit 3"])
    wait_for(orch, instance.id, lambda i: i.status is InstanceStatus.ERROR, timeout=10)
    assert instance.tmux_session in orch.tmux.panes()  # kept so the user can read its last words
    orch.instances.stop(instance.id)
    assert orch.tmux.panes() == {}


def test_screen_diff_and_the_stored_view(orch, git_repo):
    instance = orch.instances.start(git_repo)
    _ready(orch, instance)
    assert "fake-agent ready" in orch.instances.screen(instance.id)
    with open(os.path.join(instance.worktree_path, "README.md"), "a") as fh:
        fh.write("changed by the agent\n")
    git(git_repo, "-C", instance.worktree_path, "commit", "-qam", "agent work")
    with open(os.path.join(instance.worktree_path, "new.txt"), "w") as fh:
        fh.write("x\n")
    git(git_repo, "-C", instance.worktree_path, "add", "new.txt")
    diff = orch.worktrees.diff(instance.worktree_id)
    assert "+changed by the agent" in diff and "new.txt" in diff  # committed and staged work
    instances, worktrees = orch.stored_view()
    assert [i.id for i in instances] == [instance.id] and [w.id for w in worktrees] == [instance.worktree_id]
