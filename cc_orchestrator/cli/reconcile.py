"""`reconcile`: repair the database from tmux and git, and report what changed."""

from __future__ import annotations

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.output import emit_json


@click.command(name="reconcile")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def command(ctx: CliContext, as_json) -> None:
    """Repair the database from tmux and git now (nothing the user made is deleted)."""
    from cc_orchestrator.core.reconcile import reconcile

    report = reconcile(ctx.orchestrator)
    if as_json:
        emit_json(report)
        return
    for event in report.status_changes:
        click.echo(event.message)
    for w in report.adopted_worktrees:
        click.echo(f"adopted worktree {w.id} ({w.branch}) at {w.path}")
    for instance_id in report.linked_instances:
        click.echo(f"instance {instance_id} has its worktree, repo and branch again")
    for w in report.pruned_worktrees:
        click.echo(f"pruned worktree {w.id} ({w.branch}): folder was gone")
    for s in report.orphan_sessions:
        click.echo(f"orphaned session {s.name}: adopt or kill with `cc-orchestrator tmux orphans`")
    found = (report.adopted_worktrees, report.linked_instances, report.pruned_worktrees, report.orphan_sessions)
    if not any((report.status_changes, *found)):
        click.echo("everything is in order")
