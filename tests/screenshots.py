"""Screenshots of the faces with demo data, for the README and for reviewing changes by eye."""

from __future__ import annotations


def web_screenshots(out_dir) -> list:
    """PNGs of the web dashboard (Debian's chromium, headless) with demo data; their paths.

    Everything is private and temporary: a git repository, a data dir, a tmux server on its
    own socket running the fake agent, and the server on 127.0.0.1. Needs /usr/bin/chromium
    (`.ci/install-browser.sh`) and the `playwright` package.
    """
    import shutil
    import tempfile
    import time
    import uuid
    from pathlib import Path

    from playwright.sync_api import expect, sync_playwright

    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.web.app import create_app
    from tests.helpers import FAKE_AGENT_COMMAND, capture, git, kill_tmux_server, retry_until
    from tests.web.browser import launch
    from tests.web.conftest import TOKEN, LiveServer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="cco-web-shots-"))
    socket_name = f"cco-shots-{uuid.uuid4().hex[:8]}"
    repo = root / "shop-api"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "demo@example.com")
    git(repo, "config", "user.name", "Demo")
    (repo / "README.md").write_text("# shop-api\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "Initial commit")
    orch = Orchestrator(
        root / "data",
        tmux_socket=socket_name,
        agent_command=FAKE_AGENT_COMMAND,
        default_agent="generic",
        stop_timeout=1.0,
    )
    server = None
    shots: list[Path] = []
    try:
        tasks = orch.tasks
        schema = tasks.add("Design the orders schema", "Tables, indexes, migrations.", priority="high")
        api = tasks.add("REST endpoints for orders", priority="high", dependencies=[schema.id])
        tasks.add("Pagination for /orders", dependencies=[api.id])
        tasks.add("Rate limiting", priority="low")
        flaky = tasks.add("Fix flaky checkout test", "Fails one run in twenty.", priority="high")
        docs = tasks.add("API reference docs", priority="low")
        tasks.update(docs.id, status="IN_PROGRESS")
        tasks.update(docs.id, status="REVIEW")
        done = tasks.add("Set up CI")
        tasks.update(done.id, status="DONE")
        tasks.update(schema.id, status="DONE")
        _checks_on_record(orch, flaky.id, docs.id, root / "checks")

        server = LiveServer(create_app(orch, TOKEN, default_repo=repo, sweep=0.5))
        with server.client() as http:
            working = http.post(f"/api/tasks/{api.id}/assign", json={}).json()
            asking = http.post("/api/instances", json={"branch": "fix/checkout-flake"}).json()
            idle = http.post("/api/instances", json={"branch": "spike/caching"}).json()
            http.post("/api/worktrees", json={"branch": "review/pr-42"})
            for instance in (working, asking, idle):
                retry_until(
                    lambda i=instance: "fake-agent ready" in capture(socket_name, i["tmux_session"]), timeout=30
                )
            http.post(f"/api/instances/{asking['id']}/send", json={"text": "ask tests/test_checkout.py"})
            http.post(f"/api/instances/{working['id']}/send", json={"text": "work 60"})

            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = browser.new_page(viewport={"width": 1600, "height": 1250})
                page.goto(f"{server.base}/?token={TOKEN}")
                expect(page.locator("#connection")).to_have_text("live")
                expect(page.locator(f'[data-instance-id="{asking["id"]}"]')).to_have_attribute(
                    "data-status", "WAITING_INPUT", timeout=20_000
                )
                page.locator(f'.task[data-task-id="{flaky.id}"] summary').click()  # its check runs, unfolded
                expect(page.locator(f'.task[data-task-id="{flaky.id}"] .check-tail')).to_be_visible()
                time.sleep(6)  # a few seconds of CPU and memory samples for the charts
                shots.append(out / "web-dashboard.png")
                page.screenshot(path=str(shots[-1]), full_page=True)
                page.locator(f'[data-instance-id="{working["id"]}"] [data-action="logs"]').click()
                expect(page.locator("#log-output")).to_contain_text("fake-agent ready")
                time.sleep(0.5)
                shots.append(out / "web-logs.png")
                page.locator(".logs").screenshot(path=str(shots[-1]))
                login = browser.new_page(viewport={"width": 900, "height": 600})
                login.goto(f"{server.base}/login")
                shots.append(out / "web-login.png")
                login.screenshot(path=str(shots[-1]))
                browser.close()
            for instance in (working, asking, idle):
                http.post(f"/api/instances/{instance['id']}/stop")
    finally:
        if server is not None:
            server.stop()
        orch.close()
        kill_tmux_server(socket_name)
        shutil.rmtree(root, ignore_errors=True)
    return shots


def _checks_on_record(orch, gave_up: int, passed: int, logs) -> None:
    """The review gate's word on two tasks: one failed three times (a person decides), one passed."""
    from cc_orchestrator.core.models import ChecksState, CheckStatus
    from tests.check_runs import record_runs

    failure = (
        "tests/test_checkout.py::test_pay_retries FAILED\n\n"
        "    def test_pay_retries(gateway):\n"
        ">       assert gateway.calls == 3\n"
        "E       assert 4 == 3\n\n"
        "FAILED tests/test_checkout.py::test_pay_retries - assert 4 == 3\n"
        "1 failed, 57 passed in 4.12s"
    )
    orch.tasks.update(gave_up, status="IN_PROGRESS")
    outcomes = [
        (CheckStatus.FAILED, 1, failure),
        (CheckStatus.TIMED_OUT, 124, "timed out"),
        (CheckStatus.FAILED, 1, failure),
    ]
    record_runs(orch, gave_up, outcomes, ChecksState.GAVE_UP, logs)
    record_runs(orch, passed, [(CheckStatus.PASSED, 0, "58 passed in 4.02s")], ChecksState.PASSED, logs)


def tui_screenshots(out_dir) -> list:
    """SVGs of the dashboard, an instance's detail, the task form and the help screen; their paths.

    The fixed demo data of tests/tui/demo.py (no tmux, no git), a 160x48 terminal, a fixed
    clock: the pictures change only when the dashboard does.
    """
    import asyncio
    import os
    import tempfile
    from pathlib import Path

    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.tui.app import OrchestratorApp
    from tests.tui.demo import REPO, DemoReads, demo_view, fixed_clock

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scenes = {  # file name: keys pressed after the first paint
        "tui-dashboard.svg": ["down", "down", "down"],
        "tui-instance-detail.svg": ["down", "down", "down", "d"],
        "tui-task-form.svg": [
            "tab",
            "n",
            *"Add a --dry-run flag to the seed script",
            "tab",
            *"Print what would change",
        ],
        "tui-help.svg": ["question_mark"],
        "tui-import.svg": ["tab", "i", *"acme/web", "tab", *"bug"],
        "tui-task-detail.svg": ["tab", "down", "enter"],  # an imported task: its issue and pull request
        "tui-task-checks.svg": ["tab", "right", "right", "down", "down", "enter"],  # checks that gave up
    }
    saved_env = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("CC_ORCHESTRATOR_")]:
        del os.environ[name]  # the user's settings (a keymap) must not change the pictures
    os.environ["CC_ORCHESTRATOR_CONFIG_FILE"] = os.path.join(tempfile.mkdtemp(), "none.toml")

    async def shoot(name: str, keys: list[str], data_dir: str) -> Path:
        app = OrchestratorApp(
            Orchestrator(data_dir),
            REPO,
            live=False,
            clock=fixed_clock,
            reads=DemoReads(),
            initial=demo_view(),
            report_gap=0,
        )
        async with app.run_test(size=(160, 48)) as pilot:
            while len(app.dashboard.worktrees.reports) < len(app.view.worktrees):  # git reports: a worker's
                await pilot.pause(0.05)
            await pilot.press(*keys)
            await pilot.pause(0.5)  # the detail view loads the agent's screen in a worker
            app.save_screenshot(name, str(out))
        return out / name

    try:
        with tempfile.TemporaryDirectory(prefix="cco-tui-shots-") as data_dir:
            return [asyncio.run(shoot(name, keys, data_dir)) for name, keys in scenes.items()]
    finally:
        os.environ.clear()
        os.environ.update(saved_env)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[1] / "screenshots")
    for path in [*tui_screenshots(target), *web_screenshots(target)]:
        print(path)
