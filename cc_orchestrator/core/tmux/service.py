"""tmux sessions, one per instance, driven through our own runner (`runner.py`).

A refresh asks tmux once for every pane (`list-panes -a -F ...`), never session by session.
Only sessions this tool created are touched: they carry our name prefix and a session option
holding our data dir, so two orchestrators on one tmux server never touch each other's work.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from cc_orchestrator.core.models import TmuxSession
from cc_orchestrator.core.tmux.commands import (
    THEN,
    escaped,
    event_hooks,
    format_safe,
    layout_commands,
    without_secrets,
)
from cc_orchestrator.core.tmux.layouts import Layout
from cc_orchestrator.core.tmux.listing import (
    MARKER_OPTION,
    PANE_FORMAT,
    ROLE_OPTION,
    SEP,
    SESSION_FORMAT,
    SESSION_PREFIX,
    PaneState,
    instance_id_of,
    no_server,
    read_panes,
    read_sessions,
    session_name,
)
from cc_orchestrator.core.tmux.runner import SECRET_VARIABLES, Result, TmuxRunner
from cc_orchestrator.errors import ExternalError, NotFound

# What other modules take from here (the names live in listing.py and commands.py).
__all__ = [
    "EVENTS_FILE",
    "MARKER_OPTION",
    "ROLE_OPTION",
    "SESSION_PREFIX",
    "THEN",
    "PaneState",
    "TmuxService",
    "instance_id_of",
    "session_name",
]
EVENTS_FILE = "tmux.events"  # in the spool folder: tmux's hooks append `<hook> <session>` lines


class TmuxService:
    """Our sessions on one tmux server (`socket_name`, or the user's default server)."""

    def __init__(self, socket_name: str | None, marker: str, events: Path | None = None) -> None:
        """`events`: a file that tmux itself appends a line to when an agent's pane dies or
        falls silent (`pane-died <session>`, see `commands.event_hooks`), so a watcher learns at once."""
        self.socket_name = socket_name
        self.marker = marker
        self.events = events
        self.runner = TmuxRunner(socket_name)

    # -- running tmux ------------------------------------------------------------------

    def require(self) -> None:
        self.runner.binary  # noqa: B018 - raises MissingDependency without tmux

    def cmd(self, *args: str, stdin: bytes | None = None) -> Result:
        """One tmux process, whatever it answers (arguments escaped as `run` says)."""
        return self.runner(*(escaped(a) for a in args), stdin=stdin)

    def run(self, *args: str, check: bool = True, stdin: bytes | None = None) -> list[str]:
        """One tmux process; its stdout lines. `check` turns a failure into ExternalError.

        `THEN` separates chained commands; any other argument ending in ";", a lone ";"
        included, is escaped, or tmux would end the command there (an agent argument ";" or
        "x;" could otherwise start a tmux command of the user's choosing).
        """
        result = self.cmd(*args, stdin=stdin)
        if check and result.returncode != 0:
            reason = (result.stderr or ["tmux failed"])[0]
            raise ExternalError(f"tmux {args[0]}: {reason}")
        return result.stdout if result.returncode == 0 else []

    def socket_path(self, environ: Mapping[str, str] | None = None) -> str:
        """Where tmux keeps this server's socket (`tmux -L NAME`; "default" without -L)."""
        environ = os.environ if environ is None else environ
        folder = environ.get("TMUX_TMPDIR") or "/tmp"
        return os.path.join(folder, f"tmux-{os.getuid()}", self.socket_name or "default")

    def holds_client(self, environ: Mapping[str, str] | None = None) -> bool:
        """Whether a process with `environ` runs inside this tmux server (its TMUX variable
        names this server's socket), so `switch-client` can move its terminal."""
        environ = os.environ if environ is None else environ
        current = environ.get("TMUX", "").split(",")[0]
        return bool(current) and os.path.realpath(current) == os.path.realpath(self.socket_path(environ))

    def attach_argv(self, name: str) -> list[str]:
        """The command that attaches a terminal to a session (the face execs or runs it)."""
        self.require()
        return self.runner.argv("attach-session", "-t", f"={name}", program="tmux")

    def switch_argv(self, name: str) -> list[str]:
        """For a client already inside this tmux server: switch instead of nesting."""
        return self.runner.argv("switch-client", "-t", f"={name}", program="tmux")

    # -- reading state -----------------------------------------------------------------

    def panes(self) -> dict[str, PaneState]:
        """Every agent pane of our sessions, from exactly one tmux call."""
        result = self.cmd("list-panes", "-a", "-F", PANE_FORMAT)
        if result.returncode != 0:
            if no_server(result.stderr):
                return {}
            raise ExternalError(f"tmux list-panes: {(result.stderr or ['failed'])[0]}")
        return read_panes(result.stdout, self.marker)

    def sessions(self, live_instance_ids: set[str] | None = None) -> list[TmuxSession]:
        """All sessions on the server, each marked ours or not, and orphan when ours but unclaimed."""
        result = self.cmd("list-sessions", "-F", SESSION_FORMAT)
        return read_sessions(result.stdout, self.marker, live_instance_ids) if result.returncode == 0 else []

    def is_ours(self, name: str) -> bool:
        lines = self.run("show-options", "-v", "-t", f"={name}:", MARKER_OPTION, check=False)
        return bool(lines) and lines[0] == self.marker

    def agent_pane(self, name: str) -> str:
        """The pane id of a session's agent pane (NotFound if the session is gone)."""
        lines = self.run(
            "list-panes",
            "-s",
            "-t",
            f"={name}",
            "-F",
            "#{pane_id}" + SEP + "#{" + ROLE_OPTION + "}",
            check=False,
        )
        for line in lines:
            pane_id, _, role = line.partition(SEP)
            if role == "agent":
                return pane_id
        raise NotFound(f"no tmux session {name!r}")

    def capture(self, name: str, lines: int | None = None, pane_id: str | None = None, escapes: bool = False) -> str:
        """The agent pane's visible text (plus `lines` of history when given); with `escapes`,
        its colours and attributes too (a menu's highlighted option).

        With the `pane_id` a snapshot gave, this is one tmux call instead of two.
        """
        pane = pane_id or self.agent_pane(name)
        start = ["-S", f"-{lines}"] if lines else []
        styled = ["-e"] if escapes else []
        result = self.cmd("capture-pane", "-p", "-J", *styled, *start, "-t", pane)
        if result.returncode != 0:
            raise NotFound(f"no tmux session {name!r}")
        return "\n".join(result.stdout)

    def capture_many(self, pane_ids: list[str]) -> dict[str, str]:
        """Several panes' visible text with their escapes, in one tmux call (a boundary line
        after each); a pane that is gone is left out."""
        if not pane_ids:
            return {}
        boundary = f"cco-capture-{uuid.uuid4().hex}"
        args: list[str] = []
        for pane in pane_ids:
            args += [*([THEN] if args else []), "capture-pane", "-p", "-J", "-e", "-t", pane]
            args += [THEN, "display-message", "-p", boundary]
        result = self.cmd(*args)
        if result.returncode != 0:  # one pane went away: tmux stops the chain there
            found = {}
            for pane in pane_ids:
                single = self.cmd("capture-pane", "-p", "-J", "-e", "-t", pane)
                if single.returncode == 0:
                    found[pane] = "\n".join(single.stdout)
            return found
        texts, current = [], []
        for line in result.stdout:
            if line == boundary:
                texts.append("\n".join(current))
                current = []
            else:
                current.append(line)
        return dict(zip(pane_ids, texts, strict=False))

    # -- changing state ----------------------------------------------------------------

    def create_session(
        self,
        name: str,
        cwd: str,
        argv: list[str],
        layout: Layout,
        env: dict[str, str] | None = None,
        size: tuple[int, int] = (200, 50),
        log_command: str | None = None,
    ) -> PaneState:
        """Start `argv` (no shell in between) in a new session laid out as `layout`.

        `log_command` receives the agent pane's output (`pipe-pane`), from its first byte.
        tmux reads a session's and a window's name and every `-c` folder as a format: each is
        escaped, so a `#{...}` or `#(...)` in a path is a folder name, never a command.
        """
        if not argv:
            raise ExternalError("no agent command to run")
        env_args = [a for key, value in (env or {}).items() for a in ("-e", f"{key}={value}")]  # -e: no formats
        command = without_secrets(argv)
        folder = format_safe(cwd)
        # One tmux process: options are set before the agent could exit, so its status is kept.
        args = [
            "new-session",
            "-d",
            "-s",
            format_safe(name),
            "-n",
            "agent",
            "-c",
            folder,
            "-x",
            str(size[0]),
            "-y",
            str(size[1]),
            *env_args,
            "--",
            *command,
            THEN,
            "set-option",
            "-p",
            ROLE_OPTION,
            "agent",
            THEN,
            "set-option",
            "-w",
            "remain-on-exit",
            "on",
            THEN,
            "set-option",
            MARKER_OPTION,
            self.marker,
        ]
        if log_command:
            args += [THEN, "pipe-pane", "-o", format_safe(log_command)]
        args += event_hooks(self.events)
        for variable in sorted(SECRET_VARIABLES):  # a server started before us may hold them
            args += [THEN, "set-environment", "-g", "-u", variable]
        args += layout_commands(name, folder, layout)
        self.run(*args)
        state = self.panes().get(name)
        if state is None:
            raise ExternalError(f"tmux session {name} vanished right after it was created")
        return state

    def respawn(
        self, name: str, pane_id: str, cwd: str, argv: list[str], env: dict[str, str], log_command: str | None
    ) -> PaneState:
        """Run `argv` again in a session's dead agent pane."""
        env_args = [a for key, value in env.items() for a in ("-e", f"{key}={value}")]
        command = without_secrets(argv)
        args = ["respawn-pane", "-k", "-t", pane_id, "-c", format_safe(cwd), *env_args, "--", *command]
        if log_command:
            args += [THEN, "pipe-pane", "-t", pane_id, "-o", format_safe(log_command)]
        self.run(*args)
        state = self.panes().get(name)
        if state is None:
            raise ExternalError(f"tmux session {name} vanished while restarting its agent")
        return state

    def watch_silence(self, pane_ids: list[str], seconds: int) -> None:
        """`monitor-silence` on these panes' windows (one tmux call): tmux's `alert-silence`
        hook then fires after `seconds` without output. Panes that are gone are skipped."""
        args: list[str] = []
        for pane in pane_ids:
            args += [*([THEN] if args else []), "set-option", "-w", "-t", pane, "monitor-silence", str(seconds)]
        if args and self.cmd(*args).returncode != 0:  # one pane went away: tmux stops the chain there
            for pane in pane_ids:
                self.cmd("set-option", "-w", "-t", pane, "monitor-silence", str(seconds))

    def reap(self) -> None:
        """Make the tmux server collect exited agents now. tmux 3.3 sometimes misses an agent's
        SIGCHLD (tmux/tmux#4841): the agent stays a zombie, its exit status unknown and no
        hook runs, until another child of the server exits. A `run-shell -b true` is such a
        child; in the background, since tmux can miss its SIGCHLD too, and a `run-shell` waiting
        for it would then hang until our timeout."""
        self.cmd("run-shell", "-b", "true")

    def kill_session(self, name: str) -> None:
        """Kill one of our sessions; refuse anyone else's."""
        if not self.is_ours(name):
            raise NotFound(f"no cc-orchestrator session {name!r} on this tmux server")
        self.run("kill-session", "-t", f"={name}")

    def send_text(self, name: str, text: str, enter: bool = True, pasted: Callable[[], None] | None = None) -> None:
        """Paste text into the agent pane through a buffer loaded from stdin (any size, any
        characters; `set-buffer TEXT` fails past about 16 KB), then Enter.

        Enter waits until the paste has been drawn (the screen changed, then held still; at most
        a second): Claude Code drops an Enter that arrives before it has drawn pasted text.
        """
        pane = self.agent_pane(name)
        buffer = f"cco-{uuid.uuid4().hex[:8]}"
        shown = self.capture(name, pane_id=pane) if enter else ""
        self.run(
            "load-buffer",
            "-b",
            buffer,
            "-",
            THEN,
            "paste-buffer",
            "-d",
            "-p",
            "-b",
            buffer,
            "-t",
            pane,
            stdin=text.encode("utf-8", "surrogateescape"),
        )
        if pasted is not None:
            pasted()  # the text is in the agent's input now: a crash from here on needs an Enter only
        if enter:
            before, deadline = shown, time.monotonic() + 1.0
            while time.monotonic() < deadline:
                time.sleep(0.02)
                previous, shown = shown, self.capture(name, pane_id=pane)
                if shown != before and shown == previous:
                    break
            self.run("send-keys", "-t", pane, "Enter")

    def send_keys(self, name: str, *keys: str) -> None:
        """Named keys (Enter, Escape, C-c) or literal characters, to the agent pane."""
        self.run("send-keys", "-t", self.agent_pane(name), *keys)
