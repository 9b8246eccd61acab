"""The arguments we hand tmux: chained commands, arguments tmux would read as formats or as
command separators, the agent's command without our secrets, a layout's panes, and the hooks
that tell a watcher what happened.
"""

from __future__ import annotations

from pathlib import Path

from cc_orchestrator.core.private import private_file
from cc_orchestrator.core.tmux.layouts import Layout
from cc_orchestrator.core.tmux.runner import SECRET_VARIABLES

EVENT_HOOKS = ("pane-died", "pane-exited", "alert-silence")


class _Then(str):
    """The separator between chained tmux commands. Only this object separates: every other
    argument, a lone ";" the user typed included, reaches its command literally."""

    __slots__ = ()


THEN = _Then(";")


def escaped(argument: str) -> str:
    """`argument` as tmux must receive it: one ending in ";" would end its command there."""
    if argument is THEN:
        return ";"
    argument = str(argument)
    return argument[:-1] + "\\;" if argument.endswith(";") else argument


def format_safe(text: str) -> str:
    """`text` for an argument tmux 3.3 expands as a format: `-c` of new-session, new-window,
    split-window and respawn-pane, `-s` and `-n` names, the pipe-pane and run-shell commands. A
    `#` in a path (a folder named `#{x}` or `#(cmd)`) would otherwise be read as a format: the
    agent would start elsewhere and tmux would run `cmd`. `-e` values, set-option values and
    the command after `--` are taken literally."""
    return text.replace("#", "##")


def without_secrets(argv: list[str]) -> list[str]:
    """The agent's command behind `env -u SECRET ... --`: it never sees our tokens, whatever
    the tmux server's environment holds. tmux runs a command of several words without a
    shell, and `env` execs the agent, so the pane's pid is still the agent's own."""
    unset = [a for variable in sorted(SECRET_VARIABLES) for a in ("-u", variable)]
    return ["env", *unset, "--", *argv]


def layout_commands(name: str, folder: str, layout: Layout) -> list[str]:
    """After new-session: the layout's other panes and windows (`folder` format-safe already),
    then the agent's window and pane selected."""
    args: list[str] = []
    for split in layout.agent_splits:
        args += [THEN, "split-window", "-v", "-l", "30%", "-c", folder, *_shell(split)]
    for window in layout.windows:
        args += [THEN, "new-window", "-n", format_safe(window.name), "-c", folder, *_shell(window.panes[0])]
        for pane in window.panes[1:]:
            args += [THEN, "split-window", "-c", folder, *_shell(pane)]
        if len(window.panes) > 1:
            args += [THEN, "select-layout", window.layout]
    args += [THEN, "select-window", "-t", f"={name}:{{start}}"]
    args += [THEN, "select-pane", "-t", f"={name}:{{start}}.{{top-left}}"]
    return args


def event_hooks(events: Path | None) -> list[str]:
    """Hooks on a new session that append `<hook> <session>` to `events`, so a watcher learns
    at once: `pane-died` (the agent ended; its pane stays), `pane-exited` (a pane without
    remain-on-exit ended) and `alert-silence` (no output for the window's `monitor-silence`
    seconds, see `TmuxService.watch_silence`; `kill-session -C` clears the alert so the next
    silent stretch is reported too, and silence-action `any` reports the current window, a
    message rather than a bell for an attached user). The command goes inside tmux's single
    quotes, so a path with one gets no hooks (the sweep still sees deaths and silences, a few
    seconds later)."""
    if events is None or "'" in str(events):
        return []
    private_file(events)
    path = format_safe(str(events))
    for special in ("\\", '"', "$", "`"):
        path = path.replace(special, "\\" + special)
    args = [THEN, "set-option", "silence-action", "any", THEN, "set-option", "visual-silence", "on"]
    for hook in EVENT_HOOKS:
        shell = f'printf "%s %s\\n" {hook} "#{{session_name}}" >> "{path}"'
        clear = " ; kill-session -C" if hook == "alert-silence" else ""
        args += [THEN, "set-hook", hook, f"run-shell -b '{shell}'{clear}"]
    return args


def _shell(command: str) -> list[str]:
    """A layout's fixed pane command; "" starts the user's default shell."""
    return [command] if command else []
