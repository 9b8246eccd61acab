"""Keyboard flows over real services: a real repository, a private tmux server, the fake agent."""

from __future__ import annotations

import contextlib
import os
import threading

from cc_orchestrator.core.models import InstanceStatus, TaskStatus
from cc_orchestrator.tui import jump
from cc_orchestrator.tui.dialogs.modals import ConfirmScreen
from cc_orchestrator.tui.dialogs.task_form import TaskForm
from cc_orchestrator.tui.screens.help import HelpScreen
from cc_orchestrator.tui.screens.instance_detail import InstanceDetail
from tests.helpers import capture, retry_until
from tests.tui.conftest import SIZE, wait_for


def status_in_table(app, instance_id: str) -> str:
    table = app.dashboard.instances.table
    if instance_id not in {r.key.value for r in table.ordered_rows}:
        return ""
    return str(table.get_cell(instance_id, "state")).strip()


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_create_a_task_with_the_form(live_app, orch):
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab", "n")
        assert isinstance(app.screen, TaskForm)
        await pilot.press("ctrl+s")  # an empty title is refused in the form
        assert isinstance(app.screen, TaskForm)
        assert "title must not be empty" in str(app.screen.query_one("#form-error").render())
        await pilot.press(*"Add a --verbose flag")
        await pilot.click("#description")
        await pilot.press(*"Print each file")
        await pilot.click("#dependencies")
        await pilot.press(*"42")
        assert "no task 42" in str(app.screen.query_one("#form-error").render())
        await pilot.press("backspace", "backspace", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, TaskForm))
        task = orch.tasks.list()[0]
        assert (task.title, task.description, task.status) == (
            "Add a --verbose flag",
            "Print each file",
            TaskStatus.PENDING,
        )
        await wait_for(pilot, lambda: app.dashboard.tasks.columns[TaskStatus.PENDING].row_count == 1)


async def test_a_refused_save_keeps_the_form_open_with_the_reason(live_app, orch):
    first = orch.tasks.add("first")
    second = orch.tasks.add("second", dependencies=[first.id])
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.view.tasks) == 2)
        await pilot.press("tab", "e")  # edit task 1 (the cursor is on it)
        assert isinstance(app.screen, TaskForm) and app.screen.editing.id == first.id
        await pilot.click("#dependencies")
        await pilot.press(*str(second.id), "ctrl+s")  # 1 -> 2 -> 1 is a cycle
        await wait_for(pilot, lambda: "cycle" in str(app.screen.query_one("#form-error").render()))
        assert isinstance(app.screen, TaskForm)


async def test_start_an_instance_for_the_selected_task_then_stop_it(live_app, orch):
    task = orch.tasks.add("Say hello", "work 0.2")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.view.tasks)
        await pilot.press("tab", "s")
        instance = await wait_for(pilot, lambda: next(iter(app.view.instances), None), timeout=20)
        await wait_for(pilot, lambda: status_in_table(app, instance.id) in ("RUNNING", "IDLE"), timeout=20)
        await wait_for(pilot, lambda: orch.tasks.get(task.id).status is TaskStatus.IN_PROGRESS, timeout=20)
        await pilot.press("shift+tab", "x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: status_in_table(app, instance.id) == "STOPPED", timeout=20)
        assert orch.instances.get(instance.id).status is InstanceStatus.STOPPED


async def test_enter_suspends_attaches_and_comes_back_to_the_same_place(live_app, orch, git_repo, monkeypatch):
    one, two = orch.instances.start(git_repo), orch.instances.start(git_repo)
    attached = []
    monkeypatch.setattr(jump, "run_attached", lambda argv: attached.append(argv) or 0)
    app = live_app()
    suspended = []

    @contextlib.contextmanager
    def suspend():
        suspended.append(True)
        yield

    app.suspend = suspend  # the headless test driver cannot really suspend
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.instances.table.row_count == 2)
        await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: attached)
        socket = orch.settings.tmux_socket
        assert attached == [["tmux", "-L", socket, "attach-session", "-t", f"={two.tmux_session}"]]
        assert suspended == [True]
        assert app.screen is app.dashboard and app.dashboard.instances.selected.id == two.id
    assert one.id != two.id


async def test_enter_inside_the_agents_tmux_server_switches_the_client(live_app, orch, git_repo, monkeypatch):
    instance = orch.instances.start(git_repo)
    socket = orch.settings.tmux_socket
    monkeypatch.setenv("TMUX", f"{orch.tmux.socket_path()},1234,0")
    switched = []
    monkeypatch.setattr(jump, "run_switch", lambda argv: switched.append(argv) or "")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.instances.table.row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: switched)
        assert switched == [["tmux", "-L", socket, "switch-client", "-t", f"={instance.tmux_session}"]]


async def test_prompt_approve_and_a_refusal_shown_as_one_line(live_app, orch, git_repo):
    instance = orch.instances.start(git_repo)
    retry_until(lambda: "fake-agent ready" in capture(orch.settings.tmux_socket, instance.tmux_session))
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.instances.table.row_count == 1)
        await pilot.press("p", *"ask notes.txt", "enter")
        await wait_for(pilot, lambda: status_in_table(app, instance.id) == "WAITING_INPUT", timeout=20)
        await wait_for(pilot, lambda: any("waits for input" in n for n in notes(app)))
        await pilot.press("a")
        await wait_for(pilot, lambda: os.path.exists(os.path.join(instance.worktree_path, "notes.txt")), timeout=20)
        await pilot.press("R")  # restart a live instance: refused, as a toast
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        error = next(n for n in app._notifications if n.severity == "error")
        assert "\n" not in error.message and "Traceback" not in error.message


async def test_detail_view_shows_the_agents_screen_live_and_its_events(live_app, orch, git_repo):
    instance = orch.instances.start(git_repo)
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.instances.table.row_count == 1)
        await pilot.press("d")
        assert isinstance(app.screen, InstanceDetail)
        detail = app.screen
        await wait_for(pilot, lambda: "fake-agent ready" in (detail.screen_text or ""), timeout=20)
        orch.instances.send(instance.id, "hello there")
        await wait_for(pilot, lambda: "received: hello there" in (detail.screen_text or ""), timeout=20)
        shown = "\n".join(line.text for line in detail.query_one("#detail-screen").lines)
        assert "received: hello there" in shown
        await pilot.press("escape")
        assert app.screen is app.dashboard


async def test_a_load_that_finishes_after_its_screen_closed_is_dropped(live_app, orch, git_repo):
    orch.instances.start(git_repo)
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.instances.table.row_count == 1)
        await pilot.press("d")
        detail = app.screen
        assert isinstance(detail, InstanceDetail)
        await pilot.press("escape")
        assert app.screen is app.dashboard
        # what a worker still running would send: dropped, the screen has closed
        assert not detail.call_later(detail.show_diff, None, None)
        assert not detail.call_later(setattr, detail, "screen_text", "late")
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.screen is app.dashboard


async def test_remove_a_worktree_after_a_confirmation_that_says_what_is_lost(live_app, orch, git_repo):
    worktree = orch.worktrees.create(git_repo, "feature/notes")
    with open(os.path.join(worktree.path, "draft.md"), "w") as fh:
        fh.write("unsaved\n")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.worktrees.tree_view.selected_id == worktree.id)
        await pilot.press("tab", "tab")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        body = str(app.screen.query_one(".dialog-body").render())
        assert "1 uncommitted file" in body and "draft.md" in body
        await pilot.press("y")
        await wait_for(pilot, lambda: not orch.worktrees.list(inspect=False), timeout=20)
        await wait_for(pilot, lambda: app.dashboard.worktrees.border_title == "Worktrees (0)")


async def test_move_a_card_with_the_keyboard(live_app, orch):
    task = orch.tasks.add("Write docs")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.view.tasks)
        await pilot.press("tab", "shift+right")
        await wait_for(pilot, lambda: orch.tasks.get(task.id).status is TaskStatus.IN_PROGRESS)
        await wait_for(pilot, lambda: app.dashboard.tasks.columns[TaskStatus.IN_PROGRESS].row_count == 1)
        await pilot.press("right", "right", "shift+right")  # IN_PROGRESS -> REVIEW
        await wait_for(pilot, lambda: orch.tasks.get(task.id).status is TaskStatus.REVIEW)


async def test_an_agent_newer_than_tested_is_warned_about_in_the_header(live_app, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text("#!/bin/sh\necho '9.9.9 (Claude Code)'\n")
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.warning)
        assert "claude 9.9.9 is newer than the newest version tested" in app.dashboard.warning
        assert "9.9.9" in str(app.dashboard.query_one("#summary").render())
        assert any("agents doctor claude" in n for n in notes(app))


async def test_keys_are_handled_at_once_while_the_cores_refresh_hangs(live_app, orch, monkeypatch):
    orch.tasks.add("Write docs")
    release, hung = threading.Event(), threading.Event()
    refresh = orch.instances.refresher.refresh

    def stuck(*args, **kwargs):
        hung.set()
        release.wait(10)
        return refresh(*args, **kwargs)

    monkeypatch.setattr(orch.instances.refresher, "refresh", stuck)
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, hung.is_set)  # the core's first round, on its own thread
        await pilot.press("tab", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.dashboard.tasks.border_title == "Tasks (1)"  # the store's first frame
        release.set()


async def test_enter_on_a_remote_instance_suspends_and_runs_ssh_even_inside_the_agents_server(
    demo_app, orch, monkeypatch
):
    """A remote instance lives in another machine's tmux: never switch-client, always attach."""
    monkeypatch.setenv("TMUX", f"{orch.tmux.socket_path()},1234,0")  # as if inside the agents' server
    ssh = ["ssh", "-t", "dev@box.lan", "--", "tmux", "attach-session", "-t", "=cc-orchestrator-b27e10"]
    asked = []
    monkeypatch.setattr(orch.instances, "attach_argv", lambda ref, *a, **kw: asked.append(ref) or ssh)
    attached, switched = [], []
    monkeypatch.setattr(jump, "run_attached", lambda argv: attached.append(argv) or 0)
    monkeypatch.setattr(jump, "run_switch", lambda argv: switched.append(argv) or "")
    app = demo_app(remote=True)
    suspended = []

    @contextlib.contextmanager
    def suspend():
        suspended.append(True)
        yield

    app.suspend = suspend
    async with app.run_test(size=SIZE) as pilot:
        table = app.dashboard.instances.table
        table.move_cursor(row=table.get_row_index("b27e10"))  # on box
        await pilot.pause()
        assert app.dashboard.instances.selected.host == "box"
        await pilot.press("enter")
        await wait_for(pilot, lambda: attached)
        assert asked == ["b27e10"] and attached == [ssh] and suspended == [True] and switched == []
        assert app.screen is app.dashboard and app.dashboard.instances.selected.id == "b27e10"
