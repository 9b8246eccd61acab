"""One remote host as the instance code sees it: its tmux (our TmuxService, each call sent
through the host's ssh connection), and the folders our spools, pane logs and worktrees live in.

Nothing is installed there: a remote host needs sshd, tmux, git and the agent CLI. Our files
live under `$HOME/.cc-orchestrator/<key>/`, the key naming this orchestrator's data dir, so two
orchestrators driving one host never share a spool.
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from cc_orchestrator.core.hosts.ssh import TIMEOUT, Result, Ssh
from cc_orchestrator.core.models import Host
from cc_orchestrator.core.tmux import runner
from cc_orchestrator.core.tmux.service import TmuxService
from cc_orchestrator.errors import ExternalError


class RemoteTmuxRunner:
    """`TmuxRunner`'s interface, each tmux call one ssh round trip (through the open master)."""

    def __init__(self, remote: RemoteHost, socket_name: str | None, timeout: float = runner.TIMEOUT) -> None:
        self.remote = remote
        self.socket_name = socket_name
        self.timeout = timeout
        self.binary = "tmux"

    def argv(self, *args: str, program: str | None = None) -> list[str]:
        socket = ["-L", self.socket_name] if self.socket_name else []
        return ["tmux", *socket, *args]

    def __call__(self, *args: str, stdin: bytes | None = None) -> runner.Result:
        done = self.remote.run(self.argv(*args), stdin=stdin, timeout=self.timeout)
        return runner.Result(done.returncode, runner._lines(done.stdout), done.stderr.splitlines())


class RemoteTmux(TmuxService):
    """Our sessions on a remote host's tmux server. A person reaches one with `ssh -t`."""

    def __init__(self, remote: RemoteHost, socket_name: str | None, marker: str) -> None:
        super().__init__(socket_name, marker, events=None)
        self.remote = remote
        self.runner = RemoteTmuxRunner(remote, socket_name)

    def require(self) -> None:
        """tmux was there when the host was added; a call that finds it gone says so."""

    def holds_client(self, environ=None) -> bool:
        return False  # our terminal is never inside another machine's tmux server

    def attach_argv(self, name: str) -> list[str]:
        return self.remote.ssh.argv(
            self.remote.host.url, self.runner.argv("attach-session", "-t", f"={name}"), tty=True
        )

    def switch_argv(self, name: str) -> list[str]:
        return self.attach_argv(name)

    def reap(self) -> None:
        """Only for our own tmux server (tmux 3.3's missed SIGCHLD); a remote refresh asks anyway."""


class RemoteHost:
    """A host's ssh, tmux and folders. `home` is asked once and kept in its row."""

    def __init__(self, ssh: Ssh, host: Host, home: str, data_dir: Path, socket_name: str | None, marker: str) -> None:
        self.ssh = ssh
        self.host = host
        self.home = home.rstrip("/") or "/"
        key = hashlib.sha256(str(Path(data_dir).expanduser().absolute()).encode()).hexdigest()[:10]
        self.root = f"{self.home}/.cc-orchestrator/{key}"
        self.tmux = RemoteTmux(self, socket_name, marker)

    @property
    def name(self) -> str:
        return self.host.name

    @property
    def spool_dir(self) -> str:
        return f"{self.root}/spool"

    @property
    def logs_dir(self) -> str:
        return f"{self.root}/logs"

    def spool(self, instance_id: str, run: int = 0) -> str:
        return f"{self.spool_dir}/{instance_id}.jsonl" if run == 0 else f"{self.spool_dir}/{instance_id}.{run}.jsonl"

    def log(self, instance_id: str) -> str:
        return f"{self.logs_dir}/{instance_id}.log"

    def worktree_path(self, repo: str, branch: str) -> str:
        """Beside the others of this orchestrator on that host: `<root>/worktrees/<repo>/<branch>`."""
        name = repo.rstrip("/").rsplit("/", 1)[-1] or "repo"
        return f"{self.root}/worktrees/{name}/{branch.replace('/', '-')}"

    def run(self, argv: list[str], stdin: bytes | str | None = None, timeout: float = TIMEOUT) -> Result:
        """`argv` there (HostUnreachable when the host does not answer)."""
        return self.ssh.run(self.host, argv, stdin=stdin, timeout=timeout)

    def sh(self, script: str, *args: str, stdin: bytes | str | None = None, timeout: float = TIMEOUT) -> Result:
        """A fixed script with its arguments, as `sh -c SCRIPT sh ARG...`: user text only ever
        arrives as an argument, quoted by `shlex.join`, never pasted into the script."""
        return self.run(["sh", "-c", script, "sh", *args], stdin=stdin, timeout=timeout)

    def checked(self, what: str, done: Result) -> Result:
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
            raise ExternalError(f"host {self.name}: {what}: {reason}")
        return done

    def pipe_command(self, instance_id: str) -> str:
        """`pipe-pane`'s command there: the agent pane's output appended to its log."""
        return f"cat >> {shlex.quote(self.log(instance_id))}"
