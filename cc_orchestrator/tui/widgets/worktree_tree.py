"""The tree of repositories and their worktrees, nodes keyed by worktree id."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from cc_orchestrator.core.models import Overlap, Worktree, WorktreeStatus

if TYPE_CHECKING:
    from cc_orchestrator.core.git.reports import Standing


def short_path(path: str) -> str:
    home = str(Path.home())
    return "~" + path[len(home) :] if path == home or path.startswith(home + "/") else path


def worktree_label(worktree: Worktree, report: Standing | None, overlaps: tuple[Overlap, ...] = ()) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(worktree.branch, "bold" if worktree.instance_id else "")
    text.append(f" <- {worktree.base_branch}", "dim")
    if report is not None:
        if report.ahead or report.behind:
            text.append(f"  +{report.ahead} -{report.behind}", "cyan")
        if report.uncommitted_files:
            text.append(f"  {len(report.uncommitted_files)} dirty", "yellow")
    elif worktree.dirty:
        text.append("  dirty", "yellow")
    if worktree.instance_id:
        text.append(f"  @{worktree.instance_id}", "green")
    for overlap in overlaps:  # conflicts first: "! CONFLICT with instance 9b0d44 in src/app.py"
        text.append(f"  ! {overlap.summary(worktree.id, most=2)}", "bold red" if overlap.conflicts else "yellow")
    if not worktree.exists:
        text.append("  MISSING", "bold red")
    elif worktree.status is WorktreeStatus.STALE:
        text.append("  STALE", "bold magenta")
    elif worktree.status is WorktreeStatus.CLEANUP_PENDING:
        text.append("  CLEANUP", "magenta")
    return text


class WorktreeTree(Tree[str]):
    ICON_NODE = "+ "
    ICON_NODE_EXPANDED = "- "
    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="worktrees.down", show=False),
        Binding("k", "cursor_up", "Up", id="worktrees.up", show=False),
    ]

    def __init__(self) -> None:
        super().__init__("repositories", id="worktree-tree")
        self.show_root = False
        self.guide_depth = 2
        self._repos: dict[str, TreeNode[str]] = {}
        self._by_id: dict[str, TreeNode[str]] = {}
        self._labels: dict[str, Text] = {}

    @property
    def selected_id(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None and node.data in self._by_id else None

    def show(
        self,
        worktrees: Iterable[Worktree],
        reports: dict[str, Standing],
        overlaps: dict[str, tuple[Overlap, ...]] | None = None,
    ) -> None:
        items, overlaps = {w.id: w for w in worktrees}, overlaps or {}
        for wid in [k for k in self._by_id if k not in items]:
            self._by_id.pop(wid).remove()
            self._labels.pop(wid, None)
        for wid, worktree in items.items():
            label = worktree_label(worktree, reports.get(wid), overlaps.get(wid, ()))
            node = self._by_id.get(wid)
            if node is None:
                self._by_id[wid] = self._repo(worktree.repo).add_leaf(label, data=wid)
            elif self._labels.get(wid) != label:
                node.set_label(label)
            self._labels[wid] = label
        if self.cursor_node is None and self._by_id:  # start on a worktree, not a repository
            self.call_after_refresh(self.move_cursor, next(iter(self._by_id.values())))
        for repo, node in list(self._repos.items()):
            if not node.children:
                node.remove()
                del self._repos[repo]
            else:
                label = Text.assemble((short_path(repo), "bold"), (f"  ({len(node.children)})", "dim"))
                if node.label != label:
                    node.set_label(label)

    def _repo(self, repo: str) -> TreeNode[str]:
        if repo not in self._repos:
            self._repos[repo] = self.root.add(short_path(repo), data=repo, expand=True)
        return self._repos[repo]
