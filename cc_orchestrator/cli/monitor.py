"""`monitor`: the orchestrator's watch loop without a screen (states, health, auto-assign)."""

from __future__ import annotations

import queue

import click

from cc_orchestrator.cli.context import CliContext, pass_context


@click.command(name="monitor")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.2),
    default=5.0,
    show_default=True,
    help="Seconds between sweeps (health checks, CPU and memory); changes arrive at once.",
)
@pass_context
def command(ctx: CliContext, interval) -> None:
    """Keep instance states, health checks and auto-assign running; print what happens.

    Changes arrive as they happen (agents' output, their hooks, tmux, other processes'
    commits), with a sweep every few seconds; nothing is polled."""
    from cc_orchestrator.core.reconcile import reconcile

    orchestrator = ctx.orchestrator
    reconcile(orchestrator)
    start = orchestrator.events.latest_id()  # what happens from now on
    arrived: queue.Queue = queue.Queue()
    live = orchestrator.live(
        arrived.put, lambda message: arrived.put(f"refresh failed: {message}"), sweep=interval, after=start
    )
    click.echo("monitoring; Ctrl-C to stop (agents keep running)")
    try:
        while True:
            item = arrived.get()
            if isinstance(item, str):
                click.echo(item, err=True)
                continue
            for event in (e for e in item.events if e.id > start):
                click.echo(f"{event.created_at:%H:%M:%S} {event.level.value:<7} {event.message}")
    except KeyboardInterrupt:
        pass
    finally:
        live.stop()
