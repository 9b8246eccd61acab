"""The real agent CLIs under test: the versions `.ci/install-agents.sh` installed, by exact
version (the newest published and the oldest supported), else the one on PATH."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

AGENTS = Path(__file__).resolve().parents[1] / ".ci" / "agents"
BINARIES = {
    "claude": "node_modules/@anthropic-ai/claude-code-linux-*/claude",
    "codex": "node_modules/@openai/codex/vendor/*-unknown-linux-musl/bin/codex",
}


@dataclass(frozen=True)
class InstalledAgent:
    name: str
    version: str
    path: str
    why: str  # "newest-published", "oldest-supported", "on PATH"

    @property
    def label(self) -> str:
        return f"{self.name}-{self.version}"


def installed(name: str) -> list[InstalledAgent]:
    """The installed versions of an agent, as listed by the install script (newest first)."""
    found = []
    listing = AGENTS / "versions.txt"
    for line in listing.read_text().splitlines() if listing.exists() else []:
        agent, version, why = (line.split() + ["", ""])[:3]
        if agent != name:
            continue
        binaries = sorted((AGENTS / f"{name}-{version}").glob(BINARIES[name]))
        if binaries:
            found.append(InstalledAgent(name, version, str(binaries[0]), why))
    if not found and (on_path := shutil.which(name)):
        words = subprocess.run([on_path, "--version"], capture_output=True, text=True).stdout.split()
        version = next((w for w in words if w[:1].isdigit()), "unknown")
        found.append(InstalledAgent(name, version, on_path, "on PATH"))
    return found


def missing(name: str) -> list[str]:
    """Versions the install script listed whose binary is not there (its install failed)."""
    listing = AGENTS / "versions.txt"
    found = {a.version for a in installed(name)}
    return [
        f"{agent} {version} ({why})"
        for agent, version, why in ((line.split() + ["", ""])[:3] for line in _lines(listing))
        if agent == name and version not in found
    ]


def params(name: str) -> list:
    """pytest params: each installed version, and each listed version that failed to install
    (skipped, saying so: never left out silently)."""
    import pytest

    present = [pytest.param(a, id=a.label) for a in installed(name)]
    absent = [
        pytest.param(
            None,
            id=f"{what.split()[0]}-{what.split()[1]}",
            marks=pytest.mark.skip(
                reason=f"{what} is listed by .ci/install-agents.sh but was not installed: see its warning"
            ),
        )
        for what in missing(name)
    ]
    return present + absent


def _lines(listing: Path) -> list[str]:
    return listing.read_text().splitlines() if listing.exists() else []


def describe() -> str:
    """One line for the test report's header; it says when a version is newer than the newest
    the profile records as tested (then update `tested_versions` once the tests pass)."""
    from cc_orchestrator.config.agents import resolve_profiles
    from cc_orchestrator.core.agents.doctor import verdict

    profiles = resolve_profiles({})
    parts = []
    for name in BINARIES:
        for agent in installed(name):
            newer = verdict(agent.version, profiles[name].tested_versions) == "newer than tested"
            note = f", newer than the profile's {profiles[name].tested_versions[-1]}" if newer else ""
            parts.append(f"{agent.name} {agent.version} ({agent.why}{note})")
        parts += [f"{what}: NOT INSTALLED" for what in missing(name)]
    return "agents under test: " + (", ".join(parts) if parts else "none installed (run .ci/install-agents.sh)")
