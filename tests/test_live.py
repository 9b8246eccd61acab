"""`Live`: snapshots pushed when something changes, from the files that change, and nothing
done at idle. Real tmux, real files, real inotify; the fake agent."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

import pytest

from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from tests.helpers import FAKE_AGENT_COMMAND, capture, count_tmux_calls, retry_until

ODD_PROMPT = "ask me: "


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir)
    yield orchestrator
    orchestrator.close()


class Pushed:
    """What a face receives: every snapshot, on Live's thread."""

    def __init__(self) -> None:
        self.snapshots = []
        self.errors = []
        self.lock = threading.Lock()

    def __call__(self, snapshot) -> None:
        with self.lock:
            self.snapshots.append(snapshot)

    @property
    def last(self):
        with self.lock:
            return self.snapshots[-1] if self.snapshots else None

    def instance(self, instance_id):
        last = self.last
        return last.instance(instance_id) if last else None

    def until(self, predicate, timeout=15.0):
        return retry_until(lambda: (s := self.last) is not None and predicate(s) and s, timeout=timeout)


@pytest.fixture
def live(orch):
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append)
    yield running, pushed
    running.stop()
    assert not pushed.errors, pushed.errors


def test_a_first_frame_from_the_store_then_the_live_state(orch, git_repo, live):
    instance = orch.instances.start(git_repo)
    running, pushed = live
    first = retry_until(lambda: pushed.snapshots and pushed.snapshots[0])
    assert not first.live
    pushed.until(lambda s: s.live and s.instance(instance.id) is not None)


def test_a_question_on_the_screen_is_pushed_without_any_poll(orch, git_repo, live):
    running, pushed = live
    instance = orch.instances.start(git_repo)
    pushed.until(lambda s: (i := s.instance(instance.id)) is not None and i.status is InstanceStatus.IDLE)
    rounds = running.rounds
    subprocess.run(
        ["tmux", "-L", orch.tmux_socket, "send-keys", "-t", f"={instance.tmux_session}:", "ask q.txt", "Enter"],
        check=True,
    )
    waiting = pushed.until(lambda s: s.instance(instance.id).status is InstanceStatus.WAITING_INPUT)
    assert waiting.instance(instance.id).waiting_for == "Do you want to create q.txt?"
    assert running.rounds > rounds


def test_another_processs_change_is_pushed(orch, git_repo, live, cli_env):
    _, pushed = live
    pushed.until(lambda s: s.live)
    subprocess.run(
        [sys.executable, "-m", "cc_orchestrator", "tasks", "add", "from another process"],
        env=cli_env,
        cwd=git_repo,
        check=True,
        capture_output=True,
    )
    arrived = pushed.until(lambda s: any(t.title == "from another process" for t in s.tasks))
    assert any("from another process" in e.message for e in arrived.events) or arrived.tasks


def test_an_agent_dying_is_pushed_at_once(orch, git_repo):
    """From the kernel (a pidfd per agent) or tmux's pane-died hook, not from the sweep (set to
    two minutes here): tmux 3.3 sometimes never reaps an agent (tmux/tmux#4841), and then it
    runs no hook either, until another child of its server exits."""
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append, sweep=120)
    instance = orch.instances.start(git_repo)
    pushed.until(lambda s: (i := s.instance(instance.id)) is not None and i.status is InstanceStatus.IDLE)
    orch.instances.send(instance.id, "exit 3")
    try:
        # with its status: Live makes tmux collect the agent (tmux/tmux#4841 leaves it a zombie)
        pushed.until(lambda s: (i := s.instance(instance.id)).status is InstanceStatus.ERROR and i.exit_status == 3)
    finally:
        running.stop()


def test_a_pending_prompt_is_delivered_by_the_running_face(cli_env, data_dir, git_repo):
    orch = Orchestrator(data_dir, agent_command=f"{FAKE_AGENT_COMMAND} --prompt '{ODD_PROMPT}' --ready-delay 0.3")
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append)
    try:
        instance = orch.instances.start(git_repo, prompt="hello from live")
        retry_until(lambda: "received: hello from live" in capture(orch.tmux_socket, instance.tmux_session))
        pushed.until(lambda s: not s.instance(instance.id).pending_prompt)
    finally:
        running.stop()
        orch.close()


def test_an_agent_that_reads_its_terminal_after_a_pause_gets_its_prompt_and_shows_idle(cli_env, data_dir, git_repo):
    # Its prompt is on the screen well before it reads: nothing on the screen changes when it
    # starts reading, so only /proc can tell the running face that it is ready now.
    command = f"{FAKE_AGENT_COMMAND} --prompt '{ODD_PROMPT}' --read-delay 0.6"
    orch = Orchestrator(data_dir, agent_command=command)
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append)
    try:
        instance = orch.instances.start(git_repo, prompt="hello after a pause")
        retry_until(lambda: "received: hello after a pause" in capture(orch.tmux_socket, instance.tmux_session))
        # back at its (unknown) prompt, reading again: IDLE, from the kernel's word alone
        pushed.until(lambda s: (i := s.instance(instance.id)) and i.status is InstanceStatus.IDLE)
        assert not pushed.errors, pushed.errors
    finally:
        running.stop()
        orch.close()


def test_idle_costs_no_tmux_call_and_no_round(orch, git_repo):
    instances = [orch.instances.start(git_repo) for _ in range(3)]
    counter = count_tmux_calls(orch.tmux)
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append)
    try:
        pushed.until(lambda s: all((i := s.instance(x.id)) and i.status is InstanceStatus.IDLE for x in instances))
        time.sleep(0.5)  # the last screens read, the last writes made
        calls, rounds = counter.calls, running.rounds
        time.sleep(2.0)  # shorter than a sweep: nothing at all may happen
        assert (counter.calls, running.rounds) == (calls, rounds)
    finally:
        running.stop()


@pytest.mark.slow
def test_a_silent_busy_agent_is_found_hung_by_tmux_not_by_the_sweep(cli_env, data_dir, git_repo):
    """tmux's alert-silence (monitor-silence = hung_after_seconds + 1) runs that instance's health
    check; the sweep is two minutes away."""
    orch = Orchestrator(data_dir, hung_after_seconds=10)
    instance = orch.instances.start(git_repo)
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append, sweep=120)
    try:
        pushed.until(lambda s: (i := s.instance(instance.id)) is not None and i.status is InstanceStatus.IDLE)
        orch.instances.send(instance.id, "work 60")
        pushed.until(lambda s: s.instance(instance.id).status is InstanceStatus.RUNNING)
        hung = f"instance {instance.id} looks hung"
        retry_until(lambda: any(hung in e.message for e in orch.events.tail(limit=50)), timeout=30)
        assert not pushed.errors, pushed.errors
    finally:
        running.stop()
        orch.close()


def test_a_stop_by_another_process_is_a_stop_not_a_failure(cli_env, data_dir, git_repo):
    """The running face sees the agent die the moment `cco instances stop` ends it; it must
    leave that death to the stop, not record a failure first (and send its alerts)."""
    orch = Orchestrator(data_dir)
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append)
    try:
        instances = [orch.instances.start(git_repo) for _ in range(3)]
        for instance in instances:
            pushed.until(lambda s, i=instance.id: s.instance(i).status is InstanceStatus.IDLE)
        for instance in instances:
            stop = subprocess.run(
                [sys.executable, "-m", "cc_orchestrator", "instances", "stop", instance.id],
                env=cli_env,
                cwd=git_repo,
                capture_output=True,
                text=True,
            )
            assert stop.returncode == 0, stop.stderr
        for instance in instances:
            final = pushed.until(lambda s, i=instance.id: s.instance(i).status is InstanceStatus.STOPPED)
            assert final.instance(instance.id).status_message == "stopped by user"
            seen = [e.data.get("status") for e in orch.events.since(0, instance_id=instance.id) if e.data]
            assert "ERROR" not in seen, seen
    finally:
        running.stop()
        orch.close()


def test_an_idle_sweep_reads_no_snapshot_yet_sees_a_worktree_folder_go(orch, git_repo, monkeypatch):
    from cc_orchestrator.core import live as live_module

    reads = []
    read_snapshot = live_module.read_snapshot
    monkeypatch.setattr(live_module, "read_snapshot", lambda *a, **kw: reads.append(1) or read_snapshot(*a, **kw))
    instance = orch.instances.start(git_repo)
    pushed = Pushed()
    running = orch.live(pushed, pushed.errors.append, sweep=0.2)
    try:
        pushed.until(lambda s: (i := s.instance(instance.id)) is not None and i.status is InstanceStatus.IDLE)

        def three_sweeps_without_a_read() -> bool:
            before, rounds = len(reads), running.rounds
            retry_until(lambda: running.rounds >= rounds + 3)
            return len(reads) == before

        retry_until(three_sweeps_without_a_read, timeout=20)
        shutil.rmtree(instance.worktree_path)
        pushed.until(lambda s: not s.worktree(instance.worktree_id).exists)
        assert not pushed.errors, pushed.errors
    finally:
        running.stop()
