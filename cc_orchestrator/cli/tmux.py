"""`tmux`: the sessions this tool made, and only those."""

from __future__ import annotations

import os

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.output import emit_json, table


@click.group(name="tmux")
def command() -> None:
    """Our tmux sessions: list, orphans, layouts, attach, kill."""


def _print_sessions(sessions, as_json: bool, empty: str) -> None:
    if as_json:
        emit_json(sessions)
        return
    table(
        ["SESSION", "INSTANCE", "WINDOWS", "ATTACHED", "ORPHAN", "CREATED"],
        (
            [s.name, s.instance_id, s.windows, "yes" if s.attached else "no", "yes" if s.orphan else "no", s.created_at]
            for s in sessions
        ),
        empty=empty,
    )


@command.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def list_(ctx: CliContext, as_json) -> None:
    """List the sessions this orchestrator created."""
    _print_sessions(ctx.orchestrator.sessions(), as_json, "no cc-orchestrator sessions")


@command.command("orphans")
@click.argument("names", nargs=-1)
@click.option("--adopt", is_flag=True, help="Track them as instances again.")
@click.option("--kill", is_flag=True, help="End their agents and kill them.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def orphans(ctx: CliContext, names, adopt, kill, as_json) -> None:
    """List our sessions that no instance claims; adopt or kill them (all, or NAMES)."""
    if adopt and kill:
        raise click.UsageError("choose --adopt or --kill, not both")
    orchestrator = ctx.orchestrator
    found = [s for s in orchestrator.orphans() if not names or s.name in names or s.instance_id in names]
    if names and not found:
        raise click.UsageError("none of those names is an orphaned cc-orchestrator session")
    if adopt:
        for session in found:
            instance = orchestrator.adopt_orphan(session.name)
            click.echo(f"adopted {session.name} as instance {instance.id} ({instance.status.value})")
    elif kill:
        for session in found:
            orchestrator.kill_orphan(session.name)
            click.echo(f"killed {session.name}")
    else:
        _print_sessions(found, as_json, "no orphaned sessions")
        return
    if not found:
        click.echo("no orphaned sessions")


@command.command("layouts")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def layouts(ctx: CliContext, as_json) -> None:
    """The session layouts an instance can start with."""
    from cc_orchestrator.core.tmux.layouts import all_layouts

    found = all_layouts(ctx.orchestrator.settings.custom_layouts)
    if as_json:
        emit_json(found)
        return
    table(["LAYOUT", "DESCRIPTION"], ([layout.name, layout.description] for layout in found))


@command.command("attach")
@click.argument("name")
@pass_context
def attach(ctx: CliContext, name) -> None:
    """Attach this terminal to one of our sessions."""
    from cc_orchestrator.core.tmux.service import session_name
    from cc_orchestrator.errors import NotFound

    tmux = ctx.orchestrator.tmux
    target = name if name.startswith("cc-orchestrator-") else session_name(name)
    if not tmux.is_ours(target):
        raise NotFound(f"no cc-orchestrator session {name!r} on this tmux server")
    argv = tmux.attach_argv(target)
    ctx.close()
    os.execvp(argv[0], argv)


@command.command("kill")
@click.argument("name")
@pass_context
def kill(ctx: CliContext, name) -> None:
    """Kill one of our sessions (its instance then shows STOPPED)."""
    from cc_orchestrator.core.tmux.service import session_name

    target = name if name.startswith("cc-orchestrator-") else session_name(name)
    ctx.orchestrator.tmux.kill_session(target)
    ctx.orchestrator.instances.refresh()
    click.echo(f"killed {target}")
