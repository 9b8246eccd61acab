"""Running tmux: one process per call, with a timeout, and an environment without our secrets.

A plain subprocess rather than libtmux's `Server.cmd`, which is all we used of it: importing
libtmux cost every command 70-100 ms, and its calls had no timeout, so a hung tmux server hung
the CLI and the dashboard's exit with it. The first call may start the tmux server, which then
hands its environment to every agent: the tokens and the webhook URL we hold are removed first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from cc_orchestrator.errors import ExternalError, MissingDependency

TIMEOUT = 15.0  # seconds for one tmux call; a healthy server answers in milliseconds
# Our secrets never reach the tmux server or an agent (config.settings.SECRET_FIELDS as variables).
SECRET_VARIABLES = frozenset(
    {
        "CC_ORCHESTRATOR_WEB_TOKEN",
        "CC_ORCHESTRATOR_GITHUB_TOKEN",
        "CC_ORCHESTRATOR_JIRA_TOKEN",
        "CC_ORCHESTRATOR_SLACK_WEBHOOK_URL",
    }
)


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: list[str]
    stderr: list[str]


def scrubbed_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: ours) without the secrets we hold."""
    source = os.environ if env is None else env
    return {k: v for k, v in source.items() if k not in SECRET_VARIABLES}


def _lines(data: bytes) -> list[str]:
    lines = data.decode("utf-8", "replace").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return lines


class TmuxRunner:
    def __init__(self, socket_name: str | None, timeout: float = TIMEOUT) -> None:
        self.socket_name = socket_name
        self.timeout = timeout
        self._binary: str | None = None

    @property
    def binary(self) -> str:
        if self._binary is None:
            found = shutil.which("tmux")
            if found is None:
                raise MissingDependency("tmux is not installed or not on PATH")
            self._binary = found
        return self._binary

    def argv(self, *args: str, program: str | None = None) -> list[str]:
        """The command line; `program` "tmux" for one a user's terminal runs (attach)."""
        socket = ["-L", self.socket_name] if self.socket_name else []
        return [program or self.binary, *socket, *args]

    def __call__(self, *args: str, stdin: bytes | None = None) -> Result:
        try:
            done = subprocess.run(
                self.argv(*args),
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout,
                env=scrubbed_environment(),
            )
        except subprocess.TimeoutExpired:
            raise ExternalError(f"tmux {args[0]} did not answer within {self.timeout:.0f} s") from None
        except OSError as exc:
            raise ExternalError(f"cannot run tmux: {exc.strerror}") from None
        return Result(done.returncode, _lines(done.stdout), _lines(done.stderr))
