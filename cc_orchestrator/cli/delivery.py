"""Waiting for a new instance's first prompt to be delivered, and saying what happened.

`instances start --task` and `tasks assign` wait with a progress line on stderr (redrawn in
place on a terminal); `--no-wait` returns as soon as the session runs. A prompt still pending
is never silent: the command says what it did not see and what to do.
"""

from __future__ import annotations

import sys
import time

import click


def await_prompt(orchestrator, instance, wait: bool) -> object | None:
    """Wait for `instance`'s pending prompt (if `wait`), telling the user; the Readiness seen."""
    if not instance.pending_prompt:
        return None
    if not wait:
        click.echo(
            f"instance {instance.id}: its prompt is delivered once the agent is ready, by a running "
            "dashboard or `cc-orchestrator serve`, or by the next `cc-orchestrator instances list`",
            err=True,
        )
        return None
    started = time.monotonic()
    live = sys.stderr.isatty()

    def progress(state) -> None:
        line = f"instance {instance.id}: waiting for the agent to be ready for its prompt: {state.why}"
        if live:
            click.echo("\r\x1b[2K" + line[:200], err=True, nl=False)
        else:
            click.echo(line, err=True)

    state = orchestrator.instances.deliver_when_ready(instance.id, progress=progress)
    if live:
        click.echo("\r\x1b[2K", err=True, nl=False)
    seconds = time.monotonic() - started
    if state.ready:
        click.echo(f"instance {instance.id}: prompt delivered after {seconds:.1f} s ({state.why})", err=True)
    elif state.gone:
        click.echo(
            f"instance {instance.id}: the agent ended before its prompt was delivered; "
            f"see `cc-orchestrator instances show {instance.id}`",
            err=True,
        )
    elif state.asking:
        click.echo(
            f"instance {instance.id}: {state.why}\n"
            f"  answer with `cc-orchestrator instances approve {instance.id}` (or reject; attach to see it); "
            "its prompt follows once the agent is ready",
            err=True,
        )
    else:
        click.echo(
            f"instance {instance.id}: the prompt is still pending after {seconds:.0f} s: {state.why}; "
            f"the last line on its screen is {state.last_line[:120]!r}.\n"
            f"  It is delivered when the agent is ready (by a running dashboard or server, or the next "
            f"`instances list`). Look at it with `cc-orchestrator instances attach {instance.id}`, tune the "
            "profile's ready_patterns, or raise prompt_ready_timeout.",
            err=True,
        )
    return state
