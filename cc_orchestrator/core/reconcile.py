"""Reconciliation: the database is the intent, tmux and git are the truth.

Run at start-up of the TUI and the server, and on demand (`cc-orchestrator reconcile`).
It repairs what it can prove and reports the rest; it deletes nothing the user made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cc_orchestrator.core.models import Event, EventKind, InstanceStatus, TmuxSession, Worktree, WorktreeStatus

if TYPE_CHECKING:
    from cc_orchestrator.core.tmux.service import PaneState


@dataclass(frozen=True)
class ReconcileReport:
    status_changes: list[Event] = field(default_factory=list)
    adopted_worktrees: list[Worktree] = field(default_factory=list)
    pruned_worktrees: list[Worktree] = field(default_factory=list)
    orphan_sessions: list[TmuxSession] = field(default_factory=list)
    linked_instances: list[str] = field(default_factory=list)  # ids that got their worktree, repo and branch


def reconcile(orchestrator) -> ReconcileReport:
    """Instances follow their sessions; unknown worktrees under our root, or where our
    sessions work, are adopted (whatever their repository: the database may have been lost),
    and instances without a worktree get theirs; rows of worktrees deleted by hand are pruned;
    orphaned sessions are listed, never killed here."""
    before = orchestrator.events.latest_id()
    panes = orchestrator.instances.refresh()
    changes = orchestrator.events.since(before, kinds=(EventKind.INSTANCE_STATUS,))
    orphans = orchestrator.orphans()
    adopted, linked = find_worktrees(orchestrator, [s.name for s in orphans], panes)
    pruned = orchestrator.worktrees.prune()
    return ReconcileReport(changes, adopted, pruned, orphans, linked)


def find_worktrees(
    orchestrator, sessions: Iterable[str] = (), panes: dict[str, PaneState] | None = None
) -> tuple[list[Worktree], list[str]]:
    """Rows for the worktrees nobody recorded, then each instance without a worktree linked to
    the one it works in: (adopted worktrees, linked instance ids).

    A worktree is found under the worktree root, where one of `sessions` works (its pane's
    folder, from `panes` when a recent refresh listed them), or where an instance row says it
    works; its `.git` file names the repository.
    """
    from cc_orchestrator.core.store.tables import InstanceRow

    unlinked = orchestrator.store.read(
        lambda: [
            r.worktree_path
            for r in InstanceRow.select().where(InstanceRow.worktree_id.is_null(), InstanceRow.host == "local")
        ]
    )
    folders = [Path(p) for p in [*session_folders(orchestrator, sessions, panes), *unlinked] if p]
    adopted = orchestrator.worktrees.adopt_found(folders)
    return adopted, link_instances(orchestrator) if any(unlinked) else []


def session_folders(orchestrator, sessions: Iterable[str], panes: dict[str, PaneState] | None = None) -> list[str]:
    """The folders the agent panes of these sessions of ours work in: from `panes` when they
    hold every one of them, else from one tmux call."""
    wanted = set(sessions)
    if not wanted:
        return []
    if panes is None or not wanted <= panes.keys():
        panes = orchestrator.tmux.panes()
    return [pane.folder for name, pane in panes.items() if name in wanted and pane.folder]


def link_instances(orchestrator) -> list[str]:
    """Give each instance row without a worktree the recorded worktree holding its folder
    (its worktree id and path, repo and branch); a live one becomes that worktree's owner."""
    from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow

    ended = (InstanceStatus.STOPPED.value, InstanceStatus.ERROR.value)

    def link() -> list[str]:
        worktrees = sorted(WorktreeRow.select(), key=lambda w: len(w.path), reverse=True)  # innermost first
        linked = []
        here = InstanceRow.host == "local"  # another host's folders are not ours to look at
        for row in InstanceRow.select().where(InstanceRow.worktree_id.is_null(), here):
            folder = Path(row.worktree_path or "/nonexistent")
            owner = next((w for w in worktrees if folder.is_relative_to(w.path)), None)
            if not row.worktree_path or owner is None:
                continue
            values = {"worktree_id": owner.id, "worktree_path": owner.path, "repo": owner.repo, "branch": owner.branch}
            InstanceRow.update(values).where(InstanceRow.id == row.id).execute()
            if row.status not in ended and owner.instance_id is None:
                owned = {"instance_id": row.id, "status": WorktreeStatus.ACTIVE.value}
                WorktreeRow.update(owned).where(WorktreeRow.id == owner.id).execute()
            orchestrator.events.add(
                EventKind.WORKTREE_UPDATE,
                f"instance {row.id} works in worktree {owner.id} ({owner.branch})",
                instance_id=row.id,
                worktree_id=owner.id,
            )
            linked.append(row.id)
        return linked

    return orchestrator.store.write(link)
