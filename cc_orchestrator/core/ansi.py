"""Plain text from raw terminal output (what `tmux pipe-pane` writes to disk).

An agent's pane is a TUI: colours, cursor moves, title changes, progress lines redrawn with
carriage returns. `strip_ansi` removes the escapes and resolves carriage returns the simple
way (the last redraw of a line wins); `display_lines` turns the result into lines to show.
"""

from __future__ import annotations

import re

_ESCAPES = re.compile(
    r"""
    \x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?    # OSC: title, hyperlink; ends with BEL or ST
    | \x1b[P^_X][^\x1b]*\x1b\\              # DCS, PM, APC, SOS strings, ended by ST
    | \x1b\[[0-?]*[\x20-/]*[@-~]            # CSI, private modes (?2004h) and SGR included
    | \x1b[\x20-/]+[0-~]                    # charset selection and other nF: ESC ( B, ESC # 8
    | \x1b[0-~]                             # single-character escapes: ESC = ESC > ESC 7 ESC M
    | \x9b[0-?]*[\x20-/]*[@-~]              # 8-bit CSI
    | [\x00-\x08\x0b\x0c\x0e-\x1f\x7f]      # other C0 controls (keeps \t \n \r) and a lone ESC
    """,
    re.VERBOSE,
)
_CR_NEWLINE = re.compile(r"\r+\n")
_LINE_WITH_CR = re.compile(r"[^\n]*\r[^\n]*")
_BLANK_RUN = 2  # TUIs redraw a lot: at most this many blank lines in a row are kept
# TUIs that redraw only what changed (Claude Code) move the cursor instead of writing spaces
# and newlines: a move to another row starts a line, a move along the row is a gap
_ROW_MOVE = re.compile(r"\x1b\[[0-9;]*[ABEFHfd]")
_COLUMN_MOVE = re.compile(r"\x1b\[[0-9]*[CG`]")


def _last_redraw(match: re.Match[str]) -> str:
    """The text a terminal would show: what followed the last (non-empty) carriage return."""
    for part in reversed(match.group().split("\r")):
        if part:
            return part
    return ""


def strip_ansi(text: str) -> str:
    """`text` without escape sequences or control characters; carriage returns resolved."""
    text = _ESCAPES.sub("", text)
    if "\r" not in text:
        return text
    text = _CR_NEWLINE.sub("\n", text)
    return _LINE_WITH_CR.sub(_last_redraw, text)


def display_lines(raw: str) -> list[str]:
    """Raw pane output as lines to show: plain, right-trimmed, blank runs collapsed."""
    lines = strip_ansi(_COLUMN_MOVE.sub(" ", _ROW_MOVE.sub("\n", raw))).split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line does not start another
    shown: list[str] = []
    blanks = 0
    for line in lines:
        line = line.rstrip()
        blanks = blanks + 1 if not line else 0
        if blanks <= _BLANK_RUN:
            shown.append(line)
    return shown
