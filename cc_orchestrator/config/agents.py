"""Agent profiles: how to start an agent and how to read its state. Plain configuration data.

Users add or change profiles in the TOML file (`[agents.NAME]`); a partial table is merged over
the built-in profile of that name, and a new name starts from the `generic` profile. The screen
patterns of Claude Code were taken from version 2.1.197; the others are best effort and meant to
be tuned by their users.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Dialog(BaseModel):
    """A yes/no question the agent shows: a permission prompt or a start-up dialog."""

    name: str
    pattern: str  # a regular expression searched in the screen's last lines
    approve: list[str] = Field(default_factory=lambda: ["Enter"])  # tmux key names
    reject: list[str] = Field(default_factory=lambda: ["Escape"])
    auto_approve: bool = False  # answered by the orchestrator as soon as it shows


class AgentProfile(BaseModel):
    name: str = ""
    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    continue_args: list[str] = Field(default_factory=list)  # added on restart to resume
    hooks: Literal["claude"] | None = None
    working_patterns: list[str] = Field(default_factory=list)
    ready_patterns: list[str] = Field(default_factory=list)
    dialogs: list[Dialog] = Field(default_factory=list)
    usage_limit_pattern: str | None = None  # group "when": the reset time as the agent says it
    interrupt_keys: list[str] = Field(default_factory=lambda: ["Escape"])
    resume_prompt: str = "continue"  # sent when a usage limit resets


_YES_NO = dict(approve=["y", "Enter"], reject=["n", "Enter"])

BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "claude": dict(
        command="claude",
        continue_args=["--continue"],
        hooks="claude",
        working_patterns=[r"esc to interrupt"],
        ready_patterns=[r"\? for shortcuts"],
        dialogs=[
            dict(name="trust", pattern=r"Is this a project you created or one you trust\?", approve=["1"]),
            dict(name="api_key", pattern=r"Do you want to use this API key\?", approve=["1"]),
            # the options follow the question at once; the API-key dialog has a blank line there
            dict(name="permission", pattern=r"Do you want to [^\n]*\?[ \t]*\n[ \t]*❯?[ \t]*1\. Yes", approve=["1"]),
        ],
        usage_limit_pattern=r"(?:hit your limit|usage limit)[^\n]*?resets (?:at )?(?P<when>[0-9][^\n·]*)",
    ),
    "codex": dict(
        command="codex",
        continue_args=["resume", "--last"],
        working_patterns=[r"esc to interrupt", r"Working \("],
        ready_patterns=[r"⏎ send", r"^› "],
        dialogs=[
            dict(name="approval", pattern=r"(?:Allow|Run) (?:command|this)[^\n]*\?", approve=["y"], reject=["Escape"])
        ],
    ),
    "aider": dict(
        command="aider",
        working_patterns=[r"Waiting for", r"Tokens:"],
        ready_patterns=[r"^\S*> ?$"],
        dialogs=[dict(name="confirm", pattern=r"\(Y\)es/\(N\)o", **_YES_NO)],
    ),
    "gemini": dict(
        command="gemini",
        working_patterns=[r"esc to cancel"],
        ready_patterns=[r"Type your message"],
        dialogs=[
            dict(
                name="permission",
                pattern=r"(?:Allow execution|Apply this change|Do you want to proceed)\?",
                approve=["Enter"],
            )
        ],
    ),
    "generic": dict(
        command="",  # agent_command, or --command
        working_patterns=[r"esc to interrupt"],
        ready_patterns=[r"^\s*[❯>$%] ?$"],
        dialogs=[dict(name="question", pattern=r"Do you want to [^\n]*\?", **_YES_NO)],
    ),
}


def resolve_profiles(
    overrides: dict[str, dict[str, Any]], agent_command: str, default_agent: str
) -> dict[str, AgentProfile]:
    """Built-ins merged with the user's tables; `agent_command` is the default agent's command."""
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in BUILTIN_PROFILES.items()}
    for name, table in overrides.items():
        base = merged.get(name) or merged["generic"]  # a new profile starts from generic's patterns
        merged[name] = {**base, **table}
    if default_agent in merged and agent_command and "command" not in overrides.get(default_agent, {}):
        merged[default_agent] = {**merged[default_agent], "command": agent_command}
    return {name: AgentProfile(name=name, **table) for name, table in merged.items()}
