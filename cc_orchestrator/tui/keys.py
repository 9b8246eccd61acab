"""Key bindings the app itself has, and the user's keymap over any binding.

Bindings carry ids ("instances.stop") so users can remap them with the `keymap` setting
(binding id -> key, or several keys separated by commas). The help screen lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from textual.binding import Binding

APP_BINDINGS = [
    Binding("q", "quit", "Quit", id="app.quit"),
    Binding("question_mark", "help", "Help", id="app.help"),
    Binding("ctrl+r", "refresh_now", "Refresh now", id="app.refresh", show=False),
]


def effective(binding: Binding, keymap: Mapping[str, str]) -> Binding:
    """The binding with the user's keys when the keymap remaps its id."""
    if binding.id and binding.id in keymap:
        return replace(binding, key=keymap[binding.id])
    return binding
