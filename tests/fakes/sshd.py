"""A real OpenSSH server on 127.0.0.1, playing a remote host for the tests.

Each `Sshd` is its own world, so tests may run in parallel:
- `/usr/sbin/sshd -D -e -f CONFIG` on a free port, with a host key, an `authorized_keys` and a
  config file of its own (no PAM, no passwords, keys only);
- the "remote host" has its own HOME, PATH (its `bin` first, where a test puts fake agent CLIs)
  and TMUX_TMPDIR (so its tmux servers are not ours even under the same `-L` name), set by the
  server's `SetEnv`. Every session enters through `enter.sh` (`ForceCommand`), which starts in
  that HOME and runs the command with /bin/sh, as a remote login shell would: nothing is shared
  with the local side except what goes through ssh;
- the client side gets an ssh config file (`client_config`: port, the test's key, its own
  known_hosts, no ssh agent), which the orchestrator is pointed at with the `ssh_config` setting
  (CC_ORCHESTRATOR_SSH_CONFIG). Its known_hosts starts empty: `trust()` adds the host key, as a
  user who had connected before would have.

`stop()` kills the listener and every connection it forked (each calls setsid, so a process
group kill would miss them); `start()` again serves on the same port with the same host key, as
a host that rebooted would. The remote tmux servers are killed by `close()`.

    with Sshd(tmp_path / "remote") as sshd:
        sshd.trust()
        url = sshd.url  # ssh://USER@127.0.0.1:PORT
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

import psutil

SSHD = "/usr/sbin/sshd"
# Run as root, sshd wants its privilege separation folder (systemd makes it for the ssh service,
# which we never start); as any other user it needs none.
PRIVSEP = Path("/run/sshd")

ENTER = """#!/bin/sh
# Every session of the fake remote host starts here (sshd's ForceCommand).
cd "$HOME" || exit 1
if [ -n "$SSH_ORIGINAL_COMMAND" ]; then
    exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
fi
exec /bin/sh -l
"""


def available() -> str | None:
    """Why the tests with a real sshd cannot run here, or None."""
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} is missing (.ci/install-sshd.sh installs Debian's openssh-server)"
    for program in ("ssh", "ssh-keygen", "tmux", "git"):
        if shutil.which(program) is None:
            return f"{program} is not on PATH"
    if os.geteuid() == 0 and not PRIVSEP.is_dir():
        try:
            PRIVSEP.mkdir(mode=0o755, parents=True)
        except OSError as exc:
            return f"sshd run as root needs {PRIVSEP}: {exc.strerror}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )


class Sshd:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.user = getpass.getuser()
        self.port = 0
        self.process: subprocess.Popen | None = None
        root.mkdir(parents=True, exist_ok=True)
        self.etc = root / "etc"  # the server's files
        self.home = root / "home"  # the remote user's HOME
        self.bin = root / "bin"  # first on the remote PATH
        # the remote TMUX_TMPDIR: short, as a unix socket's path must be (108 bytes)
        self.tmux_tmpdir = Path(tempfile.mkdtemp(prefix="cco-rt-"))
        self.client = root / "client"  # the local user's ssh files for this host
        for folder in (self.etc, self.home, self.bin, self.client):
            folder.mkdir(mode=0o700, exist_ok=True)
        self.host_key = self.etc / "host_key"
        self.client_key = self.client / "id_ed25519"
        self.known_hosts = self.client / "known_hosts"
        self.client_config = self.client / "config"
        self.log = self.etc / "sshd.log"
        keygen(self.host_key, "cco-test-host")
        keygen(self.client_key, "cco-test-client")
        (self.etc / "authorized_keys").write_text(self.client_key.with_suffix(".pub").read_text())
        enter = self.etc / "enter.sh"
        enter.write_text(ENTER)
        enter.chmod(0o755)
        self.known_hosts.write_text("")

    @property
    def url(self) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}"

    @property
    def remote_path(self) -> str:
        return f"{self.bin}:/usr/local/bin:/usr/bin:/bin"

    def _write_configs(self) -> None:
        (self.etc / "sshd_config").write_text(
            f"""ListenAddress 127.0.0.1:{self.port}
HostKey {self.host_key}
PidFile {self.etc / "sshd.pid"}
AuthorizedKeysFile {self.etc / "authorized_keys"}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowUsers {self.user}
LogLevel INFO
SetEnv HOME={self.home} PATH={self.remote_path} TMUX_TMPDIR={self.tmux_tmpdir} LANG=C.UTF-8
ForceCommand {self.etc / "enter.sh"}
Subsystem sftp internal-sftp
"""
        )
        self.client_config.write_text(
            f"""Host *
    Port {self.port}
    IdentityFile {self.client_key}
    IdentitiesOnly yes
    IdentityAgent none
    UserKnownHostsFile {self.known_hosts}
    GlobalKnownHostsFile /dev/null
    UpdateHostKeys no
    LogLevel ERROR
"""
        )

    def start(self, timeout: float = 10.0) -> Self:
        """Serve (again, on the same port when it served before) and wait until it answers."""
        for _ in range(5):  # another test may take a free port between our probe and sshd's bind
            self.port = self.port or free_port()
            self._write_configs()
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [SSHD, "-D", "-e", "-f", str(self.etc / "sshd_config")],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                        if probe.recv(64).startswith(b"SSH-"):
                            return self
                except OSError:
                    time.sleep(0.02)
            self.stop()
            if "Address already in use" not in self.log.read_text(errors="replace"):
                break
            self.port = 0
        raise RuntimeError(f"sshd did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        """Kill the listener and every connection it serves: the host is gone."""
        if self.process is None:
            return
        try:
            family = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        for process in family:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(family, timeout=5)
        self.process.wait(timeout=5)
        self.process = None

    def trust(self) -> None:
        """Add the host key to the client's known_hosts, as a user who connected before."""
        key = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {key[0]} {key[1]}\n")

    def accepted(self) -> int:
        """How many ssh connections the server accepted (each logs one line)."""
        return self.log.read_text(errors="replace").count("Accepted publickey")

    def environment(self) -> dict[str, str]:
        """What a program on the remote side sees (for running its tools directly in a test)."""
        return {"HOME": str(self.home), "PATH": self.remote_path, "TMUX_TMPDIR": str(self.tmux_tmpdir)}

    def close(self) -> None:
        """Stop serving, and kill the remote host's tmux servers."""
        self.stop()
        for found in self.tmux_tmpdir.glob("tmux-*/*"):
            if found.is_socket():
                subprocess.run(["tmux", "-S", str(found), "kill-server"], capture_output=True, timeout=10)
        shutil.rmtree(self.tmux_tmpdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
