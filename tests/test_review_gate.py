"""The review gate with real parts: the fake agent in a private tmux server, a real git
repository, the checks run in a tmux window of the instance's session."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from cc_orchestrator.core.models import ChecksState, CheckStatus, InstanceStatus, TaskStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.review.checks import REPO_FILE, resolve
from tests.helpers import FAKE_AGENT_COMMAND, git, retry_until, tmux

WAIT = 30.0


def with_checks(repo: Path, command: str) -> None:
    (repo / REPO_FILE).write_text(f"[review]\nchecks = {command!r}\n")
    git(repo, "add", REPO_FILE)
    git(repo, "commit", "-q", "-m", "checks")


@pytest.fixture
def make_orch(data_dir, tmux_socket):
    made: list[Orchestrator] = []

    def make(on_failure: str = "", **settings) -> Orchestrator:
        command = f"{FAKE_AGENT_COMMAND} --one-turn --on-checks-failed {shlex.quote(on_failure)}"
        orch = Orchestrator(
            data_dir, tmux_socket=tmux_socket, agent_command=command, default_agent="generic", **settings
        )
        made.append(orch)
        return orch

    yield make
    for orch in made:
        for instance in orch.instances.list(refresh=False):
            if instance.status is not InstanceStatus.STOPPED:
                orch.instances.stop(instance.id)
        orch.close()


def start_task(orch: Orchestrator, repo: Path, *lines: str) -> int:
    task = orch.tasks.add("Say hello", description="\n".join(lines), repo=str(repo))
    orch.assign(task.id)
    return task.id


def run_loop_until(orch: Orchestrator, reached, timeout: float = WAIT):
    """What a long-lived face does each round: refresh, then a review step."""

    def step():
        orch.instances.list()
        orch.review.step(sweep=True)
        return reached()

    try:
        return retry_until(step, timeout=timeout, interval=0.1)
    except AssertionError:
        print("\n".join(f"{e.id} {e.kind} {e.message} {e.data}" for e in orch.events.since(0)))
        raise


def test_passing_checks_commit_the_leftovers_and_move_the_task_to_review(make_orch, git_repo, tmux_socket):
    with_checks(git_repo, "test -f hello.txt && echo checked")
    orch = make_orch()
    task_id = start_task(orch, git_repo, "work 0.5", "write hello.txt hi")

    run_loop_until(orch, lambda: orch.tasks.get(task_id).status is TaskStatus.REVIEW)

    (run,) = orch.review.runs(task_id)
    assert run.status is CheckStatus.PASSED and run.exit_code == 0 and run.purpose == "gate"
    assert "checked" in run.tail and Path(run.log_path).read_text().count("checked") >= 1
    instance = orch.instances.get(orch.tasks.get(task_id).assigned_instance)
    folder = Path(instance.worktree_path)
    assert git(folder, "status", "--porcelain") == ""  # the leftovers were committed
    assert run.head == git(folder, "rev-parse", "HEAD")  # the run covers the commit made from its tree
    assert git(folder, "log", "-1", "--format=%s") == f"task #{task_id}: Say hello"
    assert orch.tasks.get(task_id).checks is ChecksState.PASSED
    windows = tmux(tmux_socket, "list-windows", "-t", f"={instance.tmux_session}", "-F", "#{window_name}")
    assert "checks" in windows.split()  # kept, dead, for the user to read


def test_a_failure_is_the_agents_next_prompt_and_its_fix_is_checked_again(make_orch, git_repo):
    with_checks(git_repo, "test -f fixed.txt || { echo 'fixed.txt is missing'; exit 3; }")
    orch = make_orch(on_failure="work 0.5; write fixed.txt ok")
    task_id = start_task(orch, git_repo, "work 0.5", "write hello.txt hi")

    run_loop_until(orch, lambda: orch.tasks.get(task_id).status is TaskStatus.REVIEW)

    failed, passed = orch.review.runs(task_id)
    assert (failed.status, failed.exit_code, passed.status) == (CheckStatus.FAILED, 3, CheckStatus.PASSED)
    assert "fixed.txt is missing" in failed.tail
    told = [e for e in orch.events.since(0, task_id=None) if e.message.startswith("sent ")]
    text = told[-1].data["text"]
    assert "round 1 of 3" in text and "exited with status 3" in text and "fixed.txt is missing" in text


def test_after_max_rounds_the_instance_asks_a_person(make_orch, git_repo):
    with_checks(git_repo, "echo broken; exit 1")
    orch = make_orch(on_failure="work 0.3; write attempt.txt again", review_max_rounds=2)
    task_id = start_task(orch, git_repo, "work 0.5", "write hello.txt hi")

    def asked():
        instance = orch.instances.get(orch.tasks.get(task_id).assigned_instance)
        return instance if instance.status is InstanceStatus.WAITING_INPUT else None

    instance = run_loop_until(orch, asked)
    assert instance.waiting_for == "checks failed 2 times"
    task = orch.tasks.get(task_id)
    assert task.status is TaskStatus.IN_PROGRESS and task.checks is ChecksState.GAVE_UP
    assert [r.status for r in orch.review.runs(task_id)] == [CheckStatus.FAILED, CheckStatus.FAILED]
    orch.review.step(sweep=True)  # nothing more runs while a person decides
    assert len(orch.review.runs(task_id)) == 2


def test_a_repository_without_checks_moves_on_unchecked(make_orch, git_repo):
    orch = make_orch()
    task_id = start_task(orch, git_repo, "work 0.5", "write hello.txt hi")

    run_loop_until(orch, lambda: orch.tasks.get(task_id).status is TaskStatus.REVIEW)

    assert orch.review.runs(task_id) == []
    assert orch.tasks.get(task_id).checks is ChecksState.NO_CHECKS


def test_a_turn_without_new_work_is_not_checked(make_orch, git_repo):
    with_checks(git_repo, "true")
    orch = make_orch()
    task_id = start_task(orch, git_repo, "work 0.5")
    run_loop_until(orch, lambda: orch.instances.get(orch.tasks.get(task_id).assigned_instance).status.name == "IDLE")
    for _ in range(3):
        orch.review.step(sweep=True)
    assert orch.review.runs(task_id) == []
    assert orch.tasks.get(task_id).status is TaskStatus.IN_PROGRESS


def test_a_run_whose_window_is_killed_is_interrupted_and_run_again(make_orch, git_repo, tmux_socket):
    with_checks(git_repo, "sleep 2; test -f hello.txt")
    orch = make_orch()
    task_id = start_task(orch, git_repo, "work 0.5", "write hello.txt hi")
    run_loop_until(orch, lambda: orch.review.runs(task_id))
    instance = orch.instances.get(orch.tasks.get(task_id).assigned_instance)
    tmux(tmux_socket, "kill-window", "-t", f"={instance.tmux_session}:checks")

    run_loop_until(orch, lambda: orch.tasks.get(task_id).status is TaskStatus.REVIEW)

    interrupted, passed = orch.review.runs(task_id)
    assert (interrupted.status, passed.status) == (CheckStatus.INTERRUPTED, CheckStatus.PASSED)


def test_the_checks_command_comes_from_the_repository_the_setting_or_the_project(tmp_path):
    repo = tmp_path / "p"
    repo.mkdir()
    assert resolve(repo).command is None
    (repo / "Cargo.toml").write_text("[package]\n")
    assert resolve(repo).command == "cargo test"
    (repo / "Makefile").write_text("all:\n\techo\ntest: all\n\techo ok\n")
    assert resolve(repo).command == "make test"
    (repo / "package.json").write_text('{"scripts": {"test": "jest"}}')
    assert resolve(repo).command == "npm test"
    (repo / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    found = resolve(repo)
    assert (found.command, found.source) == ("pytest -q", "detected: pytest configuration")
    assert resolve(repo, {"*": "tox"}).command == "tox"
    assert resolve(repo, {str(repo): "nox", "*": "tox"}).command == "nox"
    (repo / REPO_FILE).write_text('[review]\nchecks = ""\n')
    assert resolve(repo, {"*": "tox"}).command is None  # the repository says: none
    (repo / REPO_FILE).write_text('[review]\nchecks = "just check"\n')
    assert resolve(repo, {"*": "tox"}).source == REPO_FILE


def test_inside_a_running_face_the_gate_needs_no_one_to_poll_it(make_orch, git_repo):
    """Live (the TUI's and serve's loop) runs the gate: the turn's end, the checks window's end
    (tmux's pane-died hook) and the move to REVIEW arrive without any call from the test."""
    with_checks(git_repo, "test -f hello.txt")
    orch = make_orch()
    live = orch.live(lambda snapshot: None, sweep=30.0)  # no sweep within the test: signals only
    try:
        task_id = start_task(orch, git_repo, "write hello.txt hi", "work 0.5")
        retry_until(lambda: orch.tasks.get(task_id).status is TaskStatus.REVIEW, timeout=WAIT)
    finally:
        live.stop()
    assert [r.status for r in orch.review.runs(task_id)] == [CheckStatus.PASSED]


def test_ask_agent_mode_has_the_agent_commit_and_the_passed_run_covers_it(make_orch, git_repo):
    with_checks(git_repo, "test -f hello.txt")
    orch = make_orch(review_commit="ask-agent")
    task = orch.tasks.add("Say hello", description="write hello.txt hi\nwork 0.5", repo=str(git_repo))
    orch.assign(task.id)
    run_loop_until(orch, lambda: any(e.message.startswith("sent ") for e in orch.events.since(0)))
    instance = orch.instances.get(orch.tasks.get(task.id).assigned_instance)
    orch.instances.send(instance.id, "work 0.3\ncommit the agent's own words")  # as the agent would

    run_loop_until(orch, lambda: orch.tasks.get(task.id).status is TaskStatus.REVIEW)

    (run,) = orch.review.runs(task.id)  # not run again: the same tree
    folder = Path(instance.worktree_path)
    assert git(folder, "log", "-1", "--format=%s") == "the agent's own words"
    assert run.head == git(folder, "rev-parse", "HEAD")


def test_a_face_starting_after_a_crash_checks_the_turn_nobody_checked(make_orch, git_repo, data_dir, tmux_socket):
    with_checks(git_repo, "test -f hello.txt")
    first = make_orch()
    task_id = start_task(first, git_repo, "write hello.txt hi", "work 0.5")
    instance_id = first.tasks.get(task_id).assigned_instance
    retry_until(
        lambda: (
            first.instances.get(instance_id).status is InstanceStatus.IDLE
            and first.events.claim("review", ()) is not None
        ),
        timeout=WAIT,
    )
    # the turn's end was claimed (the cursor moved past it) by a face that then died

    later = make_orch()
    run_loop_until(later, lambda: later.tasks.get(task_id).status is TaskStatus.REVIEW)
    assert [r.status for r in later.review.runs(task_id)] == [CheckStatus.PASSED]


def test_review_settings_take_the_dotted_name_and_a_review_table(data_dir, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[review]\ncommit = "never"\nauto_merge = true\n')
    monkeypatch.setenv("CC_ORCHESTRATOR_CONFIG_FILE", str(config))
    orch = Orchestrator(data_dir)
    try:
        orch.config.set("review.max_rounds", "5")
        settings = orch.config.effective()
        assert (settings.review_commit, settings.review_auto_merge, settings.review_max_rounds) == ("never", True, 5)
        assert orch.config.get("review.commit").value == "never"
    finally:
        orch.close()
