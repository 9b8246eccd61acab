"""Reading a menu off an agent's screen, so a dialog is answered by what its options mean.

A dialog's options follow its question: numbered (`1. Yes`) or not, with a cursor marker
(`❯`, `›`, `>`) on the selected one, or only a highlight (reverse video or another colour)
that only the styled capture (`capture-pane -e`) shows. Agents change their dialogs often
(Claude Code 2.1.332 dropped the numbers and put the cursor on "No, exit"), so what is
chosen is an option whose label matches a pattern, reached with arrow keys from wherever
the cursor is, never a remembered keystroke.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKERS = "❯›>▶▸➤→●"  # ● : Gemini CLI's radio buttons
_OPTION = re.compile(
    rf"^(?P<indent>\s*)(?:(?P<marker>[{MARKERS}])\s*)?(?:(?P<number>\d{{1,2}})[.)]\s+)?(?P<label>\S.*?)\s*$"
)
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_OTHER_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-ln-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_BORDERS = str.maketrans(dict.fromkeys("│┃║╎╏┆┇", " "))  # a dialog's box: columns kept
SEARCH_LINES = 12  # how far below its question a dialog's options may start


@dataclass(frozen=True)
class MenuOption:
    label: str  # without the marker and the number
    number: int | None
    row: int  # the line of the screen it is on


@dataclass(frozen=True)
class Menu:
    question: str
    options: tuple[MenuOption, ...]
    cursor: int | None  # index of the selected option; None when the screen does not show it

    @property
    def labels(self) -> list[str]:
        return [o.label for o in self.options]

    def pick(self, wanted: str | None, avoid: str | None = None) -> int | None:
        """The first option whose label matches `wanted` and not `avoid`."""
        if not wanted:
            return None
        for index, option in enumerate(self.options):
            if re.search(wanted, option.label, re.IGNORECASE) and not (
                avoid and re.search(avoid, option.label, re.IGNORECASE)
            ):
                return index
        return None


def read_menu(screen: str, question_row: int | None = None, styled: str | None = None) -> Menu | None:
    """The menu below `question_row` (default: the lowest one on the screen), or None.

    `styled` is the same screen with its escape sequences; it tells a highlighted option from
    the others when no marker shows the cursor.
    """
    lines = screen.translate(_BORDERS).split("\n")
    styles = _line_styles(styled, len(lines)) if styled is not None else None
    rows = [question_row] if question_row is not None else _question_rows(lines)
    for row in rows:
        menu = _menu_below(lines, row, styles)
        if menu is not None:
            return menu
    return None


def plain(styled: str) -> str:
    """A styled capture without its escape sequences."""
    return _OTHER_ESCAPE.sub("", _SGR.sub("", styled))


# -- finding the options -------------------------------------------------------------------


def _question_rows(lines: list[str]) -> list[int]:
    """Lines that end with a question mark, lowest first."""
    return [i for i in range(len(lines) - 1, -1, -1) if lines[i].rstrip().endswith("?")]


def _menu_below(lines: list[str], row: int, styles: list[Style] | None) -> Menu | None:
    end = min(len(lines), row + 1 + SEARCH_LINES)
    parsed = {i: _OPTION.match(lines[i]) for i in range(row + 1, end)}
    block = _numbered_block(parsed) or _marked_block(parsed, lines) or _highlighted_block(parsed, lines, styles)
    if not block or len(block) < 2:
        return None
    options = tuple(
        MenuOption(label=parsed[i]["label"], number=int(parsed[i]["number"]) if parsed[i]["number"] else None, row=i)
        for i in block
    )
    cursor = next((n for n, i in enumerate(block) if parsed[i]["marker"]), None)
    if cursor is None and styles is not None:
        cursor = _highlighted([styles[i] for i in block])
    question = " ".join(lines[row].split())
    return Menu(question=question, options=options, cursor=cursor)


def _numbered_block(parsed) -> list[int] | None:
    """Lines numbered 1, 2, 3 ...; up to two lines between two options (a wrapped label, a hint,
    a blank line) belong to the one above."""
    start = next((i for i, m in parsed.items() if m and m["number"] == "1"), None)
    if start is None:
        return None
    block, i = [start], start + 1
    while i in parsed and i - block[-1] <= 3:
        match = parsed[i]
        if match is not None and match["number"] == str(len(block) + 1):
            block.append(i)
        elif match is not None and match["number"] is not None:
            break  # another list
        i += 1
    return block


def _marked_block(parsed, lines: list[str]) -> list[int] | None:
    """The line with the cursor marker and its neighbours whose labels line up with it."""
    marked = next((i for i, m in parsed.items() if m and m["marker"]), None)
    if marked is None:
        return None
    return _aligned(parsed, lines, marked)


def _highlighted_block(parsed, lines: list[str], styles) -> list[int] | None:
    """With no marker and no numbers: lines that line up, one of them styled unlike the rest."""
    if styles is None:
        return None
    for i, match in parsed.items():
        if match is None:
            continue
        block = _aligned(parsed, lines, i)
        if len(block) >= 2 and _highlighted([styles[j] for j in block]) is not None:
            return block
    return None


def _aligned(parsed, lines: list[str], anchor: int) -> list[int]:
    column = parsed[anchor].start("label")
    block = [anchor]
    for step in (-1, 1):
        i = anchor + step
        while i in parsed and parsed[i] is not None and parsed[i].start("label") == column:
            block.append(i)
            i += step
    return sorted(block)


# -- styles --------------------------------------------------------------------------------

Style = tuple[str, str, frozenset[int]]  # foreground, background, attributes (bold, reverse ...)
_PLAIN: Style = ("", "", frozenset())


def _line_styles(styled: str, count: int) -> list[Style]:
    """For each line, the style in effect where its text starts (after any marker)."""
    result: list[Style] = []
    style = _PLAIN
    for line in styled.split("\n")[:count]:
        first: Style | None = None
        position = 0
        for match in _SGR.finditer(line):
            if first is None and plain(line[position : match.start()]).strip(" " + MARKERS):
                first = style
            style = _apply(style, match.group(1))
            position = match.end()
        if first is None:
            first = style if plain(line[position:]).strip(" " + MARKERS) else _PLAIN
        result.append(first)
    result.extend(_PLAIN for _ in range(count - len(result)))
    return result


def _apply(style: Style, params: str) -> Style:
    """The style after one SGR sequence (ECMA-48 select graphic rendition)."""
    fg, bg, attributes = style[0], style[1], set(style[2])
    codes = [int(c) if c.isdigit() else 0 for c in params.replace(":", ";").split(";")]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            fg, bg, attributes = "", "", set()
        elif 1 <= code <= 9:
            attributes.add(code)
        elif code == 22:
            attributes -= {1, 2}
        elif 23 <= code <= 29:
            attributes.discard(code - 20)
        elif code in (38, 48):
            width = 3 if i + 1 < len(codes) and codes[i + 1] == 5 else 5
            colour = ";".join(map(str, codes[i + 1 : i + width]))
            fg, bg = (colour, bg) if code == 38 else (fg, colour)
            i += width - 1
        elif code == 39:
            fg = ""
        elif code == 49:
            bg = ""
        elif 30 <= code <= 37 or 90 <= code <= 97:
            fg = str(code)
        elif 40 <= code <= 47 or 100 <= code <= 107:
            bg = str(code)
        i += 1
    return fg, bg, frozenset(attributes)


def _highlighted(styles: list[Style]) -> int | None:
    """The one option styled unlike all the others, which all look alike."""
    for index, style in enumerate(styles):
        others = styles[:index] + styles[index + 1 :]
        if others and len(set(others)) == 1 and others[0] != style:
            return index
    return None
