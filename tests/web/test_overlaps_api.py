"""GET /api/overlaps over real HTTP: two agents' branches that conflict, as serve's Live found them."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import git, retry_until


def commit(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)
    git(folder, "add", name)
    git(folder, "commit", "-q", "-m", f"change {name}")


def test_overlaps_lists_a_conflict_between_two_instances(http, orch, git_repo):
    assert http.get("/api/overlaps").json() == []
    first = http.post("/api/instances", json={"branch": "feat-a"}).json()
    second = http.post("/api/instances", json={"branch": "feat-b"}).json()
    commit(Path(first["worktree_path"]), "README.md", "from a\n")
    commit(Path(second["worktree_path"]), "README.md", "from b\n")

    # a sweep may first see b's edit uncommitted: an overlap, then the conflict once it is committed
    found = retry_until(lambda: [o for o in http.get("/api/overlaps").json() if o["conflicts"]], timeout=20)
    [overlap] = found
    assert overlap["conflicts"] is True and overlap["conflict_files"] == ["README.md"]
    assert sorted(overlap["instance_ids"]) == sorted([first["id"], second["id"]])
    assert sorted(overlap["branches"]) == ["feat-a", "feat-b"] and overlap["base"] == ""
    assert http.get("/api/overlaps", params={"repo": "/nowhere"}).json() == []
    warned = retry_until(
        lambda: [e for e in http.get("/api/events", params={"min_level": "WARNING"}).json() if "overlap" in e["data"]]
    )
    assert warned[0]["message"].endswith("conflict in README.md")
    for instance in (first, second):
        http.post(f"/api/instances/{instance['id']}/stop")
    retry_until(lambda: http.get("/api/overlaps").json() == [], timeout=20)
