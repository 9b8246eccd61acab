"""`tasks`: the task board from the command line."""

from __future__ import annotations

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.context import in_repo as in_repo_of
from cc_orchestrator.cli.merge import merge
from cc_orchestrator.cli.output import emit_json, fields, repo_name, table, truncate
from cc_orchestrator.cli.task_sync import follow_up, import_group, pr
from cc_orchestrator.core.models import LOCAL_HOST

PRIORITIES = click.Choice(["high", "medium", "low"], case_sensitive=False)
STATUSES = click.Choice(["pending", "assigned", "in_progress", "review", "done"], case_sensitive=False)


@click.group(name="tasks")
def command() -> None:
    """Add, list, update, assign and merge tasks; import them from GitHub and Jira."""


command.add_command(import_group)
command.add_command(pr)
command.add_command(merge)


def _print_tasks(tasks, as_json: bool) -> None:
    if as_json:
        emit_json(tasks)
        return
    hosts = any(t.host for t in tasks)  # a HOST column only when some task names its host
    table(
        ["ID", "PRI", "STATUS", "TITLE", "DEPS", "INSTANCE", "REPO", *(["HOST"] if hosts else []), "SOURCE"],
        (
            [
                t.id,
                t.priority,
                t.status.value + (" (blocked)" if t.blocked and t.status.value == "PENDING" else ""),
                truncate(t.title, 50),
                ",".join(map(str, t.dependencies)) or "-",
                t.assigned_instance,
                repo_name(t.repo),
                *([t.host] if hosts else []),
                "" if t.source == "manual" else t.source_label,
            ]
            for t in tasks
        ),
        empty="no tasks",
    )


def _show(task, as_json: bool) -> None:
    if as_json:
        emit_json(task)
        return
    fields(
        [
            ("id", task.id),
            ("title", task.title),
            ("status", task.status.value + (" (blocked)" if task.blocked else "")),
            ("priority", task.priority),
            ("depends on", ", ".join(map(str, task.dependencies)) or "-"),
            ("instance", task.assigned_instance),
            ("repo", task.repo),
            *([("host", task.host)] if task.host else []),
            ("source", task.source if task.source == "manual" else f"{task.source} {task.source_label}"),
            ("link", task.source_url or None),
            ("pull request", task.pr_url or None),
            ("created", task.created_at),
            ("updated", task.updated_at),
        ]
    )
    if task.description:
        click.echo("\n" + task.description)


@command.command("add")
@click.argument("title")
@click.option("--description", "-d", default="", help="What the agent should do, in detail.")
@click.option("--priority", "-p", type=PRIORITIES, default="medium", show_default=True)
@click.option(
    "--dependency",
    "--depends-on",
    "dependencies",
    multiple=True,
    metavar="ID",
    help="A task that must be DONE first (repeatable).",
)
@click.option("--host", metavar="NAME", help="The host it must run on (`hosts list`; default: any that has its repo).")
@click.option("--json", "as_json", is_flag=True, help="Print the task as JSON.")
@pass_context
def add(ctx: CliContext, title, description, priority, dependencies, host, as_json) -> None:
    """Add a task to the board (PENDING)."""
    repo, host = ctx.repo_if_any(), ctx.host(host)
    task = ctx.orchestrator.tasks.add(
        title, description, priority, dependencies, repo=str(repo) if repo else None, host=host
    )
    if as_json:
        emit_json(task)
    else:
        click.echo(f"added task {task.id}: {task.title}" + (f" (on host {task.host})" if task.host else ""))


@command.command("list")
@click.option("--status", "-s", type=STATUSES, help="Only tasks in this status.")
@click.option("--priority", "-p", type=PRIORITIES)
@click.option("--ready", is_flag=True, help="Only tasks that can start now, best first.")
@click.option("--in-repo", "in_repo", metavar="PATH", help="Only tasks of this repository.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@click.option("--offset", type=click.IntRange(min=0), default=0)
@click.option("--json", "as_json", is_flag=True)
@pass_context
def list_(ctx: CliContext, status, priority, ready, in_repo, limit, offset, as_json) -> None:
    """List tasks."""
    tasks = ctx.orchestrator.tasks
    repo = in_repo_of(in_repo)
    if ready:
        found = tasks.ready(limit=limit, repo=repo)
    else:
        found = tasks.list(status=status, priority=priority, repo=repo, limit=limit, offset=offset)
    _print_tasks(found, as_json)


@command.command("show")
@click.argument("task_id")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def show(ctx: CliContext, task_id, as_json) -> None:
    """Show one task, with its checks: the command, where it came from, and every run."""
    orchestrator = ctx.orchestrator
    task = orchestrator.tasks.get(task_id)
    checks, runs = orchestrator.review.checks(task), orchestrator.review.runs(task.id)
    if as_json:
        from cc_orchestrator.core.models import to_json

        emit_json({**to_json(task), "checks_command": checks.command, "checks_source": checks.source, "runs": runs})
        return
    _show(task, False)
    _show_checks(task, checks, runs)


def _show_checks(task, checks, runs) -> None:
    click.echo(f"\nchecks: {checks.describe()}" + (f"; last word: {task.checks.value}" if task.checks.value else ""))
    for run in runs:
        took = f"{run.seconds:.1f} s" if run.seconds is not None else "running"
        status = run.status.value.replace("_", " ") + (
            f" (exit {run.exit_code})" if run.exit_code not in (None, 0) else ""
        )
        click.echo(
            f"  #{run.id} {run.started_at:%Y-%m-%d %H:%M:%S} {run.purpose:<5} {status:<18} {took:>9}  {run.log_path}"
        )
    failed = [r for r in runs if r.status.value in ("failed", "timed_out")]
    if failed and failed[-1] is runs[-1]:
        click.echo("\nlast lines of the failed run:")
        click.echo("\n".join("  " + line for line in failed[-1].tail.splitlines()[-20:]))


@command.command("update")
@click.argument("task_id")
@click.option("--title")
@click.option("--description", "-d")
@click.option("--priority", "-p", type=PRIORITIES)
@click.option("--status", "-s", type=STATUSES)
@click.option("--depends-on", "add_deps", multiple=True, metavar="ID", help="Add a dependency.")
@click.option("--no-depends-on", "remove_deps", multiple=True, metavar="ID", help="Drop a dependency.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def update(ctx: CliContext, task_id, title, description, priority, status, add_deps, remove_deps, as_json) -> None:
    """Change a task's fields, status or dependencies."""
    task = ctx.orchestrator.tasks.update(
        task_id,
        title=title,
        description=description,
        priority=priority,
        status=status,
        add_dependencies=add_deps,
        remove_dependencies=remove_deps,
    )
    if as_json:
        emit_json(task)
    else:
        click.echo(f"updated task {task.id}: {task.status.value}, {task.priority.value}")
    if status is not None:
        follow_up(ctx, as_json)


@command.command("rm")
@click.argument("task_id")
@pass_context
def rm(ctx: CliContext, task_id) -> None:
    """Delete a task (refused while an instance works on it)."""
    task = ctx.orchestrator.tasks.remove(task_id)
    click.echo(f"removed task {task.id}: {task.title}")


@command.command("assign")
@click.argument("task_id", required=False)
@click.option("--auto", is_flag=True, help="Fill every free slot with the best ready tasks.")
@click.option("--host", metavar="NAME", help="Run it on this host (default: the task's own, else this machine).")
@click.option("--no-wait", is_flag=True, help="Do not wait for the prompt to be delivered.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def assign(ctx: CliContext, task_id, auto, host, no_wait, as_json) -> None:
    """Start an instance for a ready task and give it the task as its first prompt."""
    orchestrator = ctx.orchestrator
    if auto == bool(task_id):
        raise click.UsageError("give a TASK_ID or --auto (not both)")
    if auto and host is not None:
        raise click.UsageError("--host goes with a TASK_ID: --auto places each task by its own host")
    from cc_orchestrator.cli.delivery import await_prompt

    repo = ctx.repo_if_any()
    if auto:
        started = orchestrator.auto_assign(repo)
    else:
        on = {"host": ctx.host(host)} if host is not None else {}  # the core's default when not given
        instance = orchestrator.assign(task_id, repo, wait=False, **on)
        if await_prompt(orchestrator, instance, wait=not no_wait) is not None:
            instance = orchestrator.instances.get(instance.id, refresh=False)
        started = [instance]
    if as_json:
        emit_json(started if auto else started[0])
        follow_up(ctx, as_json)
        return
    if not started:
        click.echo("nothing to assign: no free slot or no ready task")
    for instance in started:
        state = "prompt waits for the agent" if instance.pending_prompt else "prompt delivered"
        where = f" on host {instance.host}" if instance.host != LOCAL_HOST else ""
        click.echo(f"task {instance.task_id} -> instance {instance.id}{where} on {instance.branch} ({state})")
    follow_up(ctx)
