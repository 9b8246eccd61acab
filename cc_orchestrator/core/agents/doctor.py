"""`agents doctor`: is each agent installed, is its version one we tested, and can we read it?

The live probe starts the agent in a scratch tmux server, in an empty temporary folder, and
classifies its first screen with the profile's patterns, exactly as an instance's screen is
read; then it ends the agent and removes the folder and the server. A CLI that changed its
screens shows up here as "unknown", with the lines it showed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field

from cc_orchestrator.config.agents import AgentProfile
from cc_orchestrator.core.agents.menu import plain
from cc_orchestrator.core.agents.screen import classify
from cc_orchestrator.core.agents.terminal import ready_by_terminal
from cc_orchestrator.core.processes import terminate_tree
from cc_orchestrator.core.tmux.layouts import resolve_layout
from cc_orchestrator.core.tmux.service import TmuxService
from cc_orchestrator.errors import OrchestratorError

_VERSION = re.compile(r"\d+\.\d+\.\d+")
PROBE_SECONDS = 45.0  # at most, for the first screen (Codex animates its logo for ~12 s first)
STILL_SECONDS = 1.5  # a screen that matches nothing is reported once it holds still this long


@dataclass(frozen=True)
class Probe:
    seen: str  # ready, dialog, working, unknown, exited
    detail: str = ""  # the dialog and its question, the exit status
    lines: list[str] = field(default_factory=list)  # the last lines of the screen
    seconds: float = 0.0


@dataclass(frozen=True)
class AgentReport:
    name: str
    program: str
    path: str | None
    version: str | None
    tested: str  # "2.1.197 - 2.1.332", or "" when no versions were tested
    verdict: str  # tested, newer than tested, older than supported, untested, not installed
    probe: Probe | None
    ok: bool

    @property
    def summary(self) -> str:
        if self.path is None:
            return "not installed"
        seen = (
            f"; probe: {self.probe.seen}" + (f" ({self.probe.detail})" if self.probe.detail else "")
            if self.probe
            else ""
        )
        return f"{self.version or 'version unknown'}, {self.verdict}{seen}"


def version_of(path: str, profile: AgentProfile, timeout: float = 10.0) -> str | None:
    """The version the program prints; None if it prints none (a program that ignores
    `--version` gets no terminal to wait on, and is stopped after `timeout`)."""
    try:
        result = subprocess.run(
            [path, *profile.version_args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_env(profile),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _VERSION.search(result.stdout + " " + result.stderr)
    return found.group(0) if found else None


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def verdict(version: str | None, tested: list[str]) -> str:
    if not tested:
        return "untested"
    if version is None:
        return "version unknown"
    if _key(version) > _key(tested[-1]):
        return "newer than tested"
    if _key(version) < _key(tested[0]):
        return "older than supported"
    return "tested"


def check(profile: AgentProfile, probe: bool = True) -> AgentReport:
    argv = shlex.split(profile.command) + list(profile.args) if profile.command else []
    path = shutil.which(argv[0]) if argv else None
    tested = f"{profile.tested_versions[0]} - {profile.tested_versions[-1]}" if profile.tested_versions else ""
    if path is None:
        return AgentReport(profile.name, profile.program, None, None, tested, "not installed", None, False)
    version = version_of(path, profile)
    judged = verdict(version, profile.tested_versions)
    seen = run_probe(profile, [path, *argv[1:]]) if probe else None
    ok = judged in ("tested", "untested") and (seen is None or seen.seen in ("ready", "dialog"))
    return AgentReport(profile.name, profile.program, path, version, tested, judged, seen, ok)


def run_probe(profile: AgentProfile, argv: list[str], timeout: float = PROBE_SECONDS) -> Probe:
    """Start the agent in a scratch tmux pane and classify its first screen."""
    folder = tempfile.mkdtemp(prefix="cco-doctor-")
    tmux = TmuxService(f"cco-doctor-{uuid.uuid4().hex[:8]}", marker=folder)
    started = time.monotonic()
    pane = None
    try:
        pane = tmux.create_session("cc-orchestrator-doctor", folder, argv, resolve_layout("default", {}), profile.env)
        return _first_screen(tmux, profile, pane.pid, started, timeout)
    except OrchestratorError as exc:
        return Probe("exited", exc.message, seconds=time.monotonic() - started)
    finally:
        if pane is not None and pane.pid:
            terminate_tree(pane.pid, timeout=3.0)
        tmux.run("kill-server", check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _first_screen(tmux: TmuxService, profile: AgentProfile, pid: int | None, started: float, timeout: float) -> Probe:
    last, still_since = None, time.monotonic()
    while True:
        time.sleep(0.1)
        pane = tmux.panes().get("cc-orchestrator-doctor")
        elapsed = time.monotonic() - started
        if pane is None:
            return Probe("exited", "its session ended", seconds=elapsed)
        styled = tmux.capture("cc-orchestrator-doctor", pane_id=pane.pane_id, escapes=True)
        text = plain(styled)
        lines = [line.rstrip() for line in text.splitlines() if line.strip()][-8:]
        if pane.dead:
            status = f"status {pane.exit_status}" if pane.exit_status is not None else "it ended"
            return Probe("exited", status, lines, elapsed)
        if text != last:
            last, still_since = text, time.monotonic()
        screen = classify(text, profile, styled)
        still = time.monotonic() - still_since
        if screen.kind == "ready" and still >= 0.3:
            return Probe("ready", "its ready prompt", lines, elapsed)
        if screen.kind == "waiting" and still >= 0.3:
            return Probe("dialog", f"{screen.dialog.name}: {screen.text}", lines, elapsed)
        if screen.kind == "unknown" and ready_by_terminal(profile, pid) and still >= 0.3:
            return Probe("ready", "reading its terminal", lines, elapsed)
        if elapsed >= timeout or (screen.kind == "unknown" and still >= STILL_SECONDS and elapsed >= 5.0):
            return Probe(
                screen.kind if screen.kind != "waiting" else "dialog", "no pattern of its profile", lines, elapsed
            )


def _env(profile: AgentProfile) -> dict[str, str]:
    return {**os.environ, **profile.env}


def newer_than_tested(profiles: list[AgentProfile]) -> list[str]:
    """One warning per installed agent newer than the newest version we tested."""
    warnings = []
    for profile in profiles:
        argv = shlex.split(profile.command) if profile.command else []
        path = shutil.which(argv[0]) if argv else None
        if path is None or not profile.tested_versions:
            continue
        version = version_of(path, profile)
        if version and verdict(version, profile.tested_versions) == "newer than tested":
            warnings.append(
                f"{profile.program} {version} is newer than the newest version tested with cc-orchestrator "
                f"({profile.tested_versions[-1]}); if it misbehaves, run `cc-orchestrator agents doctor {profile.name}`"
            )
    return warnings


def profiles_to_check(settings, name: str | None = None) -> list[AgentProfile]:
    """The named profile, or every profile that runs a program (the default agent first)."""
    if name:
        return [settings.profile(name)]
    default = settings.profile()
    others = [settings.profile(n) for n in settings.profiles if n != default.name]
    return [default, *(p for p in others if p.command)]
