"""DELETE /api/instances/{id}: the core's InstanceService.remove, spelled `remove_worktree`."""

from __future__ import annotations

import os


def test_stop_keeping_the_worktree_then_remove_it(http, orch, git_repo):
    instance = http.post("/api/instances", json={}).json()
    kept = http.delete(f"/api/instances/{instance['id']}", params={"remove_worktree": False})
    assert kept.status_code == 200 and kept.json()["status"] == "STOPPED"
    assert os.path.isdir(instance["worktree_path"])

    removed = http.delete(f"/api/instances/{instance['id']}")  # stopped already: only the worktree goes
    assert removed.status_code == 200 and removed.json()["status"] == "STOPPED"
    assert not os.path.exists(instance["worktree_path"])
    assert orch.worktrees.list() == []


def test_the_old_spelling_is_refused_not_ignored(http, orch, git_repo):
    instance = http.post("/api/instances", json={}).json()
    refused = http.delete(f"/api/instances/{instance['id']}", params={"keep_worktree": True})
    assert refused.status_code == 422
    assert "remove_worktree=false" in refused.json()["error"]["message"]
    assert http.get(f"/api/instances/{instance['id']}").json()["status"] != "STOPPED"  # nothing happened
    assert os.path.isdir(instance["worktree_path"])
    http.post(f"/api/instances/{instance['id']}/stop")
