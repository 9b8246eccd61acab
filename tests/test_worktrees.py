"""WorktreeService against real git repositories and a real SQLite file."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.git.repository import current_branch, find_repo
from cc_orchestrator.core.git.worktrees import WorktreeService
from cc_orchestrator.core.models import EventKind, WorktreeStatus
from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow
from cc_orchestrator.errors import (
    Conflict,
    InvalidInput,
    MissingDependency,
    NotARepository,
    NotFound,
)
from tests.helpers import git


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "worktrees"


@pytest.fixture
def service(store, root) -> WorktreeService:
    return WorktreeService(store, EventLog(store), root)


def commit(folder: Path, name: str, text: str = "x\n", message: str | None = None) -> str:
    (folder / name).write_text(text)
    git(folder, "add", name)
    git(folder, "commit", "-q", "-m", message or f"add {name}")
    return git(folder, "rev-parse", "HEAD")


def branches(repo: Path) -> set[str]:
    return set(git(repo, "branch", "--format=%(refname:short)").split())


def git_worktree_paths(repo: Path) -> list[str]:
    lines = git(repo, "worktree", "list", "--porcelain").splitlines()
    return [line.split(" ", 1)[1] for line in lines if line.startswith("worktree ")]


def rows(store) -> list[WorktreeRow]:
    return store.read(lambda: list(WorktreeRow.select()))


def worktree_events(store) -> list:
    return [e for e in EventLog(store).tail() if e.kind is EventKind.WORKTREE_UPDATE]


# --- finding repositories -----------------------------------------------------------------


def test_find_repo_from_subfolder_and_linked_worktree(git_repo, service):
    (git_repo / "src" / "deep").mkdir(parents=True)
    assert find_repo(git_repo / "src" / "deep") == git_repo.resolve()
    assert find_repo(git_repo / "README.md") == git_repo.resolve()
    worktree = service.create(git_repo, "feat")
    assert find_repo(worktree.path) == git_repo.resolve()
    assert current_branch(Path(worktree.path)) == "feat"


def test_find_repo_outside_any_repository(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NotARepository, match="is not inside a git repository"):
        find_repo(plain)


def test_find_repo_in_bare_repository(tmp_path):
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    with pytest.raises(NotARepository, match="bare"):
        find_repo(bare)


def test_missing_git_is_reported(git_repo, monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(MissingDependency, match="git is not installed"):
        find_repo(git_repo)


def test_current_branch_of_detached_head_is_the_sha(git_repo):
    sha = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "checkout", "-q", "--detach")
    assert current_branch(git_repo) == sha


# --- create ---------------------------------------------------------------------------------


def test_create_from_current_branch(git_repo, service, store, root):
    worktree = service.create(git_repo, "feat/x")

    repo = git_repo.resolve()
    digest = hashlib.sha1(str(repo).encode()).hexdigest()[:8]
    assert Path(worktree.path) == root.resolve() / f"repo-{digest}" / "feat--x"
    assert not Path(worktree.path).is_relative_to(repo)
    assert (Path(worktree.path) / "README.md").read_text() == "hello\n"
    assert "feat/x" in branches(git_repo)
    assert worktree.branch == "feat/x" and worktree.base_branch == "main"
    assert worktree.repo == str(repo) and worktree.status is WorktreeStatus.IDLE
    assert worktree.last_commit.endswith(" initial") and len(worktree.id) == 6
    [row] = rows(store)
    assert row.id == worktree.id and row.created_branch
    [event] = worktree_events(store)
    assert event.worktree_id == worktree.id and "created" in event.message


def test_create_from_base_with_instance(git_repo, service):
    git(git_repo, "checkout", "-q", "-b", "dev")
    dev_sha = commit(git_repo, "dev.txt")
    git(git_repo, "checkout", "-q", "main")

    worktree = service.create(git_repo, "feat", base="dev", instance_id="inst01")

    assert git(Path(worktree.path), "rev-parse", "HEAD") == dev_sha
    assert worktree.base_branch == "dev"
    assert worktree.status is WorktreeStatus.ACTIVE and worktree.instance_id == "inst01"


@pytest.mark.parametrize("name", ["../x", "/abs", "-x", "a b", "a..b", "", "x~1", "@{-1}"])
def test_invalid_branch_names_create_nothing(git_repo, service, store, root, name):
    with pytest.raises(InvalidInput, match="invalid branch name") as caught:
        service.create(git_repo, name)
    assert "\n" not in str(caught.value)
    assert branches(git_repo) == {"main"}
    assert not root.exists() or not any(root.rglob("*"))
    assert rows(store) == []


def test_existing_branch_is_a_conflict(git_repo, service, store):
    git(git_repo, "branch", "taken")
    with pytest.raises(Conflict, match="branch 'taken' already exists"):
        service.create(git_repo, "taken")
    assert rows(store) == []


def test_unknown_base_is_invalid(git_repo, service, store):
    with pytest.raises(InvalidInput, match="unknown base branch 'nope'"):
        service.create(git_repo, "feat", base="nope")
    assert branches(git_repo) == {"main"} and rows(store) == []


def test_worktree_root_inside_the_repository_is_refused(git_repo, store):
    inside = WorktreeService(store, EventLog(store), git_repo / "worktrees")
    with pytest.raises(InvalidInput, match="inside the repository"):
        inside.create(git_repo, "feat")
    assert branches(git_repo) == {"main"}


def test_failed_database_write_leaves_no_worktree_behind(git_repo, service, store, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_insert", broken)
    with pytest.raises(RuntimeError):
        service.create(git_repo, "feat")
    assert branches(git_repo) == {"main"}
    assert git_worktree_paths(git_repo) == [str(git_repo.resolve())]
    assert rows(store) == []


# --- get and list ---------------------------------------------------------------------------


def test_get_by_id_prefix_and_path(git_repo, service, store, monkeypatch):
    worktree = service.create(git_repo, "feat")
    assert service.get(worktree.id).id == worktree.id
    assert service.get(worktree.id[:3]).id == worktree.id
    assert service.get(worktree.path).id == worktree.id
    monkeypatch.chdir(Path(worktree.path).parent)
    assert service.get("feat").id == worktree.id
    monkeypatch.chdir(worktree.path)
    assert service.get(".").id == worktree.id
    with pytest.raises(NotFound, match="no worktree 'zzz'"):
        service.get("zzz")


def test_ambiguous_prefix_lists_candidates(git_repo, service, store):
    first, second = service.create(git_repo, "one"), service.create(git_repo, "two")
    for worktree, new_id in ((first, "ab1111"), (second, "ab2222")):
        store.write(lambda w=worktree, n=new_id: WorktreeRow.update(id=n).where(WorktreeRow.id == w.id).execute())
    with pytest.raises(InvalidInput, match="ab1111, ab2222"):
        service.get("ab")
    assert service.get("ab2").branch == "two"


def test_list_detects_uncommitted_changes(git_repo, service):
    service.create(git_repo, "clean")
    edited = service.create(git_repo, "edited")
    untracked = service.create(git_repo, "untracked")
    ignored = service.create(git_repo, "ignored")
    (Path(edited.path) / "README.md").write_text("changed\n")
    (Path(untracked.path) / "new.txt").write_text("new\n")
    commit(Path(ignored.path), ".gitignore", "*.log\n", message="ignore logs")
    (Path(ignored.path) / "run.log").write_text("noise\n")

    listed = service.list(git_repo)

    assert [w.branch for w in listed] == ["clean", "edited", "untracked", "ignored"]
    assert {w.branch: w.dirty for w in listed} == {
        "clean": False,
        "edited": True,
        "untracked": True,
        "ignored": False,
    }
    assert listed[3].last_commit.endswith(" ignore logs")
    assert all(w.exists and w.status is WorktreeStatus.IDLE for w in listed)
    assert service.list(inspect=False)[3].last_commit.endswith(" ignore logs")  # stored
    assert all(w.dirty is None for w in service.list(inspect=False))
    assert service.list(git_repo.parent / "elsewhere") == []
    service.remove(ignored.id, keep_branch=True)  # ignored files are not work to lose
    assert not Path(ignored.path).exists()


def test_list_marks_missing_and_old_worktrees_stale(git_repo, service, monkeypatch):
    gone = service.create(git_repo, "gone")
    old = service.create(git_repo, "old")
    busy = service.create(git_repo, "busy", instance_id="inst01")
    shutil.rmtree(gone.path)
    long_ago = time.time() - 30 * 86400
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{int(long_ago)} +0000")
    for worktree in (old, busy):
        commit(Path(worktree.path), "old.txt")
        os.utime(worktree.path, (long_ago, long_ago))

    listed = {w.branch: w for w in service.list()}

    assert listed["gone"].status is WorktreeStatus.STALE and not listed["gone"].exists
    assert listed["old"].status is WorktreeStatus.STALE and listed["old"].exists
    assert listed["busy"].status is WorktreeStatus.ACTIVE  # an instance works in it
    assert service.list(inspect=False)[0].status is WorktreeStatus.STALE


# --- inspect and remove ---------------------------------------------------------------------


def test_inspect_reports_what_would_be_lost(git_repo, service):
    worktree = service.create(git_repo, "feat")
    commit(Path(worktree.path), "a.txt", message="first")
    commit(Path(worktree.path), "b.txt", message="second")
    commit(git_repo, "main.txt")
    (Path(worktree.path) / "README.md").write_text("changed\n")
    (Path(worktree.path) / "dir").mkdir()
    (Path(worktree.path) / "dir" / "new.txt").write_text("new\n")

    report = service.inspect(worktree.id)

    assert sorted(report.uncommitted_files) == ["README.md", "dir/new.txt"]
    assert [c.split(" ", 1)[1] for c in report.unpushed_commits] == ["second", "first"]
    assert (report.ahead, report.behind) == (2, 1)
    assert report.worktree.dirty is True


def test_remove_clean_worktree_deletes_branch(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    removed = service.remove(worktree.id)
    assert removed.id == worktree.id and not Path(worktree.path).exists()
    assert branches(git_repo) == {"main"} and rows(store) == []
    assert git_worktree_paths(git_repo) == [str(git_repo.resolve())]
    assert "removed" in worktree_events(store)[-1].message


def test_remove_dirty_worktree_is_refused_and_changes_nothing(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    (Path(worktree.path) / "README.md").write_text("changed\n")
    (Path(worktree.path) / "new.txt").write_text("new\n")
    events_before = len(worktree_events(store))

    with pytest.raises(Conflict) as caught:
        service.remove(worktree.id)

    assert str(caught.value) == (
        f"worktree {worktree.id} (feat) has 2 uncommitted files (README.md, new.txt); "
        "commit them, or pass --force to delete them"
    )
    assert (Path(worktree.path) / "new.txt").read_text() == "new\n"
    assert "feat" in branches(git_repo) and len(rows(store)) == 1
    assert rows(store)[0].status == WorktreeStatus.IDLE
    assert len(worktree_events(store)) == events_before


def test_remove_with_force_deletes_changes(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    commit(Path(worktree.path), "work.txt")
    (Path(worktree.path) / "new.txt").write_text("new\n")
    service.remove(worktree.id, force=True)
    assert not Path(worktree.path).exists() and branches(git_repo) == {"main"}
    assert rows(store) == []


def test_unpushed_commits_are_refused_unless_branch_kept(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    sha = commit(Path(worktree.path), "work.txt")

    with pytest.raises(Conflict, match="has 1 commit on no other branch, tag or remote .*--keep-branch.*--force"):
        service.remove(worktree.id)
    assert Path(worktree.path).exists() and len(rows(store)) == 1

    service.remove(worktree.id, keep_branch=True)
    assert not Path(worktree.path).exists() and rows(store) == []
    assert git(git_repo, "rev-parse", "feat") == sha


def test_uncommitted_and_unpushed_together(git_repo, service):
    worktree = service.create(git_repo, "feat")
    sha = commit(Path(worktree.path), "work.txt")
    (Path(worktree.path) / "new.txt").write_text("new\n")
    with pytest.raises(Conflict) as caught:
        service.remove(worktree.id)
    assert str(caught.value) == (
        f"worktree {worktree.id} (feat) has 1 uncommitted file (new.txt) and 1 commit on no other branch, tag or "
        f"remote ({sha[:7]} add work.txt); commit or push them, pass --keep-branch to keep the branch, "
        "or pass --force to delete them"
    )


def test_pushed_commits_are_not_unpushed(git_repo, service, store, tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(git_repo, "remote", "add", "origin", str(remote))
    worktree = service.create(git_repo, "feat")
    commit(Path(worktree.path), "work.txt")
    git(Path(worktree.path), "push", "-q", "origin", "feat")

    assert service.inspect(worktree.id).unpushed_commits == []
    service.remove(worktree.id)
    assert branches(git_repo) == {"main"} and rows(store) == []


def test_live_instance_blocks_removal(git_repo, service, store):
    worktree = service.create(git_repo, "feat")

    def add_instance(status: str) -> None:
        InstanceRow.insert(
            id="inst01",
            worktree_id=worktree.id,
            worktree_path=worktree.path,
            tmux_session="cco-inst01",
            status=status,
            created_at=utcnow(),
            last_activity=utcnow(),
        ).on_conflict_replace().execute()

    store.write(lambda: add_instance("RUNNING"))
    with pytest.raises(Conflict, match=f"{worktree.id} is used by running instance inst01"):
        service.remove(worktree.id, force=True)
    assert Path(worktree.path).exists() and len(rows(store)) == 1

    store.write(lambda: add_instance("STOPPED"))
    service.remove(worktree.id)
    assert rows(store) == []


def test_remove_folder_deleted_by_hand(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    shutil.rmtree(worktree.path)
    service.remove(worktree.id)
    assert rows(store) == [] and branches(git_repo) == {"main"}
    assert git_worktree_paths(git_repo) == [str(git_repo.resolve())]


def test_remove_keeps_branches_it_did_not_create(git_repo, service, store, root):
    path = root / "by-hand"
    git(git_repo, "worktree", "add", "-q", "-b", "mine", str(path))
    [adopted] = service.adopt_unknown(git_repo)
    service.remove(adopted.id)
    assert "mine" in branches(git_repo) and rows(store) == []


# --- prune, adopt, owner --------------------------------------------------------------------


def test_prune_forgets_deleted_folders_only(git_repo, service, store):
    gone = service.create(git_repo, "gone")
    kept = service.create(git_repo, "kept")
    shutil.rmtree(gone.path)

    pruned = service.prune()

    assert [w.id for w in pruned] == [gone.id] and pruned[0].status is WorktreeStatus.STALE
    assert [r.id for r in rows(store)] == [kept.id] and Path(kept.path).exists()
    assert branches(git_repo) == {"main", "gone", "kept"}
    assert str(Path(gone.path)) not in git_worktree_paths(git_repo)
    assert "pruned" in worktree_events(store)[-1].message
    assert service.prune() == []


def test_adopt_unknown_worktrees_under_the_root(git_repo, service, store, root, tmp_path):
    known = service.create(git_repo, "known")
    stray = root / "stray"
    git(git_repo, "worktree", "add", "-q", "-b", "stray", str(stray))
    git(git_repo, "worktree", "add", "-q", "-b", "outside", str(tmp_path / "outside"))

    adopted = service.adopt_unknown(git_repo)

    assert [(w.branch, w.path) for w in adopted] == [("stray", str(stray.resolve()))]
    assert adopted[0].status is WorktreeStatus.IDLE and adopted[0].base_branch == "main"
    assert {r.id: r.created_branch for r in rows(store)} == {known.id: True, adopted[0].id: False}
    assert service.adopt_unknown(git_repo) == []


# --- nothing the user made is deleted without --force (issue 12, item 2) ---------------------


def ignore(worktree: Path, *patterns: str) -> None:
    """Ignore `patterns` through the worktree's own .gitignore, committed so it is not a change."""
    (worktree / ".gitignore").write_text("".join(f"{p}\n" for p in patterns))
    git(worktree, "add", ".gitignore")
    git(worktree, "commit", "-q", "-m", "ignore")
    git(worktree, "push", "-q", ".", "HEAD:refs/heads/kept")  # the commit itself is safe on a branch


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if ".git" not in p.parts}


def test_detached_commits_no_ref_holds_are_refused_then_forced(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    path = Path(worktree.path)
    git(path, "checkout", "-q", "--detach")
    sha = commit(path, "wip.txt", message="detached wip")
    before = files_under(path)

    with pytest.raises(Conflict) as caught:
        service.remove(worktree.id)

    assert str(caught.value) == (
        f"worktree {worktree.id} (feat) has 1 commit on no other branch, tag or remote ({sha[:7]} detached wip); "
        "put it on a branch, or pass --force to delete it"
    )
    assert files_under(path) == before and len(rows(store)) == 1  # a refusal removes nothing
    assert "feat" in branches(git_repo)
    losses = service.losses(worktree.id)
    assert losses.detached and losses.commits == [f"{sha[:7]} detached wip"] and not losses.files

    service.remove(worktree.id, force=True)
    assert not path.exists() and rows(store) == [] and branches(git_repo) == {"main"}


def test_a_detached_commit_on_a_tag_is_not_lost(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    git(Path(worktree.path), "checkout", "-q", "--detach")
    commit(Path(worktree.path), "wip.txt")
    git(Path(worktree.path), "tag", "keep-me")
    service.remove(worktree.id)
    assert rows(store) == [] and git(git_repo, "tag", "--list") == "keep-me"


def test_ignored_dotenv_and_certificate_are_refused_and_listed(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    path = Path(worktree.path)
    ignore(path, ".env", "*.pem")
    (path / ".env").write_text("TOKEN=1\n")
    (path / "server.pem").write_text("-----BEGIN-----\n")

    with pytest.raises(Conflict) as caught:
        service.remove(worktree.id, keep_branch=True)

    assert str(caught.value) == (
        f"worktree {worktree.id} (feat) has 2 ignored files (.env, server.pem); "
        "copy them elsewhere, or pass --force to delete them"
    )
    assert (path / ".env").read_text() == "TOKEN=1\n" and (path / "server.pem").exists() and len(rows(store)) == 1
    service.remove(worktree.id, keep_branch=True, force=True)
    assert not path.exists() and rows(store) == []


def test_caches_and_build_outputs_alone_do_not_block(git_repo, service, store):
    worktree = service.create(git_repo, "feat")
    path = Path(worktree.path)
    ignore(path, "node_modules/", "dist/", "*.log")
    for name in ("node_modules/left-pad/index.js", "node_modules/.bin/x", "dist/app.js", "debug.log"):
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text("made by a tool\n")
    # not even ignored: git's own `worktree remove` would refuse these untracked files
    (path / "src" / "__pycache__").mkdir(parents=True)
    (path / "src" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")

    assert not service.losses(worktree.id, keep_branch=True)
    service.remove(worktree.id, keep_branch=True)
    assert not path.exists() and rows(store) == []


def test_an_unknown_ignored_folder_counts_as_work(git_repo, service):
    worktree = service.create(git_repo, "feat")
    path = Path(worktree.path)
    ignore(path, "notes/", "node_modules/")
    (path / "notes").mkdir()
    (path / "notes" / "plan.md").write_text("written by hand\n")
    (path / "node_modules").mkdir()
    (path / "node_modules" / "x.js").write_text("x\n")
    losses = service.losses(worktree.id, keep_branch=True)
    assert (losses.files, losses.ignored, losses.commits) == ([], ["notes/"], [])


def test_a_new_folder_is_listed_file_by_file_without_its_caches(git_repo, service):
    worktree = service.create(git_repo, "feat")
    package = Path(worktree.path) / "pkg"
    for name in ("mod.py", "sub/util.py", "node_modules/dep/index.js", "__pycache__/mod.pyc"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("x\n")
    losses = service.losses(worktree.id)
    assert (sorted(losses.files), losses.ignored) == (["pkg/mod.py", "pkg/sub/util.py"], [])


def test_a_protect_glob_blocks_what_would_look_disposable(git_repo, store, root):
    worktree_path = WorktreeService(store, EventLog(store), root).create(git_repo, "feat").path
    path = Path(worktree_path)
    ignore(path, "*.log", "build/")
    (path / "audit.log").write_text("keep\n")
    (path / "build").mkdir()
    (path / "build" / "out.bin").write_text("x\n")
    plain = WorktreeService(store, EventLog(store), root)
    assert not plain.losses(worktree_path, keep_branch=True)

    guarded = WorktreeService(store, EventLog(store), root, protect=["audit.*", "build"])
    with pytest.raises(Conflict, match=r"has 2 ignored files \(audit.log, build/\)"):
        guarded.remove(worktree_path, keep_branch=True)
    assert (path / "audit.log").exists() and (path / "build" / "out.bin").exists()


def test_a_key_listed_on_its_own_inside_a_build_folder_is_work(git_repo, store, root):
    """git lists `dist/*.js` ignored file by file when only they are ignored: the key beside
    them is untracked, and a protect glob names it, though it sits in a build output."""
    worktree_path = WorktreeService(store, EventLog(store), root).create(git_repo, "feat").path
    path = Path(worktree_path)
    ignore(path, "dist/*.js", "dist/*.pem")
    (path / "dist").mkdir()
    (path / "dist" / "app.js").write_text("built\n")
    (path / "dist" / "server.pem").write_text("-----BEGIN-----\n")
    guarded = WorktreeService(store, EventLog(store), root, protect=["*.pem"])
    losses = guarded.losses(worktree_path, keep_branch=True)
    assert (losses.files, losses.ignored) == ([], ["dist/server.pem"])


def test_a_protect_glob_with_a_folder_looks_inside_that_cache_and_no_other(git_repo, store, root):
    worktree_path = WorktreeService(store, EventLog(store), root).create(git_repo, "feat").path
    path = Path(worktree_path)
    ignore(path, "dist/", "node_modules/")
    for name in ("dist/app.js", "dist/keys/server.pem", "node_modules/tls/test/fixture.pem"):
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text("x\n")
    # the defaults' `*.pem` does not look into caches: a package's test key blocks nothing
    assert not WorktreeService(store, EventLog(store), root, protect=["*.pem"]).losses(worktree_path, keep_branch=True)
    guarded = WorktreeService(store, EventLog(store), root, protect=["*.pem", "dist/*.pem"])
    with pytest.raises(Conflict, match=r"has 1 ignored file \(dist/keys/server.pem\)"):
        guarded.remove(worktree_path, keep_branch=True)
    assert (path / "dist" / "keys" / "server.pem").exists()


def test_work_made_after_the_check_is_not_forced_away(git_repo, service, store, monkeypatch):
    """A file written between the losses check and git's refusal (an agent still saving) is
    found again before we would pass --force to git."""
    worktree = service.create(git_repo, "feat")
    path = Path(worktree.path)
    (path / "__pycache__").mkdir()
    (path / "__pycache__" / "m.pyc").write_bytes(b"\0")  # untracked: git refuses without --force
    checked = service.check_removable

    def then_a_file_appears(*args, **kwargs):
        row = checked(*args, **kwargs)
        (path / "notes.md").write_text("written just now\n")
        return row

    monkeypatch.setattr(service, "check_removable", then_a_file_appears)
    with pytest.raises(Conflict, match=r"has 1 uncommitted file \(notes.md\)"):
        service.remove(worktree.id, keep_branch=True)
    assert (path / "notes.md").read_text() == "written just now\n" and len(rows(store)) == 1


def test_the_default_protect_globs_come_from_the_settings(settings):
    assert settings.protect == [".env*", "*.pem", "*.key", "*.secret", "*.local", "*.local.*"]


def test_our_own_hook_settings_do_not_block(git_repo, service, store):
    from cc_orchestrator.core.agents.claude_hooks import install

    worktree = service.create(git_repo, "feat")
    install(Path(worktree.path), Path(worktree.path).parent / "spool")
    assert (Path(worktree.path) / ".claude" / "settings.local.json").exists()
    service.remove(worktree.id)
    assert rows(store) == []


def test_a_long_list_is_cut_with_a_count(git_repo, service):
    worktree = service.create(git_repo, "feat")
    for n in range(8):
        (Path(worktree.path) / f"f{n}.txt").write_text("x\n")
    with pytest.raises(
        Conflict, match=r"has 8 uncommitted files \(f0.txt, f1.txt, f2.txt, f3.txt, f4.txt and 3 more\)"
    ):
        service.remove(worktree.id)


# --- a lost database finds its worktrees again (issue 12, item 9) -----------------------------


def test_adopt_found_rebuilds_rows_of_every_repository_under_the_root(git_repo, service, store, root, tmp_path):
    git(git_repo, "checkout", "-q", "-b", "dev")
    made = [service.create(git_repo, "feat/a", base="main"), service.create(git_repo, "b", base="dev")]
    elsewhere = tmp_path / "elsewhere"
    git(git_repo, "worktree", "add", "-q", "-b", "outside", str(elsewhere))
    store.write(lambda: WorktreeRow.delete().execute())  # what a deleted database leaves

    adopted = service.adopt_found([elsewhere / "sub"])  # the folder a session works in

    found = {w.path: (w.repo, w.branch, w.base_branch) for w in adopted}
    repo = str(git_repo.resolve())
    assert found == {
        made[0].path: (repo, "feat/a", "main"),
        made[1].path: (repo, "b", "dev"),
        str(elsewhere.resolve()): (repo, "outside", "dev"),
    }
    assert not any(r.created_branch for r in rows(store))  # never ours to delete after a loss
    assert service.adopt_found([elsewhere]) == []


def test_repos_of_reads_the_git_files_and_asks_git_only_where_they_cannot_tell(git_repo, service, monkeypatch):
    from cc_orchestrator.core.git import found

    worktree = Path(service.create(git_repo, "feat").path)
    asked = []
    monkeypatch.setattr(found.git, "find_repo", lambda path: asked.append(path) or find_repo(path))
    assert found.repos_of([worktree]) == {git_repo.resolve(): [worktree]} and asked == []
    monkeypatch.setenv("GIT_DIR", str(git_repo / ".git"))  # the files alone cannot say
    assert found.repos_of([worktree]) == {git_repo.resolve(): [worktree]} and asked == [worktree]


def test_adopt_found_skips_worktrees_whose_repository_is_gone(git_repo, service, store, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(git_repo, other)
    worktree = service.create(other, "feat")
    store.write(lambda: WorktreeRow.delete().execute())
    shutil.rmtree(other)
    assert service.adopt_found() == [] and Path(worktree.path).is_dir()


def test_cli_rm_refuses_in_one_line_with_the_list_and_force_removes(cli_env, git_repo):
    import subprocess
    import sys

    def cco(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "cc_orchestrator", *args]
        return subprocess.run(command, cwd=git_repo, env=cli_env, capture_output=True, text=True)

    created = cco("worktrees", "create", "feat")
    path = Path(created.stdout.rsplit(" at ", 1)[1].strip())
    ignore(path, ".env")
    (path / ".env").write_text("TOKEN=1\n")

    shown = cco("worktrees", "show", str(path))
    assert "  ignored: .env" in shown.stdout

    refused = cco("worktrees", "rm", str(path), "--keep-branch")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "1 ignored file (.env)" in refused.stderr
    assert (path / ".env").exists()

    removed = cco("worktrees", "rm", str(path), "--keep-branch", "--force")
    assert removed.returncode == 0 and not path.exists()
