"""The dashboard's removal dialog lists what the core says would be lost, before anything goes."""

from __future__ import annotations

from pathlib import Path

from cc_orchestrator.tui.dialogs.modals import ConfirmScreen
from tests.helpers import git
from tests.tui.conftest import SIZE, wait_for


async def test_the_confirmation_lists_ignored_files_and_commits_no_ref_holds(live_app, orch, git_repo):
    worktree = orch.worktrees.create(git_repo, "feature/keys")
    path = Path(worktree.path)
    (path / ".gitignore").write_text(".env\nnode_modules/\n")
    git(path, "add", ".gitignore")
    git(path, "commit", "-q", "-m", "ignore secrets")
    git(path, "checkout", "-q", "--detach")
    git(path, "commit", "-q", "--allow-empty", "-m", "detached experiment")
    (path / ".env").write_text("TOKEN=1\n")
    (path / "node_modules").mkdir()
    (path / "node_modules" / "x.js").write_text("x\n")
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.worktrees.tree_view.selected_id == worktree.id)
        await pilot.press("tab", "tab")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        body = str(app.screen.query_one(".dialog-body").render())
        assert "Lost: 1 ignored file(s) that are not caches or build outputs:\n  .env" in body
        assert "Lost: 2 commit(s) on no other branch, tag or remote (HEAD is detached):" in body
        assert "detached experiment" in body and "ignore secrets" in body
        assert "node_modules" not in body
        assert "lose work" in app.screen.title_text

        await pilot.press("n")  # the safe answer removes nothing
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert (path / ".env").exists() and orch.worktrees.list(inspect=False)

        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not orch.worktrees.list(inspect=False), timeout=20)
        assert not path.exists()
