"""`cc-orchestrator serve` as a user starts it: a process of its own, its first lines."""

from __future__ import annotations

import os
import subprocess
import sys


def test_serve_warns_once_about_an_agent_newer_than_tested(cli_env, git_repo, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text("#!/bin/sh\necho '9.9.9 (Claude Code)'\n")
    (bin_dir / "claude").chmod(0o755)
    env = {**cli_env, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "cc_orchestrator", "serve", "--port", "0"],
        env=env,
        cwd=git_repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        link = server.stdout.readline()
        assert link.startswith("cc-orchestrator dashboard: http://127.0.0.1:")
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    warnings = [line for line in stderr.splitlines() if "newer than the newest version tested" in line]
    assert len(warnings) == 1 and warnings[0].startswith("WARNING: claude 9.9.9")
