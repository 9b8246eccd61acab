"""Small helpers shared by the tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

FAKE_AGENT = Path(__file__).with_name("fake_agent.py")
FAKE_AGENT_COMMAND = f"{sys.executable} {FAKE_AGENT}"


def retry_until(fn: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Call `fn` until it returns something truthy; fail with its last value after `timeout`."""
    deadline = time.monotonic() + timeout
    value = fn()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)
        value = fn()
    return value


def wait_for(orch, ref: str, predicate, timeout: float):
    """Refresh an instance until `predicate(instance)` holds or `timeout` passes; the last one."""
    deadline = time.monotonic() + timeout
    instance = orch.instances.get(ref)
    while not predicate(instance) and time.monotonic() < deadline:
        time.sleep(0.1)
        instance = orch.instances.get(ref)
    return instance


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def tmux(socket: str, *args: str, check: bool = True) -> str:
    result = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def kill_tmux_server(socket: str) -> None:
    """Kill a private tmux server and remove the socket file tmux leaves behind."""
    import os

    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    socket_dir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
    (socket_dir / socket).unlink(missing_ok=True)


def capture(socket: str, session: str) -> str:
    return tmux(socket, "capture-pane", "-p", "-t", f"={session}:", check=False)


class CountingRunner:
    """A TmuxService's runner that counts the tmux processes it starts (tests and benchmarks)."""

    def __init__(self, runner) -> None:
        self.runner = runner
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.runner(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.runner, name)


def count_tmux_calls(service) -> CountingRunner:
    """Count every tmux process `service` starts from now on: read `.calls` of the result."""
    counter = CountingRunner(service.runner)
    service.runner = counter
    return counter
