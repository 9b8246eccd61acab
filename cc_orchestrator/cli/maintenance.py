"""`maintenance`: keeping the data dir from growing without bound."""

from __future__ import annotations

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.output import emit_json


@click.group(name="maintenance")
def command() -> None:
    """Prune old events and the logs of instances gone (the TUI, serve and monitor do it hourly)."""


@command.command("prune")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@click.option("--vacuum", is_flag=True, help="Then rewrite the whole database file (other processes wait).")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def prune_(ctx: CliContext, dry_run: bool, vacuum: bool, as_json: bool) -> None:
    """Delete events older than events_keep_days (the latest of each instance and task stays),
    and the pane logs and hook spools of instances gone or stopped that long ago."""
    from cc_orchestrator.core.retention import describe, prune

    if dry_run and vacuum:
        raise click.UsageError("--dry-run and --vacuum cannot go together")
    report = prune(ctx.orchestrator, dry_run=dry_run, vacuum=vacuum)
    if as_json:
        emit_json(report)
        return
    if report.keep_days == 0:
        click.echo("events_keep_days is 0: events and logs are kept forever")
    else:
        click.echo(describe(report))
    for path in report.files_removed:
        click.echo(f"  {path}")
    if report.events_held:
        click.echo(
            f"kept {report.events_held} old events the integrations have not passed yet (they move on "
            "while a face runs or a task changes status); a later prune removes them"
        )
    if report.pages_reclaimed:
        click.echo(f"returned {report.pages_reclaimed} free pages to the file system")
    for note in report.notes:
        click.echo(note)
