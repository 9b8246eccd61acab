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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cc_orchestrator.core.models import TmuxSession
from cc_orchestrator.core.private import private_file
from cc_orchestrator.core.tmux.layouts import Layout
from cc_orchestrator.core.tmux.runner import SECRET_VARIABLES, Result, TmuxRunner
from cc_orchestrator.errors import ExternalError, NotFound

SESSION_PREFIX = "cc-orchestrator-"
EVENTS_FILE = "tmux.events"  # in the spool folder: tmux's hooks append `<hook> <session>` lines
EVENT_HOOKS = ("pane-died", "pane-exited", "alert-silence")
ROLE_OPTION = "@cco-role"
MARKER_OPTION = "@cco-marker"
_SEP = "\x1f"
_PANE_FORMAT = _SEP.join(
    [
        "#{session_name}",
        "#{pane_id}",
        "#{pane_pid}",
        "#{pane_dead}",
        "#{pane_dead_status}",
        "#{pane_dead_signal}",
        "#{window_activity}",
        "#{" + ROLE_OPTION + "}",
        "#{" + MARKER_OPTION + "}",
    ]
)
_SESSION_FORMAT = _SEP.join(
    [
        "#{session_name}",
        "#{session_windows}",
        "#{session_attached}",
        "#{session_created}",
        "#{" + MARKER_OPTION + "}",
    ]
)
_NO_SERVER = (
    "no server running",
    "error connecting to",
    "no sessions",
    "server exited unexpectedly",
    "lost server",
    # A server whose last session was just killed answers `list-panes -a` this way while it exits.
    "no current target",
)


@dataclass(frozen=True)
class PaneState:
    """The agent pane of one of our sessions, as tmux sees it now."""

    session: str
    pane_id: str
    pid: int | None
    dead: bool
    exit_status: int | None
    exit_signal: int | None
    activity: float  # epoch seconds of the window's last output


def session_name(instance_id: str) -> str:
    return f"{SESSION_PREFIX}{instance_id}"


def instance_id_of(name: str) -> str | None:
    return name[len(SESSION_PREFIX) :] if name.startswith(SESSION_PREFIX) else None


def _int(text: str) -> int | None:
    return int(text) if text.strip().lstrip("-").isdigit() else None


class TmuxService:
    """Our sessions on one tmux server (`socket_name`, or the user's default server)."""

    def __init__(self, socket_name: str | None, marker: str, events: Path | None = None) -> None:
        """`events`: a file that tmux itself appends a line to when an agent's pane dies or
        falls silent (`pane-died <session>`, see `_event_hooks`), so a watcher learns at once."""
        self.socket_name = socket_name
        self.marker = marker
        self.events = events
        self.runner = TmuxRunner(socket_name)

    # -- running tmux ------------------------------------------------------------------

    def require(self) -> None:
        self.runner.binary  # noqa: B018 - raises MissingDependency without tmux

    def cmd(self, *args: str, stdin: bytes | None = None) -> Result:
        """One tmux process, whatever it answers (arguments escaped as `run` says)."""
        return self.runner(*(_escaped(a) for a in args), stdin=stdin)

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
        result = self.cmd("list-panes", "-a", "-F", _PANE_FORMAT)
        if result.returncode != 0:
            if any(s in " ".join(result.stderr) for s in _NO_SERVER):
                return {}
            raise ExternalError(f"tmux list-panes: {(result.stderr or ['failed'])[0]}")
        panes: dict[str, PaneState] = {}
        for line in result.stdout:
            fields = line.split(_SEP)
            if len(fields) != 9:
                continue
            name, pane_id, pid, dead, status, signal, activity, role, marker = fields
            if role != "agent" or marker != self.marker or not name.startswith(SESSION_PREFIX):
                continue
            panes[name] = PaneState(
                session=name,
                pane_id=pane_id,
                pid=_int(pid),
                dead=dead == "1",
                exit_status=_int(status),
                exit_signal=_int(signal),
                activity=float(activity or 0),
            )
        return panes

    def sessions(self, live_instance_ids: set[str] | None = None) -> list[TmuxSession]:
        """All sessions on the server, each marked ours or not, and orphan when ours but unclaimed."""
        result = self.cmd("list-sessions", "-F", _SESSION_FORMAT)
        if result.returncode != 0:
            return []
        found = []
        for line in result.stdout:
            fields = line.split(_SEP)
            if len(fields) != 5:
                continue
            name, windows, attached, created, marker = fields
            ours = name.startswith(SESSION_PREFIX) and marker == self.marker
            instance_id = instance_id_of(name) if ours else None
            orphan = ours and live_instance_ids is not None and instance_id not in live_instance_ids
            found.append(
                TmuxSession(
                    name=name,
                    instance_id=instance_id,
                    windows=int(windows or 0),
                    attached=(attached or "0") != "0",
                    created_at=datetime.fromtimestamp(int(created), UTC) if created else None,
                    ours=ours,
                    orphan=orphan,
                )
            )
        return found

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
            "#{pane_id}" + _SEP + "#{" + ROLE_OPTION + "}",
            check=False,
        )
        for line in lines:
            pane_id, _, role = line.partition(_SEP)
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
        command = _without_secrets(argv)
        folder = _format_safe(cwd)
        # One tmux process: options are set before the agent could exit, so its status is kept.
        args = [
            "new-session",
            "-d",
            "-s",
            _format_safe(name),
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
            args += [THEN, "pipe-pane", "-o", _format_safe(log_command)]
        args += self._event_hooks()
        for variable in sorted(SECRET_VARIABLES):  # a server started before us may hold them
            args += [THEN, "set-environment", "-g", "-u", variable]
        for split in layout.agent_splits:
            args += [THEN, "split-window", "-v", "-l", "30%", "-c", folder, *_shell(split)]
        for window in layout.windows:
            args += [THEN, "new-window", "-n", _format_safe(window.name), "-c", folder, *_shell(window.panes[0])]
            for pane in window.panes[1:]:
                args += [THEN, "split-window", "-c", folder, *_shell(pane)]
            if len(window.panes) > 1:
                args += [THEN, "select-layout", window.layout]
        args += [THEN, "select-window", "-t", f"={name}:{{start}}"]
        args += [THEN, "select-pane", "-t", f"={name}:{{start}}.{{top-left}}"]
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
        command = _without_secrets(argv)
        args = ["respawn-pane", "-k", "-t", pane_id, "-c", _format_safe(cwd), *env_args, "--", *command]
        if log_command:
            args += [THEN, "pipe-pane", "-t", pane_id, "-o", _format_safe(log_command)]
        self.run(*args)
        state = self.panes().get(name)
        if state is None:
            raise ExternalError(f"tmux session {name} vanished while restarting its agent")
        return state

    def _event_hooks(self) -> list[str]:
        """Hooks on the new session that append `<hook> <session>` to the events file, so a
        watcher learns at once: `pane-died` (the agent ended; its pane stays), `pane-exited` (a
        pane without remain-on-exit ended) and `alert-silence` (no output for the window's
        `monitor-silence` seconds, which `watch_silence` sets; `kill-session -C` clears the alert
        so the next silent stretch is reported too, and silence-action `any` reports the
        current window, a message rather than a bell for an attached user). The command goes
        inside tmux's single quotes, so a path with one gets no hooks (the sweep still sees
        deaths and silences, a few seconds later)."""
        if self.events is None or "'" in str(self.events):
            return []
        private_file(self.events)
        path = _format_safe(str(self.events))
        for special in ("\\", '"', "$", "`"):
            path = path.replace(special, "\\" + special)
        args = [THEN, "set-option", "silence-action", "any", THEN, "set-option", "visual-silence", "on"]
        for hook in EVENT_HOOKS:
            shell = f'printf "%s %s\\n" {hook} "#{{session_name}}" >> "{path}"'
            clear = " ; kill-session -C" if hook == "alert-silence" else ""
            args += [THEN, "set-hook", hook, f"run-shell -b '{shell}'{clear}"]
        return args

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
        hook runs, until another child of the server exits. A `run-shell true` is such a child."""
        self.cmd("run-shell", "true")

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


def _without_secrets(argv: list[str]) -> list[str]:
    """The agent's command behind `env -u SECRET ... --`: it never sees our tokens, whatever
    the tmux server's environment holds. tmux runs a command of several words without a
    shell, and `env` execs the agent, so the pane's pid is still the agent's own."""
    unset = [a for variable in sorted(SECRET_VARIABLES) for a in ("-u", variable)]
    return ["env", *unset, "--", *argv]


def _format_safe(text: str) -> str:
    """`text` for an argument tmux 3.3 expands as a format: `-c` of new-session, new-window,
    split-window and respawn-pane, `-s` and `-n` names, the pipe-pane and run-shell commands. A
    `#` in a path (a folder named `#{x}` or `#(cmd)`) would otherwise be read as a format: the
    agent would start elsewhere and tmux would run `cmd`. `-e` values, set-option values and
    the command after `--` are taken literally."""
    return text.replace("#", "##")


class _Then(str):
    """The separator between chained tmux commands. Only this object separates: every other
    argument, a lone ";" the user typed included, reaches its command literally."""

    __slots__ = ()


THEN = _Then(";")


def _escaped(argument: str) -> str:
    if argument is THEN:
        return ";"
    argument = str(argument)
    return argument[:-1] + "\\;" if argument.endswith(";") else argument


def _shell(command: str) -> list[str]:
    """A layout's fixed pane command; "" starts the user's default shell."""
    return [command] if command else []
