"""The review gate on the board and in the task detail, over the real core: check runs put on
record as the gate does (tests/check_runs.py), read back through the services."""

from __future__ import annotations

from cc_orchestrator.core.models import ChecksState, CheckStatus, TaskStatus
from cc_orchestrator.core.review.checks import REPO_FILE
from cc_orchestrator.tui.screens.task_detail import TaskDetail
from cc_orchestrator.tui.widgets.checks_panel import ChecksPanel
from cc_orchestrator.tui.widgets.task_column import CARD
from tests.check_runs import record_runs
from tests.tui.conftest import SIZE, wait_for

FAILURE = "collected 12 items\n\ntests/test_login.py F\n\nE   assert 302 == 200\n1 failed, 11 passed in 0.31s"


async def test_a_task_whose_checks_gave_up_is_a_red_card_and_its_detail_lists_the_runs(
    live_app, orch, git_repo, tmp_path
):
    (git_repo / REPO_FILE).write_text('[review]\nchecks = "pytest -q"\n')
    task = orch.tasks.add("Fix the login test", repo=str(git_repo))
    orch.tasks.update(task.id, status="in_progress")
    first, second, third = record_runs(
        orch,
        task.id,
        [
            (CheckStatus.FAILED, 1, "E   ImportError\n1 error"),
            (CheckStatus.TIMED_OUT, 124, "[cc-orchestrator] checks timed out after 600 s"),
            (CheckStatus.FAILED, 1, FAILURE),
        ],
        ChecksState.GAVE_UP,
        tmp_path / "logs",
    )
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        column = app.dashboard.tasks.columns[TaskStatus.IN_PROGRESS]
        await wait_for(pilot, lambda: column.row_count == 1)
        card = column.get_cell(str(task.id), CARD)
        assert "✗ checks gave up" in card.plain
        red = column.get_component_rich_style("task-column--checks-gave-up")
        assert card.style == red and red.bgcolor is not None  # the whole card, padded to the column

        await pilot.press("tab", "right", "right", "enter")
        assert isinstance(app.screen, TaskDetail)
        panel = app.screen.query_one(ChecksPanel)
        await wait_for(pilot, lambda: len(panel.runs) == 3)
        shown = str(panel.query_one("#checks-runs").content)
        assert f"pytest -q  ({REPO_FILE})" in shown
        lines = [line for line in shown.splitlines() if line.startswith("#")]
        assert [line.split()[0] for line in lines] == [f"#{third}", f"#{second}", f"#{first}"]  # newest first
        assert "failed" in lines[0] and "exit 1" in lines[0] and "timed out" in lines[1] and "exit 124" in lines[1]
        assert f"run #{third}" in shown and str(tmp_path / "logs" / f"{third}.log") in shown
        tail = panel.query_one("#checks-tail")
        assert tail.display and "1 failed, 11 passed" in "\n".join(s.text for s in tail.lines)

        # a new run on record (its event reaches the view): the list is read again
        (passed,) = record_runs(orch, task.id, [(CheckStatus.PASSED, 0, "12 passed")], ChecksState.PASSED, tmp_path)
        await wait_for(pilot, lambda: len(panel.runs) == 4, timeout=20)
        shown = str(panel.query_one("#checks-runs").content)
        assert shown.splitlines()[1].startswith(f"#{passed}") and "passed" in shown.splitlines()[1]
        assert tail.display  # the newest failure is still the third run's
        await pilot.press("escape")
        await wait_for(pilot, lambda: "✓ checks" in column.get_cell(str(task.id), CARD).plain)
        assert not column.get_cell(str(task.id), CARD).style  # not red any more
