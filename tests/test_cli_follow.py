"""The CLI's long-running commands print what happens as it happens: `monitor` and
`instances logs --events --follow`, as processes of their own, ended with Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading

from tests.helpers import retry_until


def spawn(cli_env, cwd, *args):
    process = subprocess.Popen(
        [sys.executable, "-m", "cc_orchestrator", *args],
        env=cli_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    return process, lines


def seen(lines: queue.Queue, text: str, timeout: float = 20.0) -> list[str]:
    got: list[str] = []

    def look() -> bool:
        while not lines.empty():
            got.append(lines.get())
        return any(text in line for line in got)

    retry_until(look, timeout=timeout)
    return got


def cco(cli_env, cwd, *args):
    return subprocess.run(
        [sys.executable, "-m", "cc_orchestrator", *args], env=cli_env, cwd=cwd, capture_output=True, text=True
    )


def stop(process) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) in (0, 130)


def test_monitor_prints_another_processs_change_as_it_happens(cli_env, git_repo):
    process, lines = spawn(cli_env, git_repo, "monitor")
    try:
        seen(lines, "monitoring")
        assert cco(cli_env, git_repo, "tasks", "add", "seen by monitor").returncode == 0
        printed = seen(lines, "seen by monitor")
        assert not any("monitoring" in line and "seen by monitor" in line for line in printed)
    finally:
        stop(process)


def test_following_an_instances_events_prints_its_state_changes(cli_env, git_repo):
    started = cco(cli_env, git_repo, "instances", "start", "--json")
    assert started.returncode == 0, started.stderr
    instance_id = started.stdout.split('"id": "')[1].split('"')[0]
    process, lines = spawn(cli_env, git_repo, "instances", "logs", instance_id, "--events", "--follow")
    try:
        seen(lines, "RUNNING")  # its history first
        assert cco(cli_env, git_repo, "instances", "send", instance_id, "ask f.txt").returncode == 0
        seen(lines, "WAITING_INPUT")
    finally:
        stop(process)
        cco(cli_env, git_repo, "instances", "stop", instance_id)
    assert os.path.isdir(git_repo)
