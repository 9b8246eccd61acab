"""`cco run`: the board walks itself, without a screen.

The same loop as a running TUI or `serve` with auto-assign on: ready tasks start in free slots
(highest priority first, usage-limit holds respected), finished turns are checked by the review
gate, and with `--merge` (default: the `review_auto_merge` setting) passed work goes through the
merge queue, which makes dependents ready. One status line; it exits when every task is DONE
(status 0) or nothing can move without a person (status 1, saying what waits). Ctrl-C leaves
the agents running.
"""

from __future__ import annotations

import queue
import sys

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.core.models import InstanceStatus, TaskStatus


@click.command(name="run")
@click.option("--merge/--no-merge", default=None, help="Merge work whose checks passed (default: review.auto_merge).")
@click.option(
    "--interval", type=click.FloatRange(min=0.2), default=5.0, show_default=True, help="Seconds between sweeps."
)
@pass_context
def command(ctx: CliContext, merge, interval) -> None:
    """Run the task board to the end: assign, check, merge; exit when all is DONE or stuck."""
    from cc_orchestrator.core.reconcile import reconcile

    orch = ctx.orchestrator
    merging = orch.settings.review_auto_merge if merge is None else merge
    reconcile(orch)
    orch.review.auto_assign, orch.review.auto_merge = True, merging  # the loop runs them, whatever the settings
    arrived: queue.Queue = queue.Queue()
    live = orch.live(arrived.put, lambda message: arrived.put(f"refresh failed: {message}"), sweep=interval)
    tty = sys.stdout.isatty()
    shown = ""
    code = 1
    try:
        while True:
            item = arrived.get()
            if isinstance(item, str):
                click.echo(("\n" if tty and shown else "") + item, err=True)
                continue
            line, done, stuck = status(orch, item, merging)
            if line != shown:
                click.echo(("\r" + line.ljust(len(shown))) if tty else line, nl=not tty)
                shown = line
            if done or stuck:
                click.echo(("\n" if tty else "") + (done or stuck))
                code = 0 if done else 1
                break
    except KeyboardInterrupt:
        click.echo(("\n" if tty else "") + "stopped; the agents keep running")
        code = 130
    finally:
        live.stop()
    ctx.close()
    sys.exit(code)


def status(orch, snapshot, merging: bool) -> tuple[str, str, str]:
    """(the status line, why it is done or "", why it is stuck or "")."""
    from cc_orchestrator.core.review import runs

    tasks = snapshot.tasks
    by_status = {s: [t for t in tasks if t.status is s] for s in TaskStatus}
    live = {i.id: i for i in snapshot.instances if i.status.is_live}
    unfinished = [t for t in tasks if t.status in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS)]
    on_tasks = [live[t.assigned_instance] for t in unfinished if t.assigned_instance in live]
    waiting = [i for i in on_tasks if i.status is InstanceStatus.WAITING_INPUT]
    checking = orch.store.read(runs.running)
    line = (
        f"working {len(on_tasks) - len(waiting)} · waiting {len(waiting)} · checking {len(checking)} · "
        f"review {len(by_status[TaskStatus.REVIEW])} · done {len(by_status[TaskStatus.DONE])}/{len(tasks)}"
    )
    if tasks and len(by_status[TaskStatus.DONE]) == len(tasks):
        return line, f"all {len(tasks)} tasks are done", ""
    if not tasks:
        return line, "", "no tasks: add some with `cco tasks add`"
    ready = [t for t in by_status[TaskStatus.PENDING] if not t.blocked]
    reviewable = by_status[TaskStatus.REVIEW]
    if (
        on_tasks
        or checking
        or ready
        or (merging and any(t.checks.value in ("passed", "no_checks") for t in reviewable))
    ):
        return line, "", ""
    reasons = []
    if reviewable:
        reasons.append(f"{len(reviewable)} in REVIEW wait for a person (cco tasks merge ID)")
    if blocked := [t for t in by_status[TaskStatus.PENDING] if t.blocked]:
        reasons.append(f"{len(blocked)} blocked by tasks that are not DONE")
    if stalled := [t for t in tasks if t.status in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS)]:
        reasons.append(f"{len(stalled)} in progress without a live instance")
    return line, "", "nothing can move: " + "; ".join(reasons or ["no task can start"])
