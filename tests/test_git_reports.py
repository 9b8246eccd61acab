"""Standings (the worktree map's reports) agree with the full report, at a git process or two
a worktree. A real repository and worktrees in tmp_path."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cc_orchestrator.core.events import EventLog
from cc_orchestrator.core.git import reports
from cc_orchestrator.core.git.reports import Standings
from cc_orchestrator.core.git.repository import ahead_behind, uncommitted_files
from cc_orchestrator.core.git.worktrees import WorktreeService
from cc_orchestrator.core.store.database import Store
from tests.helpers import git


@pytest.fixture
def service(tmp_path):
    store = Store(tmp_path / "data" / "db.sqlite")
    yield WorktreeService(store, EventLog(store), tmp_path / "trees")
    store.close()


@pytest.fixture
def counted(monkeypatch):
    calls: list[str] = []
    run = reports.git

    def git_counted(cwd, *args):
        calls.append(args[0])
        return run(cwd, *args)

    monkeypatch.setattr(reports, "git", git_counted)
    return calls


def test_a_standing_matches_the_full_report_at_one_or_two_processes(service, git_repo, counted):
    worktree = service.create(git_repo, "feature/one")
    path = Path(worktree.path)
    standings = Standings()
    assert standings.of(worktree) == reports.Standing((), 0, 0)
    assert counted == ["status", "for-each-ref"]  # same tip as the base: nothing to count

    (git_repo / "base.txt").write_text("the base moves on\n")
    git(git_repo, "add", "base.txt")
    git(git_repo, "commit", "-q", "-m", "base moves")
    (path / "README.md").write_text("changed\n")
    git(path, "commit", "-q", "-am", "work")
    (path / "new dir").mkdir()
    (path / "new dir" / "a file.txt").write_text("untracked\n")
    (path / "README.md").write_text("changed again\n")
    git(path, "mv", "README.md", "READ ME.md")

    counted.clear()
    standing = standings.of(worktree, fresh=True)
    expected_files = uncommitted_files(path)
    assert sorted(standing.uncommitted_files) == sorted(expected_files)
    assert (standing.ahead, standing.behind) == ahead_behind(git_repo, "feature/one", "main") == (1, 1)
    assert counted == ["status", "for-each-ref", "rev-list"]

    counted.clear()
    assert standings.of(worktree) == standing  # tips still fresh, the pair counted already
    assert counted == ["status"]


def test_bases_are_found_as_git_would(service, git_repo):
    worktree = service.create(git_repo, "feature/two")
    head = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "update-ref", "refs/remotes/origin/main", head)
    git(git_repo, "tag", "v1", head)
    standings = Standings()
    for base in ("main", "origin/main", "origin", head, "v1", "HEAD"):
        if base == "origin":
            git(git_repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
        moved = replace(worktree, base_branch=base)
        assert standings.of(moved, fresh=True) == reports.Standing((), 0, 0), base
    gone = replace(worktree, base_branch="no-such-branch")
    assert standings.of(gone) == reports.Standing((), 0, 0)


def test_a_missing_folder_or_repository_has_no_standing(service, git_repo, tmp_path):
    worktree = service.create(git_repo, "feature/three")
    moved = replace(worktree, path=str(tmp_path / "nowhere"))
    assert Standings().of(moved) is None
    plain = tmp_path / "plain"
    plain.mkdir()
    assert Standings().of(replace(worktree, path=str(plain))) is None
