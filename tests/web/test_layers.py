"""The web face stays a face: it asks the services, and loads its framework only when serving."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import cc_orchestrator.web

WEB = Path(cc_orchestrator.web.__file__).parent
# tmux, git and SQLite are the services' business, never the face's
FORBIDDEN = (
    "peewee",
    "sqlite3",
    "libtmux",
    "git",
    "subprocess",
    "psutil",
    "watchdog",
    "cc_orchestrator.core.store",
    "cc_orchestrator.core.tmux",
    "cc_orchestrator.core.instances",
    "cc_orchestrator.core.agents",
    "cc_orchestrator.core.git.worktrees",
)
ALLOWED = {"cc_orchestrator.core.git.repository"}  # find_repo: which repository the server runs in


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_web_face_uses_only_the_services():
    for path in WEB.rglob("*.py"):
        for module in imported_modules(path) - ALLOWED:
            bad = [f for f in FORBIDDEN if module == f or module.startswith(f + ".")]
            assert not bad, f"{path.relative_to(WEB)} imports {module}"


def test_importing_serve_loads_no_web_framework():
    code = "import sys, cc_orchestrator.web.server\nprint(' '.join(sys.modules))"
    loaded = set(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    )
    for heavy in ("fastapi", "uvicorn", "starlette", "pydantic"):
        assert heavy not in loaded, f"importing cc_orchestrator.web.server pulls in {heavy}"


def test_static_files_are_in_the_package():
    static = WEB / "static"
    for name in (
        "index.html",
        "login.html",
        "app.css",
        "login.css",
        "js/main.js",
        "vendor/chartjs/chart.umd.min.js",
        "vendor/chartjs/LICENSE.md",
    ):
        assert (static / name).is_file(), name
    html = (static / "index.html").read_text()
    assert "<script>" not in html and "style=" not in html  # the CSP allows no inline code
