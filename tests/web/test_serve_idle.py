"""`cc-orchestrator serve` at idle starts no process: its core Live is pushed, not polled.

A real `serve` process with idle agents, and `tmux` and `git` shims first on its PATH that
write a line per call before running the real program.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx

from tests.helpers import capture, retry_until
from tests.web.conftest import start_serve

TOKEN = "idle-test-token-" + "x" * 24
SWEEP = 5.0  # Live's sweep in `serve`
WINDOW = 6.0  # seconds watched: longer than a sweep, so one falls inside


def shims(folder: Path, calls: Path) -> str:
    """A PATH whose `tmux` and `git` log each call to `calls`, then run the real ones."""
    folder.mkdir()
    for name in ("tmux", "git"):
        real = shutil.which(name)
        shim = folder / name
        shim.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexec "{real}" "$@"\n')
        shim.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def test_idle_serve_runs_no_tmux_or_git(cli_env, orch, git_repo, tmp_path):
    agents = [orch.instances.start(git_repo) for _ in range(2)]
    for agent in agents:
        retry_until(lambda a=agent: "fake-agent ready" in capture(orch.settings.tmux_socket, a.tmux_session))
    calls = tmp_path / "calls.log"
    env = {**cli_env, "PATH": shims(tmp_path / "shims", calls), "CC_ORCHESTRATOR_WEB_TOKEN": TOKEN}
    server, base = start_serve(env, git_repo)
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:

            def settled() -> bool:  # the first full round is done: tmux asked, screens read, usage sampled
                items = http.get("/api/instances").json()["items"]
                return len(items) == 2 and all(
                    i["status"] == "IDLE" and i["resource_usage"]["memory_mb"] > 0 for i in items
                )

            retry_until(settled, timeout=30)
            assert calls.exists() and "list-panes" in calls.read_text()  # the shims do count
            # The first sweep may still set up what later ones reuse (once per pane); steady idle
            # starts after it. Not a timing assertion: a slow machine only makes the test longer.
            time.sleep(SWEEP + 2.0)
            before = calls.read_text().splitlines()
            deadline = time.monotonic() + WINDOW
            while time.monotonic() < deadline:  # fail at the first call, or pass after the window
                now = calls.read_text().splitlines()
                assert now == before, f"serve ran {now[len(before) :]} while idle"
                time.sleep(0.2)
            assert http.get("/api/instances").json()["total"] == 2  # it still answers, from its snapshot
        assert calls.read_text().splitlines() == before  # and REST reads started nothing either
    finally:
        server.terminate()
        server.communicate(timeout=15)
        for agent in agents:
            orch.instances.stop(agent.id)
