"""The dashboard starts lean: its modules pull in no tmux, git, psutil or database code, and its
first frame (the store alone) needs neither settings nor git, nor anything of the web face.

Those load in worker threads once the first frame is painted (see tests/benchmarks/bench_tui.py).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from cc_orchestrator.core.orchestrator import Orchestrator
from tests.helpers import git
from tests.test_import_hygiene import loaded_after

WEB = ("fastapi", "uvicorn", "starlette", "httpx")
GIT = ("git", "gitdb", "smmap")  # GitPython and its parts
LATER = ("pydantic", "pydantic_settings", "psutil", "watchdog", "libtmux", "click")

FIRST_FRAME = """
import asyncio, sys
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.tui.app import OrchestratorApp
from cc_orchestrator.tui.view import first_view


class FirstFrame(OrchestratorApp):
    def after_first_frame(self):
        self.loaded = set(sys.modules)  # and nothing more starts


orch = Orchestrator()
found = Orchestrator.repo({repo!r}, required=False)
repo = str(found) if found else None
app = FirstFrame(orch, repo, initial=first_view(orch, repo))


async def main():
    async with app.run_test(size=(160, 48)) as pilot:
        while not hasattr(app, "loaded"):
            await pilot.pause(0.01)
        assert app.dashboard.tasks.border_title == "Tasks (1)", app.dashboard.tasks.border_title


asyncio.run(main())
print(repo)
print(" ".join(sorted(app.loaded)))
"""


def test_the_dashboard_module_loads_no_heavy_dependency():
    loaded = loaded_after("import cc_orchestrator.tui.app")
    for heavy in (*LATER, *GIT, *WEB, "peewee"):
        assert heavy not in loaded, f"importing the dashboard pulls in {heavy}"


def test_the_first_frame_needs_no_settings_git_or_web_stack(orch, git_repo):
    orch.tasks.add("Paint me")
    script = FIRST_FRAME.format(repo=str(git_repo / "src"))
    (git_repo / "src").mkdir()
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, check=True)
    repo, modules = out.stdout.splitlines()
    assert repo == str(git_repo)
    loaded = set(modules.split())
    for heavy in (*LATER, *GIT, *WEB):
        assert heavy not in loaded, f"the first frame pulls in {heavy}"
    assert "peewee" in loaded  # the store it shows


def test_the_repository_is_found_from_the_files_as_git_finds_it(git_repo, tmp_path, monkeypatch):
    linked = tmp_path / "linked"
    git(git_repo, "worktree", "add", "-q", "-b", "feature/x", str(linked))
    (git_repo / "deep" / "er").mkdir(parents=True)
    outside = tmp_path / "plain"
    outside.mkdir()
    from cc_orchestrator.core.git.dotgit import main_repo
    from cc_orchestrator.core.git.repository import find_repo

    for where in (git_repo, git_repo / "deep" / "er", linked, git_repo / "README.md"):
        assert main_repo(where, explicit=True) == find_repo(where) == Orchestrator.repo(str(where)) == git_repo
    monkeypatch.chdir(linked)
    assert Orchestrator.repo(None, required=False) == git_repo
    monkeypatch.chdir(outside)
    assert main_repo(outside, explicit=False) is None and Orchestrator.repo(None, required=False) is None


def test_core_still_imports_no_textual():
    assert "textual" not in loaded_after("import cc_orchestrator.core.orchestrator")
