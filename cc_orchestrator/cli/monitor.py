"""`monitor`: the orchestrator's watch loop without a screen (states, health, auto-assign)."""

from __future__ import annotations

import time

import click

from cc_orchestrator.cli.context import CliContext, pass_context


@click.command(name="monitor")
@click.option(
    "--interval", type=click.FloatRange(min=0.2), default=1.0, show_default=True, help="Seconds between rounds."
)
@pass_context
def command(ctx: CliContext, interval) -> None:
    """Keep instance states, health checks and auto-assign running; print what happens."""
    from cc_orchestrator.core.reconcile import reconcile

    orchestrator = ctx.orchestrator
    reconcile(orchestrator)
    watcher = orchestrator.watch_spools()
    last = orchestrator.events.latest_id()
    click.echo("monitoring; Ctrl-C to stop (agents keep running)")
    try:
        while True:
            orchestrator.tick()
            for event in orchestrator.events.since(last):
                click.echo(f"{event.created_at:%H:%M:%S} {event.level.value:<7} {event.message}")
                last = event.id
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
