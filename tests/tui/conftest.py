"""Fixtures for the dashboard: a real Orchestrator over the private tmux server and repo."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.tui.app import OrchestratorApp
from tests.tui.demo import REPO, DemoReads, demo_remote_view, demo_view, fixed_clock

SIZE = (160, 48)


def pytest_collection_modifyitems(items):
    """Async tests here run on asyncio through anyio's plugin (httpx brings anyio)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.add_marker(pytest.mark.anyio)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def orch(cli_env, data_dir):
    orchestrator = Orchestrator(data_dir, stop_timeout=2.0)
    yield orchestrator
    orchestrator.close()


@pytest.fixture
def live_app(orch, git_repo) -> Callable[..., OrchestratorApp]:
    """The real app over real services, the core pushing what changes."""
    return lambda **kw: OrchestratorApp(orch, str(git_repo), **kw)


@pytest.fixture
def demo_app(orch) -> Callable[..., OrchestratorApp]:
    """The app over the fixed demo data: no tmux, no git, a fixed clock, no pushes.

    The view is made before the app starts and painted in its first frame, as `tui.app.run()`
    does; git reports come without a gap between them.
    """

    def make(remote: bool = False, **kw) -> OrchestratorApp:
        """`remote`: the demo with remote hosts, one of which does not answer."""
        initial = demo_remote_view() if remote else demo_view()
        return OrchestratorApp(
            orch, REPO, live=False, clock=fixed_clock, reads=DemoReads(), initial=initial, report_gap=0, **kw
        )

    return make


async def wait_for(pilot, predicate: Callable[[], object], timeout: float = 15.0) -> object:
    """Let the app run until `predicate()` is truthy (retry_until for the event loop)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.05)
    return value
