"""Screens recorded from the real agents (tests/fixtures/screens) read by their profiles.

Each fixture is a `capture-pane -p -J` of a real Claude Code or Codex screen, with its
`capture-pane -e` twin. When an agent's release changes its screens, record the new ones
beside these and this table says what the profiles must read from them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_orchestrator.config.agents import resolve_profiles
from cc_orchestrator.core.agents.menu import plain, read_menu
from cc_orchestrator.core.agents.screen import classify

SCREENS = Path(__file__).parent / "fixtures" / "screens"
PROFILES = resolve_profiles({})
TRUST_332 = ["No, exit", "Yes, I trust this folder"]
TRUST_197 = ["Yes, I trust this folder", "No, exit"]
API_KEY = ["Yes", "No (recommended)"]
WRITE_332 = [
    "Yes",
    "Yes, and switch to accept edits (auto-approve file edits and common file commands) for this session (shift+tab)",
    "No",
]
WRITE_197 = ["Yes", "Yes, allow all edits during this session (shift+tab)", "No"]
CODEX_TRUST = ["Trust and continue", "Back to Agent Command Center"]
CODEX_RUN = [
    "Yes, proceed (y)",
    "Yes, and don't ask again for commands that start with `echo hello > foo.txt` (p)",
    "No, and tell Codex what to do differently (esc)",
]

# fixture, state, dialog, its options, where the cursor is, what approve and reject choose
DIALOGS = [
    ("claude-2.1.332/trust", "trust", TRUST_332, 0, 1, 0),
    ("claude-2.1.332/trust_down", "trust", TRUST_332, 1, 1, 0),
    ("claude-2.1.332/api_key", "api_key", API_KEY, 1, 0, 1),
    ("claude-2.1.332/api_key_down", "api_key", API_KEY, 0, 0, 1),
    ("claude-2.1.332/permission", "permission", WRITE_332, 0, 0, 2),
    ("claude-2.1.332/permission_down", "permission", WRITE_332, 1, 0, 2),
    ("claude-2.1.332/permission_down3", "permission", WRITE_332, 2, 0, 2),
    ("claude-2.1.197/trust", "trust", TRUST_197, 0, 0, 1),
    ("claude-2.1.197/trust_down", "trust", TRUST_197, 1, 0, 1),
    ("claude-2.1.197/api_key", "api_key", API_KEY, 1, 0, 1),
    ("claude-2.1.197/permission", "permission", WRITE_197, 0, 0, 2),
    ("claude-2.1.197/permission_down2", "permission", WRITE_197, 2, 0, 2),
    ("codex-0.171.0/trust-dialog", "trust", CODEX_TRUST, 0, 0, None),
    ("codex-0.171.0/trust-dialog-down", "trust", CODEX_TRUST, 1, 0, None),
    ("codex-0.171.0/approval-dialog", "approval", CODEX_RUN, 0, 0, 2),
    ("codex-0.171.0/approval-dialog-down", "approval", CODEX_RUN, 1, 0, 2),
]
STATES = [
    ("claude-2.1.332/ready", "ready"),
    ("claude-2.1.332/working", "working"),
    ("claude-2.1.332/working_after_approve", "working"),
    ("claude-2.1.332/after_approve", "ready"),
    ("claude-2.1.332/resume", "ready"),
    ("claude-2.1.197/ready", "ready"),
    ("claude-2.1.197/working", "working"),
    ("claude-2.1.197/after_approve", "ready"),
    ("codex-0.171.0/ready", "ready"),
    ("codex-0.171.0/working", "working"),  # its prompt stays under the working line
    ("codex-0.171.0/after-approval", "working"),
    ("codex-0.171.0/idle-after-approval", "ready"),
    ("codex-0.171.0/after-decline", "ready"),
    ("codex-0.171.0/resume", "ready"),
    ("codex-0.171.0/sign-in", "waiting"),
]


def load(name: str) -> tuple[str, str, str]:
    """The profile's name, the plain screen and the styled one."""
    path = SCREENS / f"{name}.txt"
    agent = "codex" if name.startswith("codex") else "claude"
    return agent, path.read_text(), path.with_name(path.stem + ".ansi.txt").read_text()


@pytest.mark.parametrize(("name", "dialog", "labels", "cursor", "approve", "reject"), DIALOGS)
def test_each_dialog_is_read_with_its_options_and_cursor(name, dialog, labels, cursor, approve, reject):
    agent, text, styled = load(name)
    screen = classify(text, PROFILES[agent], styled)
    assert (screen.kind, screen.dialog.name) == ("waiting", dialog)
    assert screen.menu.labels == labels
    assert screen.menu.cursor == cursor
    found = screen.dialog
    assert screen.menu.pick(found.approve_label, found.never_approve) == approve
    assert screen.menu.pick(found.reject_label) == reject


@pytest.mark.parametrize(("name", "state"), STATES)
def test_ready_and_working_screens(name, state):
    agent, text, styled = load(name)
    assert classify(text, PROFILES[agent], styled).kind == state


def test_the_cursor_shows_by_its_highlight_when_no_marker_does():
    """Only the styled capture tells the selected option (reverse video here)."""
    styled = " Allow the change?\n  \x1b[7mYes, allow it\x1b[0m\n  No, keep it\n  Ask me later\n"
    menu = read_menu(plain(styled), styled=styled)
    assert menu.labels == ["Yes, allow it", "No, keep it", "Ask me later"]
    assert menu.cursor == 0
    coloured = " Pick one?\n  first\n  \x1b[38;5;153msecond\x1b[39m\n  third\n"
    assert read_menu(plain(coloured), styled=coloured).cursor == 1


def test_words_of_a_question_without_its_options_are_not_a_dialog():
    """The agent's own text asking something is not a dialog to answer."""
    text = "● Do you want to create hello.py? I can do that next.\n\n❯ \n  ? for shortcuts\n"
    assert classify(text, PROFILES["claude"]).kind == "ready"


def test_a_prompt_line_below_a_question_is_not_its_menu():
    text = " Is everything alright?\n\n❯ \n"
    assert read_menu(text) is None


# Aider's and Gemini CLI's dialogs, written out as their documentation and source show them
# (not recorded: neither can run here without its model service). What their profiles must read.
SYNTHETIC = [
    (
        "gemini",
        "│ ?  Shell ls -la (list files)                 │\n│                                              │\n"
        "│ Allow execution of: 'ls'?                     │\n│                                              │\n"
        "│ ● 1. Yes, allow once                          │\n│   2. Yes, allow always ...                    │\n"
        "│   3. No, suggest changes (esc)                │\n╰──────────────────────────────────────────────╯\n",
        "permission",
        0,
        (0, 2),
    ),
    (
        "gemini",
        "│ Apply this change?                            │\n│                                              │\n"
        "│   1. Yes, allow once                          │\n│ ● 2. Yes, allow always                        │\n"
        "│   3. Modify with external editor              │\n│   4. No, suggest changes (esc)                │\n",
        "permission",
        1,
        (0, 3),
    ),
    ("aider", "Add hello.py to the chat? (Y)es/(N)o [Yes]: ", "confirm", None, None),
]


@pytest.mark.parametrize(("agent", "text", "dialog", "cursor", "choices"), SYNTHETIC)
def test_every_built_in_profile_reads_its_dialogs(agent, text, dialog, cursor, choices):
    screen = classify(text, PROFILES[agent])
    assert screen.kind == "waiting" and screen.dialog.name == dialog
    if choices is None:  # a (y/n) prompt: no options to read, the profile's keystrokes answer it
        assert screen.menu is None and screen.dialog.approve == ["y", "Enter"]
        return
    assert screen.menu.cursor == cursor
    found = screen.dialog
    assert (screen.menu.pick(found.approve_label, found.never_approve), screen.menu.pick(found.reject_label)) == choices
