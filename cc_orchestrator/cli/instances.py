"""`instances`: start, watch, talk to and stop agents."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.context import in_repo as in_repo_of
from cc_orchestrator.cli.output import emit_json, fields, repo_name, since, table, truncate
from cc_orchestrator.core.models import LOCAL_HOST, Instance, InstanceStatus

STATUSES = click.Choice(["starting", "running", "waiting_input", "idle", "error", "stopped"], case_sensitive=False)


@click.group(name="instances")
def command() -> None:
    """Start, watch, talk to and stop agent instances."""


def _show(instance, as_json: bool) -> None:
    if as_json:
        emit_json(instance)
        return
    usage = instance.resource_usage
    fields(
        [
            ("id", instance.id),
            ("status", status_text(instance) + (f" ({instance.status_message})" if instance.status_message else "")),
            ("host", instance.host),
            ("task", instance.task_id),
            ("repo", instance.repo),
            ("branch", instance.branch),
            ("worktree", instance.worktree_path or None),
            ("tmux session", instance.tmux_session),
            ("pid", instance.pid),
            ("cpu", f"{usage.cpu_percent}%"),
            ("memory", f"{usage.memory_mb} MB in {usage.processes} processes"),
            ("agent", instance.agent),
            ("waiting for", instance.waiting_for or None),
            (
                "tokens",
                f"{instance.tokens_in} in, {instance.tokens_out} out"
                + (f" ({instance.model})" if instance.model else ""),
            ),
            ("usage limit", f"until {instance.held_until:%Y-%m-%d %H:%M} UTC" if instance.held_until else None),
            ("restarts", instance.restarts),
            ("session", instance.session_id),
            ("command", " ".join(instance.agent_command) or None),
            ("layout", instance.layout),
            ("prompt", "waiting for the agent" if instance.pending_prompt else None),
            ("created", instance.created_at),
            ("last activity", instance.last_activity),
        ]
    )


@command.command("start")
@click.option("--task", "task_id", metavar="ID", help="Work on this task (it must be ready).")
@click.option("--branch", "-b", help="Branch for the new worktree (default cco/<id>).")
@click.option("--base", help="Branch or commit to start from (default: the current branch).")
@click.option("--command", "agent_command", metavar="CMD", help="Agent program to run instead of agent_command.")
@click.option("--layout", "-l", help="tmux layout: default, claude, development or a custom one.")
@click.option("--agent", "-a", help="Agent profile: claude, codex, aider, gemini, generic or your own.")
@click.option("--host", metavar="NAME", help="Run it on this host (`hosts list`; default: this machine).")
@click.option("--no-wait", is_flag=True, help="Return once the session runs; the prompt is delivered later.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def start(ctx: CliContext, task_id, branch, base, agent_command, layout, agent, host, no_wait, as_json) -> None:
    """Start an agent in a new worktree and tmux session (on --host, over ssh)."""
    import shlex

    from cc_orchestrator.cli.delivery import await_prompt

    orchestrator = ctx.orchestrator
    try:
        argv = shlex.split(agent_command) if agent_command else None
    except ValueError as exc:
        raise click.UsageError(f"--command cannot be split like a shell would: {exc}") from None
    if agent_command is not None and not argv:
        raise click.UsageError("--command is empty")
    options = dict(branch=branch, base=base, command=argv, layout=layout, agent=agent)
    remote = False
    if host is not None:
        options["host"] = ctx.host(host)
        remote = options["host"] != LOCAL_HOST
    if task_id is not None:
        instance = orchestrator.assign(task_id, ctx.repo_if_any(), wait=False, **options)
    elif remote:  # the repository is a path there (--repo), or the host's own choice: not this folder's
        instance = orchestrator.instances.start(ctx.repo_option, **options)
    else:
        instance = orchestrator.instances.start(ctx.repo(), **options)
    if await_prompt(orchestrator, instance, wait=not no_wait) is not None:
        instance = orchestrator.instances.get(instance.id, refresh=False)
    if as_json:
        emit_json(instance)
    else:
        where = f" on host {instance.host}" if instance.host != LOCAL_HOST else ""
        click.echo(f"started instance {instance.id}{where} on branch {instance.branch} in {instance.worktree_path}")
        click.echo(f"attach with: cc-orchestrator instances attach {instance.id}")


@command.command("list")
@click.option("--status", "-s", type=STATUSES, help="Only instances in this status.")
@click.option("--in-repo", "in_repo", metavar="PATH", help="Only instances of this repository.")
@click.option("--host", metavar="NAME", help="Only instances on this host (`local`: this machine).")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def list_(ctx: CliContext, status, in_repo, host, as_json) -> None:
    """List instances with their host, live status and resource use."""
    from cc_orchestrator.core.models import parse_enum

    wanted = parse_enum(InstanceStatus, status, "status") if status else None
    on = ctx.host(host)
    found = ctx.orchestrator.instances.list(repo=in_repo_of(in_repo), status=wanted)
    found = [i for i in found if on is None or i.host == on]
    if as_json:
        emit_json(found)
        return
    table(LIST_HEADERS, (list_row(i) for i in found), empty="no instances")


LIST_HEADERS = ["ID", "STATUS", "HOST", "AGENT", "TASK", "BRANCH", "CPU", "MEM", "TOKENS", "ACTIVE", "REPO", "NOTE"]


def list_row(i: Instance, now: datetime | None = None) -> list:
    return [
        i.id,
        status_text(i, now),
        i.host,
        i.agent,
        i.task_id,
        i.branch,
        f"{i.resource_usage.cpu_percent}%" if i.pid else "-",
        f"{i.resource_usage.memory_mb}M" if i.pid else "-",
        f"{i.tokens_in}/{i.tokens_out}" if i.tokens_in or i.tokens_out else "-",
        i.last_activity,
        repo_name(i.repo),
        truncate(_note(i), 60),
    ]


def status_text(instance: Instance, now: datetime | None = None) -> str:
    """The status; for UNREACHABLE, how long its host has not answered ("UNREACHABLE 2m")."""
    if instance.status is InstanceStatus.UNREACHABLE and instance.unreachable_since is not None:
        return f"{instance.status.value} {since(instance.unreachable_since, now)}"
    return instance.status.value


def _note(instance) -> str:
    if instance.waiting_for:
        return instance.waiting_for
    if instance.held_until:
        return f"usage limit until {instance.held_until:%H:%M} UTC"
    return instance.status_message or ""


@command.command("show")
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def show(ctx: CliContext, instance_id, as_json) -> None:
    """Show one instance."""
    _show(ctx.orchestrator.instances.get(instance_id), as_json)


@command.command("send")
@click.argument("instance_id")
@click.argument("text")
@click.option("--no-enter", is_flag=True, help="Paste without pressing Enter.")
@pass_context
def send(ctx: CliContext, instance_id, text, no_enter) -> None:
    """Paste TEXT into the agent (use - to read it from stdin), then press Enter."""
    if text == "-":  # bytes decoded here: under a strict locale, bytes that are not UTF-8 would fail in read()
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")  # `send` refuses them in its own words
    instance = ctx.orchestrator.instances.send(instance_id, text, enter=not no_enter)
    click.echo(f"sent {len(text)} characters to instance {instance.id}")


@command.command("attach")
@click.argument("instance_id")
@pass_context
def attach(ctx: CliContext, instance_id) -> None:
    """Open the instance's tmux session in this terminal (detach with prefix + d)."""
    argv = ctx.orchestrator.instances.attach_argv(instance_id)
    ctx.close()
    os.execvp(argv[0], argv)


@command.command("stop")
@click.argument("instance_id")
@click.option(
    "--remove-worktree", is_flag=True, help="Also remove its worktree and branch (refused if work would be lost)."
)
@click.option(
    "--force",
    is_flag=True,
    help="With --remove-worktree: delete uncommitted files, ignored files and unsaved commits too.",
)
@pass_context
def stop(ctx: CliContext, instance_id, remove_worktree, force) -> None:
    """Stop the agent (its whole process tree) and kill its session; the worktree stays."""
    instance = ctx.orchestrator.instances.stop(instance_id, remove_worktree=remove_worktree, force=force)
    if remove_worktree:
        kept = "its worktree removed"
    else:
        kept = f"its worktree kept at {instance.worktree_path}" if instance.worktree_path else "it had no worktree"
    click.echo(f"stopped instance {instance.id} ({instance.status_message}); {kept}")


@command.command("approve")
@click.argument("instance_id")
@pass_context
def approve(ctx: CliContext, instance_id) -> None:
    """Say yes to the question the agent shows (permission prompt or start-up dialog)."""
    before = ctx.orchestrator.instances.get(instance_id)
    instance = ctx.orchestrator.instances.approve(instance_id)
    click.echo(f"approved on instance {instance.id}" + (f": {before.waiting_for}" if before.waiting_for else ""))


@command.command("reject")
@click.argument("instance_id")
@pass_context
def reject(ctx: CliContext, instance_id) -> None:
    """Say no to the question the agent shows."""
    instance = ctx.orchestrator.instances.reject(instance_id)
    click.echo(f"rejected on instance {instance.id}")


@command.command("interrupt")
@click.argument("instance_id")
@pass_context
def interrupt(ctx: CliContext, instance_id) -> None:
    """Interrupt what the agent is doing (it stays alive and waits for you)."""
    instance = ctx.orchestrator.instances.interrupt(instance_id)
    click.echo(f"interrupted instance {instance.id}")


@command.command("restart")
@click.argument("instance_id")
@click.option("--command", "agent_command", metavar="CMD", help="Run this instead of the agent's own command.")
@pass_context
def restart(ctx: CliContext, instance_id, agent_command) -> None:
    """Start a dead agent again in its worktree (Claude Code resumes with --continue)."""
    import shlex

    argv = shlex.split(agent_command) if agent_command else None
    instance = ctx.orchestrator.instances.restart(instance_id, command=argv)
    click.echo(f"restarted instance {instance.id} ({instance.status.value})")


@command.command("recover")
@click.option("--all", "everything", is_flag=True, help="Every stopped or failed instance, not only lost sessions.")
@click.option("--dry-run", is_flag=True, help="Only list what would be restarted.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def recover(ctx: CliContext, everything, dry_run, as_json) -> None:
    """After a reboot or a killed tmux server: restart lost agents one by one, resuming each conversation."""
    from cc_orchestrator.core.instances.recovery import candidates

    instances = ctx.orchestrator.instances
    if dry_run:
        rows = candidates(instances, everything)
        if as_json:
            emit_json([instances.get(r.id, refresh=False) for r in rows])
            return
        for row in rows:
            how = f"resume {row.session_id}" if row.session_id else "continue"
            click.echo(f"would restart {row.id} ({row.status}: {row.status_message}) with {how}")
        if not rows:
            click.echo("nothing to recover")
        return

    def said(result) -> None:
        if as_json:
            return
        if result.error:
            click.echo(f"instance {result.instance.id}: not restarted: {result.error}", err=True)
        else:
            how = "resumed its session" if result.resumed else "continued"
            click.echo(f"instance {result.instance.id}: {how}; {result.instance.status.value}, {result.seen}")

    done = instances.recover(everything, on_each=said)
    if as_json:
        emit_json([r.instance for r in done])
    elif not done:
        click.echo("nothing to recover" + ("" if everything else " (use --all for every stopped instance)"))
    if any(r.error for r in done):
        raise click.exceptions.Exit(1)


@command.command("logs")
@click.argument("instance_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing as the agent writes.")
@click.option("--lines", "-n", type=click.IntRange(min=1), default=100, show_default=True)
@click.option(
    "--events",
    is_flag=True,
    help="The orchestrator's events for it (states, prompts, errors) instead of its screen output.",
)
@pass_context
def logs(ctx: CliContext, instance_id, follow, lines, events) -> None:
    """Print an instance's output (ANSI stripped), or its events with --events."""
    orchestrator = ctx.orchestrator
    instance = orchestrator.instances.get(instance_id)
    if events:
        _print_events(orchestrator.events.tail(limit=lines, instance_id=instance.id))
        if follow:
            _follow_events(orchestrator, instance.id)
        return
    for line in orchestrator.instances.logs.tail(instance.id, lines):
        click.echo(line)
    if follow:
        try:
            for batch in orchestrator.instances.logs.follow(instance.id):
                for line in batch:
                    click.echo(line)
        except KeyboardInterrupt:
            pass


def _print_events(found) -> None:
    for event in found:
        click.echo(f"{event.created_at:%H:%M:%S} {event.level.value:<7} {event.message}")


def _follow_events(orchestrator, instance_id: str) -> None:
    """Print the instance's events as they happen: the snapshots `Live` pushes."""
    import queue

    start = orchestrator.events.latest_id()
    arrived: queue.Queue = queue.Queue()
    live = orchestrator.live(arrived.put, lambda message: None, after=start)
    try:
        while True:
            _print_events(e for e in arrived.get().events if e.id > start and e.instance_id == instance_id)
    except KeyboardInterrupt:
        pass
    finally:
        live.stop()
