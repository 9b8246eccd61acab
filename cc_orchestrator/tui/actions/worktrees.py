"""Removing a worktree: git is asked what would be lost, the user confirms, then it goes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen

    from cc_orchestrator.core.models import Worktree, WorktreeReport
    from cc_orchestrator.tui.services import Services


class WorktreeActions:
    def __init__(self, owner: Screen, services: Services) -> None:
        self.owner = owner
        self.services = services

    def remove(self, worktree: Worktree) -> None:
        worktrees = self.services.orch.worktrees
        self.services.call(self.owner, "remove worktree", lambda: worktrees.inspect(worktree.id), self.confirm_removal)

    def confirm_removal(self, report: WorktreeReport) -> None:
        from cc_orchestrator.tui.dialogs.modals import ConfirmScreen

        wt, files, commits = report.worktree, report.uncommitted_files, report.unpushed_commits
        lines = [f"{wt.branch} at {wt.path}"]
        if wt.instance_id:
            lines.append(f"Instance {wt.instance_id} works here; stop it first or removal is refused.")
        if files:
            lines.append(f"\nLost: {len(files)} uncommitted file(s):")
            lines += _first_eight(files)
        if commits:
            lines.append(f"\nLost: {len(commits)} commit(s) on neither {wt.base_branch} nor a remote:")
            lines += _first_eight(commits)
        if not files and not commits:
            lines.append("\nNothing would be lost: no uncommitted files, every commit is on the base or a remote.")
        force = bool(files or commits)

        def answered(yes: bool | None) -> None:
            if yes:
                self.services.call(
                    self.owner,
                    "remove worktree",
                    lambda: self.services.orch.worktrees.remove(wt.id, force=force),
                    lambda _: f"worktree {wt.id} removed",
                )

        title = f"Remove worktree {wt.id}" + (" and lose work?" if force else "?")
        self.owner.app.push_screen(ConfirmScreen(title, "\n".join(lines), yes="Remove", danger=force), answered)


def _first_eight(items: list[str]) -> list[str]:
    return [f"  {item}" for item in items[:8]] + ([f"  ... and {len(items) - 8} more"] if len(items) > 8 else [])
