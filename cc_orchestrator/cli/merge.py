"""`tasks merge`: a REVIEW task's branch into its base, or the whole merge queue."""

from __future__ import annotations

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.output import emit_json


@click.command("merge")
@click.argument("task_id", required=False)
@click.option("--squash", "strategy", flag_value="squash", help="One commit on the base, with the task's title.")
@click.option("--rebase", "strategy", flag_value="rebase", help="The task's commits replayed onto the base.")
@click.option("--merge-commit", "strategy", flag_value="merge", help="A merge commit (the default: review.merge).")
@click.option("--ready", is_flag=True, help="Merge every REVIEW task whose checks passed, one at a time.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def merge(ctx: CliContext, task_id, strategy, ready, as_json) -> None:
    """Merge a REVIEW task's branch into its base; the task becomes DONE.

    Refused, with nothing changed, when its checks have not passed on the branch's HEAD, when
    it would conflict, or when the base is checked out somewhere with uncommitted changes.
    With --ready, the merge queue: dependencies first, then the smallest change, each one
    checked again on the base as the previous merges left it.
    """
    if ready == bool(task_id):
        raise click.UsageError("give a TASK_ID or --ready (not both)")
    merges = ctx.orchestrator.merges
    if not ready:
        result = merges.merge(task_id, strategy)
        if as_json:
            emit_json(result)
        else:
            click.echo(result.line())
        return
    results = merges.merge_ready(strategy, refuse_if_busy=True)
    if as_json:
        emit_json(results)
    elif not results:
        click.echo("nothing to merge: no REVIEW task has passed its checks")
    for result in [] if as_json else results:
        click.echo(result.line(), err=not result.merged)
    if any(not result.merged for result in results):
        raise click.exceptions.Exit(1)
