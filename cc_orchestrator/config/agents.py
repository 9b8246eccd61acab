"""Agent profiles: how to start an agent, how to read its state and how to answer its dialogs.

Plain configuration data. Users add or change profiles in the TOML file (`[agents.NAME]`); a
partial table is merged over the built-in profile of that name, and a new name starts from the
`generic` profile. A dialog is recognised by its question (`pattern`) and answered by meaning:
the option whose label matches `approve_label` or `reject_label` is chosen with arrow keys.
The keystroke lists are only for dialogs without options to read, such as `(y/n)` prompts.

Claude Code's screens were read from versions 2.1.197 and 2.1.332, Codex's from 0.171.0
(tests/fixtures/screens); Aider's and Gemini's are best effort.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

# Options that widen a permission beyond this once; approve never picks them by default.
NEVER_APPROVE = (
    r"don't ask again|do not ask again|for this session|during this session|always|allow all|"
    r"auto-approve|accept edits"
)


def _compiles(pattern: str) -> str:
    """A stored pattern that does not compile would fail every later refresh of the instance."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
    return pattern


Pattern = Annotated[str, AfterValidator(_compiles)]


class Dialog(BaseModel):
    """A question the agent shows: a permission prompt or a start-up dialog."""

    name: str
    pattern: Pattern  # a regular expression for the question, searched in the screen's last lines
    menu: bool = True  # its options are on the screen; without them it is not this dialog
    approve_label: Pattern | None = r"^(?:Yes|Trust|Allow|Approve|Proceed)\b"
    reject_label: Pattern | None = r"^(?:No|Deny|Reject|Cancel)\b"
    never_approve: Pattern | None = NEVER_APPROVE
    confirm: list[str] = Field(default_factory=lambda: ["Enter"])  # after the cursor is on it
    approve: list[str] = Field(default_factory=lambda: ["Enter"])  # keystrokes, when no menu
    reject: list[str] = Field(default_factory=lambda: ["Escape"])
    auto_approve: bool = False  # answered by the orchestrator as soon as it shows


class AgentProfile(BaseModel):
    name: str = ""
    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    install: str = ""  # how to install the program, for the refusal when it is missing
    version_args: list[str] = Field(default_factory=lambda: ["--version"])
    tested_versions: list[str] = Field(default_factory=list)  # oldest and newest tested
    continue_args: list[str] = Field(default_factory=list)  # restart without a session id
    resume_args: list[str] = Field(default_factory=list)  # restart with one: "{session_id}"
    hooks: Literal["claude", "codex"] | None = None
    working_patterns: list[Pattern] = Field(default_factory=list)
    ready_patterns: list[Pattern] = Field(default_factory=list)
    # The bottom lines where the agent shows its live status: a working pattern there wins over
    # a ready pattern below it (Codex keeps its prompt under its "Working" line). 0: lowest wins.
    status_lines: int = 0
    tty_ready: bool = True  # a process blocked reading its terminal is ready (not for full-screen TUIs)
    dialogs: list[Dialog] = Field(default_factory=list)
    usage_limit_pattern: Pattern | None = None  # group "when": the reset time as the agent says it
    interrupt_keys: list[str] = Field(default_factory=lambda: ["Escape"])
    resume_prompt: str = "continue"  # sent when a usage limit resets

    @property
    def program(self) -> str:
        """The program's name (`claude` for `/opt/bin/claude --fast`); "" without a command."""
        argv = shlex.split(self.command) if self.command else []
        return os.path.basename(argv[0]) if argv else ""


_YES_NO = dict(menu=False, approve=["y", "Enter"], reject=["n", "Enter"])
_TRUST = r"^(?:Yes|Trust)\b"

BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "claude": dict(
        command="claude",
        install="npm install -g @anthropic-ai/claude-code",
        tested_versions=["2.1.197", "2.1.332"],
        continue_args=["--continue"],
        resume_args=["--resume", "{session_id}"],
        hooks="claude",
        tty_ready=False,
        working_patterns=[r"esc to interrupt"],
        ready_patterns=[r"\? for shortcuts"],
        dialogs=[
            dict(
                name="trust",
                pattern=r"Is this a project you created or one you trust\?|Do you trust the files in this folder\?",
                approve_label=_TRUST,
                approve=["1"],
            ),
            dict(name="api_key", pattern=r"Do you want to use this API key\?", approve=["1"]),
            dict(name="permission", pattern=r"Do you want to (?!use this API key)[^\n]*\?", approve=["1"]),
            dict(name="login", pattern=r"Select login method:?", approve_label=None, reject_label=None),
        ],
        usage_limit_pattern=r"(?:hit your limit|usage limit)[^\n]*?resets (?:at )?(?P<when>[0-9][^\n·]*)",
    ),
    "codex": dict(
        command="codex",
        install="npm install -g @openai/codex",
        tested_versions=["0.171.0", "0.171.0"],
        args=["--no-daemon"],  # else it leaves an app-server daemon running after the pane ends
        continue_args=["resume", "--last"],
        resume_args=["resume", "{session_id}"],
        hooks="codex",
        tty_ready=False,
        working_patterns=[r"esc to interrupt\)"],
        ready_patterns=[r"\? for shortcuts"],
        status_lines=8,
        dialogs=[
            dict(
                name="trust",
                pattern=r"Trust this folder\?|Do you trust the contents of this directory\?",
                approve_label=_TRUST,
            ),
            dict(name="sign_in", pattern=r"Choose how you want to use Codex\.", approve_label=None, reject_label=None),
            dict(
                name="approval",
                pattern=r"Would you like to (?:run|make|apply|grant)[^\n]*\?|Allow (?:command|this)[^\n]*\?",
                approve=["y"],
            ),
        ],
        interrupt_keys=["Escape"],
    ),
    "aider": dict(
        command="aider",
        install="python -m pip install aider-chat",
        working_patterns=[r"Waiting for", r"Tokens:"],
        ready_patterns=[r"^\S*> ?$"],
        dialogs=[dict(name="confirm", pattern=r"\(Y\)es/\(N\)o", **_YES_NO)],
    ),
    "gemini": dict(
        command="gemini",
        install="npm install -g @google/gemini-cli",
        tty_ready=False,
        working_patterns=[r"esc to cancel"],
        ready_patterns=[r"Type your message"],
        dialogs=[
            dict(name="permission", pattern=r"(?:Allow execution|Apply this change|Do you want to proceed)[^\n]*\?"),
        ],
    ),
    "generic": dict(
        command="",  # agent_command, or --command
        working_patterns=[r"esc to interrupt"],
        ready_patterns=[r"^\s*[❯>$%] ?$"],
        dialogs=[
            dict(name="question", pattern=r"Do you want to [^\n]*\?"),
            dict(name="yes_no", pattern=r"\((?:y/n|Y/n|y/N|yes/no)\)\s*:?\s*$", **_YES_NO),
        ],
    ),
}


def resolve_profiles(overrides: dict[str, dict[str, Any]]) -> dict[str, AgentProfile]:
    """Built-ins merged with the user's `[agents.NAME]` tables (a new name starts from generic)."""
    return _resolve(json.dumps(overrides, sort_keys=True, default=str))


@lru_cache(maxsize=8)
def _resolve(overrides_json: str) -> dict[str, AgentProfile]:
    overrides: dict[str, dict[str, Any]] = json.loads(overrides_json)
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in BUILTIN_PROFILES.items()}
    for name, table in overrides.items():
        base = merged.get(name) or merged["generic"]
        merged[name] = {**base, **table}
    return {name: AgentProfile(name=name, **table) for name, table in merged.items()}


def profile_for_program(profiles: dict[str, AgentProfile], argv: list[str]) -> AgentProfile:
    """The profile of the program `argv` runs: one whose own command runs a program of that
    name (claude, codex, aider, gemini, or a profile of the user's), else generic, with `argv`
    as its command. One agent's patterns are never applied to another program."""
    program = os.path.basename(argv[0]) if argv else ""
    generic = profiles["generic"]
    match = next((p for p in profiles.values() if p.name != "generic" and program and p.program == program), generic)
    return match.model_copy(update={"command": shlex.join(argv), "args": []})
