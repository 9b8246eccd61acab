"""Removing a worktree: the core says what would be lost, the user confirms, then it goes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen

    from cc_orchestrator.core.git.losses import Losses
    from cc_orchestrator.core.models import Worktree
    from cc_orchestrator.tui.services import Services


class WorktreeActions:
    def __init__(self, owner: Screen, services: Services) -> None:
        self.owner = owner
        self.services = services

    def remove(self, worktree: Worktree) -> None:
        worktrees = self.services.orch.worktrees
        self.services.call(self.owner, "remove worktree", lambda: worktrees.losses(worktree.id), self.confirm_removal)

    def confirm_removal(self, losses: Losses) -> None:
        from cc_orchestrator.tui.dialogs.modals import ConfirmScreen

        wt, force = losses.worktree, bool(losses)

        def answered(yes: bool | None) -> None:
            if yes:
                self.services.call(
                    self.owner,
                    "remove worktree",
                    lambda: self.services.orch.worktrees.remove(wt.id, force=force),
                    lambda _: f"worktree {wt.id} removed",
                )

        title = f"Remove worktree {wt.id}" + (" and lose work?" if force else "?")
        self.owner.app.push_screen(ConfirmScreen(title, removal_text(losses), yes="Remove", danger=force), answered)


def removal_text(losses: Losses) -> str:
    """The dialog's body: where the worktree is and everything removing it would lose."""
    wt = losses.worktree
    lines = [f"{wt.branch} at {wt.path}"]
    if wt.instance_id:
        lines.append(f"Instance {wt.instance_id} works here; stop it first or removal is refused.")
    if losses.files:
        lines.append(f"\nLost: {len(losses.files)} uncommitted file(s):")
        lines += _first_eight(losses.files)
    if losses.ignored:
        lines.append(f"\nLost: {len(losses.ignored)} ignored file(s) that are not caches or build outputs:")
        lines += _first_eight(losses.ignored)
    if losses.commits:
        where = " (HEAD is detached)" if losses.detached else ""
        lines.append(f"\nLost: {len(losses.commits)} commit(s) on no other branch, tag or remote{where}:")
        lines += _first_eight(losses.commits)
    if not losses:
        lines.append("\nNothing would be lost: no uncommitted or hand-made files, every commit is on another ref.")
    return "\n".join(lines)


def _first_eight(items: list[str]) -> list[str]:
    return [f"  {item}" for item in items[:8]] + ([f"  ... and {len(items) - 8} more"] if len(items) > 8 else [])
