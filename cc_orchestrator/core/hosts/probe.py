"""What a host offers, found in one call: tmux and git versions, agent CLIs, repositories.

The script is fixed text; the repository paths reach it as arguments (`sh -c SCRIPT sh PATH...`),
so nothing a user typed is ever read as shell code. The same script runs locally for `local`.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable

from cc_orchestrator.core.hosts.ssh import Result
from cc_orchestrator.core.models import HostCheck, RepoCheck
from cc_orchestrator.core.tmux.runner import scrubbed_environment
from cc_orchestrator.errors import ExternalError

AGENTS = ("claude", "codex", "aider", "gemini")  # looked for on the host's PATH
LATENCY_SAMPLES = 3

SCRIPT = r"""
printf 'tmux\t%s\n' "$(tmux -V 2>/dev/null)"
printf 'git\t%s\n' "$(git --version 2>/dev/null)"
for agent in AGENTS; do
    found=$(command -v "$agent" 2>/dev/null) && printf 'agent\t%s\t%s\n' "$agent" "$found"
done
for repo in "$@"; do
    case $repo in
        "~") path=$HOME ;;
        "~/"*) path=$HOME/${repo#"~/"} ;;
        *) path=$repo ;;
    esac
    if [ ! -e "$path" ]; then
        printf 'repo\t%s\tdoes not exist\n' "$repo"
    elif [ ! -d "$path" ]; then
        printf 'repo\t%s\tis not a folder\n' "$repo"
    elif top=$(cd -- "$path" && git rev-parse --show-toplevel 2>/dev/null); then
        printf 'repo\t%s\tok\t%s\n' "$repo" "$top"
    else
        printf 'repo\t%s\tis not in a git repository\n' "$repo"
    fi
done
""".replace("AGENTS", " ".join(AGENTS))

Runner = Callable[[list[str]], Result]


def run_local(argv: list[str], stdin: bytes | None = None, timeout: float = 30.0) -> Result:
    """`argv` on this machine, as `Ssh.run` would run it on another."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=scrubbed_environment(),
        )
    except subprocess.TimeoutExpired:
        raise ExternalError(f"{argv[0]} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise ExternalError(f"cannot run {argv[0]}: {exc.strerror}") from None
    return Result(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"), time.monotonic() - started)


def probe(run: Runner, host: str, repos: tuple[str, ...] = (), samples: int = LATENCY_SAMPLES) -> HostCheck:
    """Look at `host` through `run`: the first call opens the connection if none is open
    (`connect_ms`), then `samples` empty calls time a round trip through it (`latency_ms`).
    Raises HostUnreachable when the host does not answer."""
    found = run(["sh", "-c", SCRIPT, "sh", *repos])
    tmux = git = ""
    agents: dict[str, str] = {}
    checked: dict[str, RepoCheck] = {}
    for line in found.lines():
        kind, _, rest = line.partition("\t")
        if kind == "tmux":
            tmux = rest.strip()
        elif kind == "git":
            git = rest.strip()
        elif kind == "agent" and "\t" in rest:
            name, path = rest.split("\t", 1)
            agents[name] = path
        elif kind == "repo" and rest.count("\t") >= 1:
            path, verdict, *top = rest.split("\t")
            ok = verdict == "ok"
            checked[path] = RepoCheck(path, ok, top[0] if ok and top else "", "" if ok else verdict)
    problems = []
    if found.returncode != 0:
        problems.append(f"the check script failed there ({found.returncode}): {found.stderr.strip()[:200]}")
    if not tmux:
        problems.append("tmux is not installed there (or not on the PATH of a non-interactive shell)")
    if not git:
        problems.append("git is not installed there (or not on the PATH of a non-interactive shell)")
    results = tuple(checked.get(path, RepoCheck(path, False, problem="was not checked")) for path in repos)
    problems += [f"{r.path} {r.problem}" for r in results if not r.found]
    latency = [run(["true"]).seconds for _ in range(samples)]
    return HostCheck(
        host=host,
        reachable=True,
        connect_ms=round(found.seconds * 1000, 1),
        latency_ms=round(statistics.median(latency) * 1000, 1) if latency else None,
        tmux_version=tmux.removeprefix("tmux "),
        git_version=git.removeprefix("git version "),
        agents=agents,
        repos=results,
        problems=tuple(problems),
    )
