"""The API's removal refusals carry the core's list of what would be lost (issue 12, item 2)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import git


def _conflict(response) -> str:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"]["code"] == "conflict"
    return body["error"]["message"]


def test_delete_worktree_409_lists_files_and_commits(http, orch, git_repo):
    worktree = orch.worktrees.create(git_repo, "feat")
    path = Path(worktree.path)
    (path / ".gitignore").write_text("*.pem\n")
    git(path, "add", ".gitignore")
    git(path, "commit", "-q", "-m", "ignore keys")
    (path / "server.pem").write_text("key\n")

    message = _conflict(http.delete(f"/api/worktrees/{worktree.id}"))

    assert "1 ignored file (server.pem)" in message and "ignore keys" in message and "--force" in message
    assert (path / "server.pem").exists() and orch.worktrees.get(worktree.id)
    assert http.delete(f"/api/worktrees/{worktree.id}", params={"force": "true"}).status_code == 200
    assert not path.exists()


def test_stop_with_remove_worktree_409_lists_them_before_anything_stops(http, orch, git_repo):
    instance = orch.instances.start(git_repo)
    (Path(instance.worktree_path) / "notes").mkdir()
    (Path(instance.worktree_path) / "notes" / "todo.md").write_text("mine\n")

    response = http.post(f"/api/instances/{instance.id}/stop", json={"remove_worktree": True})

    assert "1 uncommitted file (notes/todo.md)" in _conflict(response)
    assert orch.instances.get(instance.id).status.is_live
    orch.instances.stop(instance.id)
