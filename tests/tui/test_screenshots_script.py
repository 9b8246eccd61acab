"""`python tests/screenshots.py` (the README's command for screenshots/) keeps working: the TUI
half runs here on every test run (the web half needs Chromium and is run by hand)."""

from __future__ import annotations

from tests.screenshots import tui_screenshots


def test_the_screenshots_command_draws_every_tui_scene(tmp_path):
    drawn = tui_screenshots(tmp_path)
    assert {p.name for p in drawn} >= {"tui-dashboard.svg", "tui-instance-detail.svg", "tui-help.svg"}
    assert all(p.stat().st_size > 10_000 for p in drawn)
