"""Session layouts: what windows and panes surround the agent.

The agent always runs in the first pane of the first window; a layout adds panes beside it
and windows after it. Commands here are fixed strings or "" for the user's shell; nothing
from a request is ever put into them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cc_orchestrator.errors import InvalidInput


@dataclass(frozen=True)
class WindowPlan:
    name: str
    panes: tuple[str, ...] = ("",)  # one command per pane; "" runs the default shell
    layout: str = "tiled"


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    agent_splits: tuple[str, ...] = ()  # extra panes below the agent, in its window
    windows: tuple[WindowPlan, ...] = field(default_factory=tuple)


BUILTIN_LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("default", "one window: the agent"),
        Layout(
            "claude",
            "the agent on top, a shell in the worktree below it",
            agent_splits=("",),
        ),
        Layout(
            "development",
            "windows: agent, editor ($EDITOR in the worktree), shell",
            windows=(
                WindowPlan("editor", ('exec "${EDITOR:-vi}" .',)),
                WindowPlan("shell"),
            ),
        ),
    )
}


def resolve_layout(name: str, custom: dict[str, list] | None = None) -> Layout:
    """A built-in layout, or a custom one from the settings (`custom_layouts`)."""
    key = name.strip().lower()
    if key in BUILTIN_LAYOUTS:
        return BUILTIN_LAYOUTS[key]
    for custom_name, windows in (custom or {}).items():
        if custom_name.lower() == key:
            plans = tuple(WindowPlan(w.name, tuple(w.panes) or ("",), w.layout) for w in windows)
            return Layout(custom_name, "custom layout from the configuration", windows=plans)
    known = ", ".join([*BUILTIN_LAYOUTS, *(custom or {})])
    raise InvalidInput(f"unknown layout {name!r}: choose one of {known}")


def all_layouts(custom: dict[str, list] | None = None) -> list[Layout]:
    return [*BUILTIN_LAYOUTS.values(), *(resolve_layout(n, custom) for n in custom or {})]
