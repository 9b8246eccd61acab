"""The dashboard starts lean: its modules pull in no tmux, git, psutil or database code.

Those load in worker threads or once the first frame is painted (see tests/benchmarks/bench_tui.py).
"""

from __future__ import annotations

from tests.test_import_hygiene import loaded_after


def test_the_dashboard_module_loads_no_heavy_dependency():
    loaded = loaded_after("import cc_orchestrator.tui.app")
    for heavy in ("libtmux", "psutil", "git", "watchdog", "pydantic", "peewee", "click", "fastapi"):
        assert heavy not in loaded, f"importing the dashboard pulls in {heavy}"


def test_core_still_imports_no_textual():
    assert "textual" not in loaded_after("import cc_orchestrator.core.orchestrator")
