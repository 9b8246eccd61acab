"""`hosts`: the machines agents run on: `local`, and remote ones reached over ssh."""

from __future__ import annotations

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.output import emit_json, fields, table
from cc_orchestrator.core.models import to_json


@click.group(name="hosts")
def command() -> None:
    """Remote hosts over ssh + tmux: add, list, show, check, set, rm."""


@command.command("add")
@click.argument("name")
@click.argument("url", metavar="ssh://USER@HOST[:PORT]")
@click.option("--repo", "repos", multiple=True, metavar="PATH", help="A repository on that host (repeatable).")
@click.option("--accept-new", is_flag=True, help="Trust the host's key if it is not known yet (first use).")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def add(ctx: CliContext, name, url, repos, accept_new, as_json) -> None:
    """Check a host, then save it as NAME: ssh works without prompts (your keys, agent and ssh
    config), tmux and git are there, and each --repo is a git repository there."""
    host = ctx.orchestrator.hosts.add(name, url, list(repos), accept_new=accept_new)
    if as_json:
        emit_json(host)
        return
    repos_text = f", {len(host.repos)} repositor{'y' if len(host.repos) == 1 else 'ies'}" if host.repos else ""
    click.echo(f"added host {host.name} ({host.url}): tmux {host.tmux_version}, git {host.git_version}{repos_text}")


@command.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def list_(ctx: CliContext, as_json) -> None:
    """List the hosts: `local` and the remote ones, with what their last check found."""
    hosts = ctx.orchestrator.hosts.list()
    if as_json:
        emit_json(hosts)
        return
    table(
        ["NAME", "URL", "INSTANCES", "MAX", "LAST SEEN", "LATENCY", "REPOS", "ERROR"],
        (
            [
                h.name,
                h.url or "(this machine)",
                h.instances,
                h.max_instances,
                "now" if h.is_local else h.last_seen,
                f"{h.latency_ms:.0f} ms" if h.latency_ms is not None else None,
                len(h.repos) if not h.is_local else None,
                h.last_error or None,
            ]
            for h in hosts
        ),
    )


@command.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def show(ctx: CliContext, name, as_json) -> None:
    """Show one host as last checked."""
    host = ctx.orchestrator.hosts.get(name)
    if as_json:
        emit_json(host)
        return
    fields(
        [
            ("name", host.name),
            ("url", host.url or "(this machine)"),
            ("live instances", host.instances),
            ("max instances", host.max_instances if not host.is_local else "the max_instances setting"),
            ("added", host.added_at),
            ("last seen", host.last_seen),
            ("last error", host.last_error or None),
            ("latency", f"{host.latency_ms:.0f} ms" if host.latency_ms is not None else None),
            ("tmux", host.tmux_version or None),
            ("git", host.git_version or None),
            ("agents", ", ".join(host.agents) or None),
        ]
    )
    for repo in host.repos:
        click.echo(f"  repository: {repo}")


@command.command("check")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def check(ctx: CliContext, name, as_json) -> None:
    """A doctor for a host: latency, tmux and git versions, agent CLIs found, repositories.
    Exits 1 when the host cannot run agents."""
    found = ctx.orchestrator.hosts.check(name)
    if as_json:
        emit_json({**to_json(found), "ok": found.ok})
    else:
        fields(
            [
                ("host", found.host),
                ("reachable", "yes" if found.reachable else "no"),
                ("connect", f"{found.connect_ms:.0f} ms" if found.connect_ms is not None else None),
                ("latency", f"{found.latency_ms:.1f} ms" if found.latency_ms is not None else None),
                ("tmux", found.tmux_version or None),
                ("git", found.git_version or None),
                ("agents", ", ".join(f"{a} ({p})" for a, p in found.agents.items()) or "none found"),
            ]
        )
        for repo in found.repos:
            click.echo(f"  repository {repo.path}: {'ok' if repo.found else repo.problem}")
        for problem in found.problems:
            click.echo(f"problem: {problem}", err=True)
    if not found.ok:
        raise click.exceptions.Exit(1)


@command.command("set")
@click.argument("name")
@click.argument("key", type=click.Choice(["max_instances"]))
@click.argument("value")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def set_(ctx: CliContext, name, key, value, as_json) -> None:
    """Change a host's setting: `max_instances N` (or `none`: no limit of its own)."""
    host = ctx.orchestrator.hosts.set(name, key, value)
    if as_json:
        emit_json(host)
    else:
        click.echo(f"host {host.name}: max_instances = {host.max_instances or 'none'}")


@command.command("rm")
@click.argument("name")
@click.option("--force", is_flag=True, help="Forget the host even while instances run there.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def rm(ctx: CliContext, name, force, as_json) -> None:
    """Forget a host (refused while instances run there, unless --force)."""
    host = ctx.orchestrator.hosts.remove(name, force=force)
    if as_json:
        emit_json(host)
    else:
        click.echo(f"removed host {host.name} ({host.url})")
