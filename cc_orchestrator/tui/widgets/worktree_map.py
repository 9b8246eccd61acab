"""The worktree map: the tree, and where each worktree stands (git's changed files and
ahead/behind), asked for as they fall due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Tree

from cc_orchestrator.core.models import Worktree, WorktreeStatus
from cc_orchestrator.tui.reads import Reads
from cc_orchestrator.tui.report_schedule import ReportSchedule
from cc_orchestrator.tui.view import View
from cc_orchestrator.tui.widgets.pane import Pane
from cc_orchestrator.tui.widgets.worktree_tree import WorktreeTree

if TYPE_CHECKING:
    from cc_orchestrator.core.git.reports import Standing


class WorktreeMap(Pane):
    TITLE = "Worktrees"
    BINDINGS = [
        Binding("d", "owner", "Owner", id="worktrees.details"),
        Binding("i", "inspect", "Inspect", id="worktrees.inspect"),
        Binding("delete,D", "remove", "Remove", id="worktrees.remove"),
    ]

    class OwnerRequested(Message):
        """d: the detail view of the instance working in this worktree."""

        def __init__(self, instance_id: str) -> None:
            super().__init__()
            self.instance_id = instance_id

    class RemoveRequested(Message):
        """Delete: remove the worktree (after a confirmation saying what would be lost)."""

        def __init__(self, worktree: Worktree) -> None:
            super().__init__()
            self.worktree = worktree

    def __init__(self, reads: Reads, gap: float = 1.0) -> None:
        super().__init__(id="worktrees")
        self.reads = reads
        self.tree_view = WorktreeTree()
        self.schedule = ReportSchedule(gap=gap)
        self.reports: dict[str, Standing] = {}
        self._view = View()
        self._busy = False
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield self.tree_view

    @property
    def main(self) -> WorktreeTree:
        return self.tree_view

    @property
    def selected(self) -> Worktree | None:
        return self._view.worktree(self.tree_view.selected_id)

    def show(self, view: View) -> None:
        self._view = view
        ids = {w.id for w in view.worktrees}
        self.reports = {k: v for k, v in self.reports.items() if k in ids}
        self._show()
        self.inspect_due()

    def _show(self) -> None:
        worktrees = self._view.worktrees
        self.tree_view.show(worktrees, self.reports, self._view.overlaps_by_worktree())
        stale = sum(1 for w in worktrees if w.status is WorktreeStatus.STALE or not w.exists)
        self.set_count(len(worktrees), note=f"{stale} stale" if stale else "")

    @on(Tree.NodeHighlighted, "#worktree-tree")
    def _highlighted(self) -> None:
        self.inspect_due()

    def inspect_due(self) -> None:
        """Ask git about the worktree that is due, one at a time, once the view is live."""
        if self._busy or not self._view.live:
            return
        due = self.schedule.due(self._view, self.tree_view.selected_id)
        if due is not None:
            self._busy = True
            self._inspect(due)
        elif (wait := self.schedule.waiting(self._view)) is not None and self._timer is None:
            self._timer = self.set_timer(wait, self._wake)

    def _wake(self) -> None:
        self._timer = None
        self.inspect_due()

    def _inspect(self, worktree_id: str) -> None:
        worktree = self._view.worktree(worktree_id)
        if worktree is None:
            self._inspected(worktree_id, None)
        else:
            self._stand(worktree, fresh=worktree_id in self.schedule.asked)

    @work(thread=True, group="reports", exit_on_error=False)
    def _stand(self, worktree: Worktree, fresh: bool) -> None:
        try:
            report = self.reads.standing(worktree, fresh)
        except Exception:
            report = None  # git failed; the label keeps what the store knows
        self.call_later(self._inspected, worktree.id, report)

    def _inspected(self, worktree_id: str, report: Standing | None) -> None:
        self._busy = False
        self.schedule.done(self._view, worktree_id)
        if report is not None:
            self.reports[worktree_id] = report
            self._show()
        self.inspect_due()

    def action_owner(self) -> None:
        worktree = self.selected
        if worktree is None or not worktree.instance_id:
            self.app.bell()
            return
        self.post_message(self.OwnerRequested(worktree.instance_id))

    def action_inspect(self) -> None:
        """i: ask git about the selected worktree now (all of them on the repository's node)."""
        worktree = self.selected
        ids = [worktree.id] if worktree else [w.id for w in self._view.worktrees]
        self.schedule.ask(ids)
        self.notify(f"asking git about {len(ids)} worktree{'s' if len(ids) != 1 else ''}", timeout=2)
        self.inspect_due()

    def action_remove(self) -> None:
        worktree = self.selected
        if worktree is None:
            self.app.bell()
            return
        self.post_message(self.RemoveRequested(worktree))
