"""Whether a browser would open beside the terminal (links to issues and pull requests)."""

from __future__ import annotations

import os
import sys


def desktop_browser() -> bool:
    """Over SSH without a display, Python's webbrowser falls back to lynx or w3m, which would
    take this terminal from the app."""
    if os.environ.get("BROWSER") or sys.platform in ("darwin", "win32"):
        return True  # the user's own choice (a VS Code remote helper, say), or a desktop anyway
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
