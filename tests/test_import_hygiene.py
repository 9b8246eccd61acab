"""One core, two faces: the services never import a face's framework, and start-up stays lean."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "cc_orchestrator.core.orchestrator",
    "cc_orchestrator.core.instances",
    "cc_orchestrator.core.git.worktrees",
    "cc_orchestrator.core.tmux.service",
    "cc_orchestrator.core.tasks",
    "cc_orchestrator.core.reconcile",
    "cc_orchestrator.core.configuration",
    "cc_orchestrator.config.settings",
]


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_imports_no_face(module):
    loaded = loaded_after(f"import {module}")
    for face in ("textual", "fastapi", "uvicorn", "click", "starlette", "rich"):
        assert face not in loaded, f"{module} pulls in {face}"


def test_the_cli_loads_heavy_modules_only_where_used():
    loaded = loaded_after(
        "from cc_orchestrator.cli.main import cli\n"
        "from cc_orchestrator.core.orchestrator import Orchestrator\n"
        "import cc_orchestrator.cli.tasks"
    )
    for heavy in ("pydantic", "pydantic_settings", "git", "libtmux", "psutil", "textual", "fastapi"):
        assert heavy not in loaded, f"`tasks list` would import {heavy}"
