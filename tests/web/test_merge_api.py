"""Merging a REVIEW task over real HTTP: the same rules as `cco tasks merge`."""

from __future__ import annotations

from tests.helpers import git
from tests.test_merge import review_task


def test_post_merge_merges_a_passed_task_and_refuses_a_conflict_in_one_line(http, orch, git_repo):
    first, _ = review_task(orch, git_repo, "Add a", {"a.txt": "a\n"})
    clash, _ = review_task(orch, git_repo, "Clash", {"a.txt": "not a\n"})

    merged = http.post(f"/api/tasks/{first}/merge", json={"strategy": "squash"})
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["merged"] and body["strategy"] == "squash" and body["commit"] == git(git_repo, "rev-parse", "main")
    assert body["line"].startswith(f"task {first}: merged ") and (git_repo / "a.txt").read_text() == "a\n"
    assert http.get(f"/api/tasks/{first}").json()["status"] == "DONE"

    before = git(git_repo, "rev-parse", "main")
    refused = http.post(f"/api/tasks/{clash}/merge", json={})
    assert refused.status_code == 409 and "a.txt" in refused.json()["error"]["message"]
    assert git(git_repo, "rev-parse", "main") == before
    assert http.post(f"/api/tasks/{first}/merge", json={"strategy": "octopus"}).status_code == 422
