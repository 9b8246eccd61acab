"""Hypothesis strategies for what a hostile or clumsy user types: the inputs of issue 12.

Every strategy mixes plain text with the cases that broke something once: NUL, lone surrogates
(what undecodable bytes become), control characters, RTL marks, tmux format syntax (`#{`), a
lone `;` (tmux's command separator), leading dashes (options), numbers past 2**63, and
strings far past any limit (1,000,000 characters is MAX_PROMPT).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SPECIAL = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udcff",
    "\udc80\udc81",
    "#{session_name}",
    "#{pane_pid}",
    "##{",
    "#[fg=red]",
    ";",
    "\\;",
    "a ;",
    "-",
    "--",
    "-h",
    "--help",
    "-x",
    "--json",
    "\u202e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\x1b[2J",
    "\x1b]0;title\x07",
    "\r",
    "\n",
    "\t",
    "\x7f",
    "\x08",
    "\x03",
    "\U0001d54f",
    "e\u0301",
    "日本語",
    "~",
    "$HOME",
    "$(touch pwned)",
    "`id`",
    "'",
    '"',
    "%s",
    "{}",
    "..",
    "../..",
    "/",
    "refs/heads/x",
    "@{-1}",
    "HEAD",
    "x.lock",
    "a..b",
    "null",
    "[]",
    "{",
    str(2**63),
    str(2**63 - 1),
    str(-(2**63)),
    str(2**64),
    "0",
    "-1",
    "1e3",
    "0x10",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: int() reads it as 3
    "1_000",
    " 1 ",
    "+1",
)

# Built once: past the tmux buffer limit that wedged everything, at and just past MAX_PROMPT.
HUGE = ("x" * 16_385, "y" * 1_000_000, "z" * 1_000_001, "\u00e9" * 500_001, "\n" * 70_000, "é;" * 20_000)


def mostly(usual: st.SearchStrategy, rare: st.SearchStrategy, odds: int = 4) -> st.SearchStrategy:
    """`usual` `odds` times out of `odds + 1`, else `rare` (st.one_of picks each branch alike)."""
    return st.integers(0, odds).flatmap(lambda n: usual if n else rare)


_KINDS_OF_CHARACTER = (
    st.characters(),
    st.characters(),
    st.characters(),
    st.characters(max_codepoint=0x1F),  # C0 controls, NUL included
    st.sampled_from("\u202e\u202d\u200f\u2066\u2069\u0085\u2028\x7f"),  # bidi marks, odd line ends
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates: undecodable bytes
)
characters = st.integers(0, len(_KINDS_OF_CHARACTER) - 1).flatmap(_KINDS_OF_CHARACTER.__getitem__)

short_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(characters, max_size=12)), max_size=6).map("".join),
    st.text(characters, max_size=40),
)

text = mostly(short_text, st.sampled_from(HUGE), odds=6)
"""Any text a user may paste: mostly short and strange, now and then far too long."""


def _as_argument(value: str) -> str:
    """What exec can pass: no NUL (it ends the C string), under Linux's 131,072 bytes per
    argument (32,000 characters are at most 128,000 bytes, and still past tmux's 16 KB)."""
    return value.replace("\x00", "")[:32_000]


arguments = text.map(_as_argument)
"""`text` as a command line can carry it."""

big_integers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1, 0, -1]),
)


ids = st.one_of(st.integers(min_value=1, max_value=12).map(str), big_integers.map(str), arguments)
"""Task or instance ids as the command line gets them: mostly nonsense, sometimes real."""

# Each setting with values it takes and values that look right but are not.
SETTINGS = {
    "max_instances": ["3", "0", "-1", str(2**63), "1.5"],
    "agents": [
        "{}",
        '{"x": {"command": "prog", "args": [";", "#{pane_pid}"]}}',
        '{"x": {"command": 5}}',
        '{"x": {"command": "prog", "ready_patterns": ["("]}}',
        '{"x": {"command": "prog", "dialogs": [{"name": "d", "pattern": "["}]}}',
        '{"generic": {"command": ""}}',
        '{"generic": {"ready_patterns": ["("]}}',  # the live agent's own profile
        '{"generic": {"dialogs": [{"name": "d", "pattern": "x", "approve_label": "["}]}}',
    ],
    "default_agent": ["generic", "claude", "x", ""],
    "custom_layouts": ["{}", '{"two": [{"name": "w", "panes": ["htop", ""]}]}', '{"bad": [{"panes": 5}]}'],
    "keymap": ["{}", '{"quit": "ctrl+q"}', '{"quit": 5}', "[]"],
    "hung_after_seconds": ["60", "0", "-5", "1e999", "nan"],
    "stop_timeout": ["1.5", "inf", "-1"],
    "log_level": ["DEBUG", "loud"],
    "github_on_done": ["none", "close", "x"],
    "jira_statuses": ['{"done": "Done"}', '{"done": 5}'],
    "auto_assign": ["true", "yes", "2"],
    "max_memory_mb": ["512", "null", "", "-1"],
    "default_layout": ["default", "claude", "nope"],
    "github_token": ["ghp_secret"],  # secrets are refused here: environment only
    "slack_webhook_url": ["https://hooks.example/x"],
}
json_values = st.recursive(
    st.none() | st.booleans() | big_integers | st.floats() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
setting_texts = arguments | json_values.map(json.dumps).map(_as_argument)
"""What `config set KEY VALUE` may be given."""

# A terminal that takes any byte as text (a ^C, ^Z or ^S in a paste signals or stops nothing)
# and echoes it, each Enter on a new line: a paste is drawn, so Enter follows at once.
RAW_CAT = ["sh", "-c", "stty -isig -icanon -ixon -iexten; exec cat >/dev/null"]


PROPERTIES = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays reproducible
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""One database and one repository per test on purpose: examples pile up in them, as a user's do."""
