"""Jumping into an instance's tmux pane: switch the client, or suspend the app and attach.

Inside the agents' own tmux server, `switch-client` moves the user's terminal to the agent's
session and the dashboard keeps running in its own. Anywhere else (outside tmux, or inside
another tmux server) the app suspends, `tmux attach` takes the terminal, and detaching brings
the user back to the same screen.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping


def attach_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for `tmux attach`: without TMUX, or tmux refuses to nest."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items() if k not in ("TMUX", "TMUX_PANE")}


def run_attached(argv: list[str]) -> int:
    """Run `tmux attach` in the foreground until the user detaches; its exit status."""
    return subprocess.run(argv, env=attach_env()).returncode


def run_switch(argv: list[str]) -> str:
    """Run `tmux switch-client`; its error text ("" when it worked)."""
    result = subprocess.run(argv, capture_output=True, text=True)
    return "" if result.returncode == 0 else (result.stderr.strip() or "tmux switch-client failed")
