"""Agents on a remote host: a real sshd on 127.0.0.1 plays the host (tests/fakes/sshd.py), with
its own HOME and tmux; the fake agent runs there, reached only through ssh."""

from __future__ import annotations

import pytest

from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from tests.helpers import retry_until, wait_for


@pytest.fixture
def box(hosts_env, trusted_sshd, remote_repo, data_dir):
    """An orchestrator with the sshd added as host `box`, holding `remote_repo`."""
    orch = Orchestrator(data_dir, stop_timeout=2.0)
    orch.hosts.add("box", trusted_sshd.url, [str(remote_repo)])
    yield orch
    orch.close()


def _screen(orch, instance) -> str:
    return orch.instances.screen(instance.id)


def test_a_task_runs_on_the_host_and_answers_like_a_local_one(box, trusted_sshd, remote_repo):
    orch = box
    task = orch.tasks.add("Say hello", repo=str(remote_repo))
    instance = orch.assign(task.id, wait=False, host="box")
    assert instance.host == "box" and instance.status is InstanceStatus.RUNNING
    assert instance.worktree_path.startswith(str(trusted_sshd.home))
    assert (trusted_sshd.home / instance.worktree_path.removeprefix(str(trusted_sshd.home) + "/")).is_dir()

    retry_until(lambda: "fake-agent ready" in _screen(orch, instance), timeout=15)
    orch.instances.deliver_when_ready(instance.id, timeout=15)
    retry_until(lambda: "received: Say hello" in _screen(orch, instance), timeout=15)

    orch.instances.send(instance.id, "work 1")
    wait_for(orch, instance.id, lambda i: i.status is InstanceStatus.RUNNING, timeout=15)
    wait_for(orch, instance.id, lambda i: i.status is InstanceStatus.IDLE, timeout=15)

    orch.instances.send(instance.id, "ask made.txt")
    wait_for(orch, instance.id, lambda i: i.status is InstanceStatus.WAITING_INPUT, timeout=15)
    orch.instances.approve(instance.id)
    retry_until(lambda: "created made.txt" in _screen(orch, instance), timeout=15)

    found = orch.instances.get(instance.id)
    assert found.resource_usage.memory_mb > 0 and found.resource_usage.processes >= 1
    log = orch.instances.logs.path(instance.id)
    retry_until(lambda: orch.instances.refresh() is not None and b"created made.txt" in log.read_bytes(), timeout=15)

    stopped = orch.instances.stop(instance.id)
    assert stopped.status is InstanceStatus.STOPPED


def test_an_unreachable_host_leaves_its_instances_as_they_were(box, trusted_sshd, remote_repo):
    orch = box
    instance = orch.instances.start(remote_repo, host="box")
    retry_until(lambda: "fake-agent ready" in _screen(orch, instance), timeout=15)
    wait_for(orch, instance.id, lambda i: i.status is InstanceStatus.IDLE, timeout=15)

    trusted_sshd.stop()
    gone = wait_for(orch, instance.id, lambda i: i.status is InstanceStatus.UNREACHABLE, timeout=20)
    assert gone.unreachable_since is not None
    assert orch.hosts.get("box").unreachable_since is not None

    trusted_sshd.start()
    back = wait_for(orch, instance.id, lambda i: i.status is InstanceStatus.IDLE, timeout=40)
    assert back.unreachable_since is None and orch.hosts.get("box").reachable
    orch.instances.send(instance.id, "hello again")
    retry_until(lambda: "received: hello again" in _screen(orch, instance), timeout=15)
