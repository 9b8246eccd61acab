"""A task's checks over real HTTP: the command, where it came from, and the runs the review gate
put on record (made through the core, tests/check_runs.py)."""

from __future__ import annotations

from cc_orchestrator.core.models import ChecksState, CheckStatus
from cc_orchestrator.core.review.checks import REPO_FILE
from tests.check_runs import record_runs


def test_a_tasks_checks_list_its_runs_oldest_first_and_its_json_carries_the_state(http, orch, git_repo, tmp_path):
    (git_repo / REPO_FILE).write_text('[review]\nchecks = "pytest -q"\n')
    task = orch.tasks.add("Fix the login test", repo=str(git_repo))
    failed, passed = record_runs(
        orch,
        task.id,
        [(CheckStatus.FAILED, 1, "E   assert 302 == 200\n1 failed"), (CheckStatus.PASSED, 0, "12 passed")],
        ChecksState.PASSED,
        tmp_path,
    )

    body = http.get(f"/api/tasks/{task.id}/checks").json()
    assert (body["command"], body["source"]) == ("pytest -q", REPO_FILE)
    assert [r["id"] for r in body["runs"]] == [failed, passed]
    first = body["runs"][0]
    assert (first["status"], first["exit_code"], first["purpose"], first["task_id"]) == ("failed", 1, "gate", task.id)
    assert first["tail"].endswith("1 failed") and first["log_path"] == str(tmp_path / f"{failed}.log")
    assert first["seconds"] >= 0 and first["finished_at"] and first["command"] == "pytest -q"

    listed = http.get("/api/tasks").json()["items"]
    assert [t["checks"] for t in listed] == ["passed"]
    assert http.get(f"/api/tasks/{task.id}").json()["checks"] == "passed"


def test_checks_of_an_unknown_task_are_404_and_a_broken_repo_file_still_shows_the_runs(http, orch, git_repo, tmp_path):
    missing = http.get("/api/tasks/999/checks")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

    (git_repo / REPO_FILE).write_text("[review\n")
    task = orch.tasks.add("Broken file", repo=str(git_repo))
    record_runs(orch, task.id, [(CheckStatus.TIMED_OUT, 124, "timed out")], ChecksState.GAVE_UP, tmp_path)
    body = http.get(f"/api/tasks/{task.id}/checks").json()
    assert body["command"] is None and body["source"].startswith("unknown: ") and REPO_FILE in body["source"]
    assert [(r["status"], r["exit_code"]) for r in body["runs"]] == [("timed_out", 124)]
    assert http.get(f"/api/tasks/{task.id}").json()["checks"] == "gave_up"
