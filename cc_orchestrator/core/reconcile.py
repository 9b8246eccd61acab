"""Reconciliation: the database is the intent, tmux and git are the truth.

Run at start-up of the TUI and the server, and on demand (`cc-orchestrator reconcile`).
It repairs what it can prove and reports the rest; it deletes nothing the user made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cc_orchestrator.core.models import Event, EventKind, TmuxSession, Worktree


@dataclass(frozen=True)
class ReconcileReport:
    status_changes: list[Event] = field(default_factory=list)
    adopted_worktrees: list[Worktree] = field(default_factory=list)
    pruned_worktrees: list[Worktree] = field(default_factory=list)
    orphan_sessions: list[TmuxSession] = field(default_factory=list)


def reconcile(orchestrator) -> ReconcileReport:
    """Instances follow their sessions; unknown worktrees under our root are adopted, rows of
    worktrees deleted by hand are pruned; orphaned sessions are listed, never killed here."""
    before = orchestrator.events.latest_id()
    orchestrator.instances.refresh()
    changes = orchestrator.events.since(before, kinds=(EventKind.INSTANCE_STATUS,))
    adopted: list[Worktree] = []
    for repo in orchestrator.known_repos():
        adopted.extend(orchestrator.worktrees.adopt_unknown(repo))
    pruned = orchestrator.worktrees.prune()
    return ReconcileReport(changes, adopted, pruned, orchestrator.orphans())
