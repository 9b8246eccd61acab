"""The way to a remote host: the user's own ssh, one multiplexed connection per host.

The first call to a host opens a master connection (ControlMaster=auto) that stays up
`PERSIST_SECONDS` after its last use (ControlPersist); every later call, from any of our
processes, goes through it, which saves the TCP and key exchange: tens of milliseconds instead
of hundreds. Whoever comes first opens it; ssh itself settles a race between two processes.

Security, all ssh's own: the user's ssh config (or `ssh_config`), keys and agent; BatchMode, so
ssh never asks for a password or a passphrase; unknown host keys refused (StrictHostKeyChecking
yes) except for `hosts add --accept-new`. We store no password and no key. A remote command is
an argument list joined with `shlex.join`, never user text pasted into a shell string; a batch of
work goes as a fixed script (`sh -c SCRIPT sh ARG...`, or `sh -s` with the script on stdin), so a
refresh costs one round trip.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cc_orchestrator.core.hosts.address import Address, parse_url
from cc_orchestrator.core.models import Host
from cc_orchestrator.core.private import private_folder
from cc_orchestrator.core.tmux.runner import scrubbed_environment
from cc_orchestrator.errors import HostUnreachable, MissingDependency

PERSIST_SECONDS = 60  # an idle master connection closes after this long
CONNECT_TIMEOUT = 10.0  # seconds for the TCP connection and the ssh handshake
TIMEOUT = 30.0  # seconds for one call, connection included
# sun_path holds 104 bytes on macOS (108 on Linux), its last a NUL; while opening the master,
# ssh binds a temporary name: the ControlPath plus "." and 16 random characters.
SOCKET_PATH_MAX = 103 - 17
_SOCKET_NAME_LENGTH = 16
_SAFE_PATH = re.compile(r"[A-Za-z0-9_./+-]+")  # what ssh's -o ControlPath=... takes unquoted
UNREACHABLE = 255  # ssh's own failures; a remote command that exits 255 reads as one too


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: bytes
    stderr: str
    seconds: float  # the whole call, connection included

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def lines(self) -> list[str]:
        return self.text.splitlines()


def control_dir(data_dir: Path) -> Path:
    """Where the master connections' sockets live: `<data_dir>/ssh`, or a private folder in
    the temporary dir when that path is too long for a unix socket (or has characters ssh would
    need quoted), named after the data dir so two orchestrators never share it."""
    preferred = data_dir.expanduser().absolute() / "ssh"
    if len(os.fsencode(preferred)) + 1 + _SOCKET_NAME_LENGTH <= SOCKET_PATH_MAX and _SAFE_PATH.fullmatch(
        str(preferred)
    ):
        return private_folder(preferred)
    digest = hashlib.sha256(str(data_dir.expanduser().absolute()).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"cco-ssh-{os.getuid()}-{digest}"
    private_folder(folder)
    found = folder.lstat()
    if folder.is_symlink() or found.st_uid != os.getuid() or found.st_mode & 0o077:
        raise HostUnreachable(f"cannot keep ssh connections in {folder}: it is not a private folder of ours")
    return folder


class Ssh:
    """ssh to remote hosts, one master connection per host, opened by the first call."""

    def __init__(
        self,
        data_dir: Path,
        config_file: Path | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        persist: int = PERSIST_SECONDS,
    ) -> None:
        self.data_dir = data_dir
        self.config_file = config_file  # None: the user's ~/.ssh/config, as a plain `ssh` reads
        self.connect_timeout = connect_timeout
        self.persist = persist
        self._control_dir: Path | None = None

    def control_path(self, url: str) -> Path:
        """The master connection's socket for `url` (the same URL, the same connection)."""
        if self._control_dir is None:
            self._control_dir = control_dir(self.data_dir)
        key = f"{self.config_file or ''}\n{url}".encode()
        return self._control_dir / hashlib.sha256(key).hexdigest()[:_SOCKET_NAME_LENGTH]

    def argv(
        self,
        url: str,
        remote: list[str] | None = None,
        *,
        accept_new: bool = False,
        tty: bool = False,
        control: str | None = None,
    ) -> list[str]:
        """The ssh command line for `url`: running `remote` (an argument list) there, with a
        terminal if `tty` (a person attaching); or `control` ("check", "exit") to the master."""
        address: Address = parse_url(url)
        argv = ["ssh"]
        if self.config_file is not None:
            argv += ["-F", str(self.config_file)]
        argv += [
            *("-o", "BatchMode=yes"),
            *("-o", f"StrictHostKeyChecking={'accept-new' if accept_new else 'yes'}"),
            *("-o", "ControlMaster=auto"),
            *("-o", f"ControlPath={self.control_path(url)}"),
            *("-o", f"ControlPersist={self.persist}"),
            *("-o", f"ConnectTimeout={max(1, round(self.connect_timeout))}"),
            *("-o", "ServerAliveInterval=15"),  # a master on a dead link notices in 45 s
            *("-o", "ServerAliveCountMax=3"),
        ]
        if address.user:
            argv += ["-l", address.user]
        if address.port:
            argv += ["-p", str(address.port)]
        if control:
            return [*argv, "-O", control, "--", address.hostname]
        argv.append("-t" if tty else "-T")
        argv += ["--", address.hostname]
        if remote:
            argv.append(shlex.join(remote))  # the remote shell splits it back into `remote`
        return argv

    def run(
        self,
        host: Host,
        argv: list[str],
        stdin: bytes | str | None = None,
        timeout: float = TIMEOUT,
        accept_new: bool = False,
    ) -> Result:
        """Run `argv` on `host`, through its master connection (opened now if none is). The
        remote command's own exit status comes back in the Result; a host that cannot be
        reached, or refuses us, raises HostUnreachable with one line saying why."""
        name = host.name
        command = self.argv(host.url, argv, accept_new=accept_new)
        data = stdin.encode() if isinstance(stdin, str) else stdin
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                input=data,
                stdin=None if data is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                env=scrubbed_environment(),
            )
        except subprocess.TimeoutExpired:
            raise HostUnreachable(f"host {name} unreachable: no answer within {timeout:g} s") from None
        except FileNotFoundError:
            raise MissingDependency("ssh is not installed or not on PATH") from None
        except OSError as exc:
            raise HostUnreachable(f"host {name} unreachable: cannot run ssh: {exc.strerror}") from None
        seconds = time.monotonic() - started
        stderr = done.stderr.decode("utf-8", "replace")
        if done.returncode == UNREACHABLE:
            raise HostUnreachable(explain(name, stderr))
        return Result(done.returncode, done.stdout, stderr, seconds)

    def connected(self, host: Host) -> bool:
        """Whether a master connection to `host` is open (`ssh -O check`)."""
        return self.control_path(host.url).exists() and self._control(host.url, "check")

    def disconnect(self, host: Host) -> bool:
        """Close the master connection to `host`, if one is open (`ssh -O exit`)."""
        return self.control_path(host.url).exists() and self._control(host.url, "exit")

    def _control(self, url: str, what: str) -> bool:
        try:
            done = subprocess.run(
                self.argv(url, control=what),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.connect_timeout,
                env=scrubbed_environment(),
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0


def explain(name: str, stderr: str) -> str:
    """One line for ssh's failure, from what it printed."""
    lines = [line.strip() for line in stderr.replace("\r", "\n").splitlines() if line.strip()]
    text = "\n".join(lines)
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in text:
        return (
            f"host {name} refused: its host key has CHANGED since it was last trusted; "
            "check the host, then fix your known_hosts"
        )
    if "Host key verification failed" in text:
        return (
            f"host {name} refused: its host key is not known; connect once with ssh to check and trust "
            "it, or add the host with --accept-new to trust it on first use"
        )
    if "Permission denied" in text:
        detail = next((line for line in lines if "Permission denied" in line), lines[-1])
        return f"host {name} refused our ssh keys ({detail}); ssh runs in batch mode: no password prompts"
    last = lines[-1] if lines else "ssh failed without saying why"
    return f"host {name} unreachable: {last.removeprefix('ssh: ')}"
