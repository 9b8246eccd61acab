"""Push from remote hosts: one long-running ssh command per host that prints a line whenever
something there moved (a pane's output clock, a pane's death, a hook spool's size), so a
long-lived face refreshes that host at once instead of polling it. Locally inotify and tmux's
hooks do this job; there, a small shell loop does, and its cost stays on that host: our side
only blocks reading a pipe.

The loop says `beat` every ten seconds when nothing moved; a watcher that hears nothing for
`SILENT_SECONDS` takes its host for gone. When the connection ends, the face is told (its
refresh then finds the host unreachable) and the watcher connects again after a backoff.
"""

from __future__ import annotations

import os
import select
import subprocess
import threading
import time
from collections.abc import Callable

from cc_orchestrator.core.hosts.remote import RemoteHost
from cc_orchestrator.core.tmux.runner import scrubbed_environment

TICK = 0.2  # seconds between two looks there
SILENT_SECONDS = 30.0  # no line for this long: the host hangs
BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)

# $1 tmux socket name ("" for the default server), $2 our spool folder, $3 seconds between looks.
SCRIPT = r"""
sock=$1 dir=$2 tick=$3
t() { if [ -n "$sock" ]; then tmux -L "$sock" "$@"; else tmux "$@"; fi; }
last="" quiet=0
while :; do
  now=$(t list-panes -a -F '#{session_name} #{pane_dead} #{window_activity}' 2>/dev/null
    wc -c "$dir"/*.jsonl 2>/dev/null)
  if [ "$now" != "$last" ]; then
    last=$now quiet=0
    echo changed || exit 0
  else
    quiet=$((quiet + 1))
    if [ "$quiet" -ge 50 ]; then quiet=0; echo beat || exit 0; fi
  fi
  sleep "$tick"
done
"""


class HostWatch:
    """Watchers for a set of hosts; `on_change(name)` is called from their threads."""

    def __init__(self, remote: Callable[[str], RemoteHost], on_change: Callable[[str], None]) -> None:
        self._remote = remote
        self.on_change = on_change
        self._watchers: dict[str, _Watcher] = {}

    def watch(self, names: set[str]) -> None:
        """Watch exactly these hosts from now on."""
        for name in set(self._watchers) - names:
            self._watchers.pop(name).stop()
        for name in names - set(self._watchers):
            watcher = _Watcher(name, self._remote, self.on_change)
            self._watchers[name] = watcher
            watcher.start()

    def stop(self) -> None:
        self.watch(set())


class _Watcher:
    def __init__(self, name: str, remote: Callable[[str], RemoteHost], on_change: Callable[[str], None]) -> None:
        self.name = name
        self._remote = remote
        self.on_change = on_change
        self._stopped = threading.Event()
        self._process: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"watch-{name}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()

    def _run(self) -> None:
        failures = 0
        while not self._stopped.is_set():
            heard = self._follow()
            if self._stopped.is_set():
                return
            self.on_change(self.name)  # gone or hung: the refresh says which, and marks it
            failures = 0 if heard else failures + 1
            self._stopped.wait(BACKOFF[min(failures, len(BACKOFF) - 1)])

    def _follow(self) -> bool:
        """Run the loop there until it ends; whether it said anything."""
        try:
            remote = self._remote(self.name)
            argv = remote.ssh.argv(
                remote.host.url, ["sh", "-c", SCRIPT, "sh", remote.tmux.socket_name or "", remote.spool_dir, str(TICK)]
            )
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=scrubbed_environment(),
            )
        except Exception:  # noqa: BLE001 - the host's trouble; the refresh reports it
            return False
        process, heard = self._process, False
        try:
            last = time.monotonic()
            while not self._stopped.is_set():
                ready, _, _ = select.select([process.stdout], [], [], 1.0)
                if not ready:
                    if time.monotonic() - last > SILENT_SECONDS:
                        return heard
                    continue
                data = os.read(process.stdout.fileno(), 4096)
                if not data:
                    return heard
                heard, last = True, time.monotonic()
                if b"changed" in data:
                    self.on_change(self.name)
            return heard
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()
