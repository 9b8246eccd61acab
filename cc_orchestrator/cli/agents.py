"""`agents`: the agent profiles, and whether each agent is installed, tested and readable."""

from __future__ import annotations

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.output import emit_json, table


@click.group(name="agents")
def command() -> None:
    """Agent profiles: list them, check them."""


@command.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def list_(ctx: CliContext, as_json) -> None:
    """The profiles: the program each runs and how its state is read."""
    from cc_orchestrator.core.agents.doctor import profiles_to_check

    profiles = profiles_to_check(ctx.orchestrator.settings)
    if as_json:
        emit_json([p.model_dump() for p in profiles])
        return
    default = ctx.orchestrator.settings.profile().name
    table(
        ["NAME", "COMMAND", "HOOKS", "TESTED", "DEFAULT"],
        (
            [
                p.name,
                " ".join([p.command, *p.args]).strip() or "-",
                p.hooks or "screen",
                " - ".join(dict.fromkeys([p.tested_versions[0], p.tested_versions[-1]])) if p.tested_versions else "-",
                "yes" if p.name == default else "",
            ]
            for p in profiles
        ),
    )


@command.command("doctor")
@click.argument("name", required=False)
@click.option("--no-probe", is_flag=True, help="Only the program and its version; do not start it.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def doctor(ctx: CliContext, name, no_probe, as_json) -> None:
    """Is each agent installed, in the tested range, and is its first screen read right?

    The probe starts the agent in a scratch tmux pane in an empty temporary folder, reads its
    first screen, then ends it. Exits 1 when the named (or default) agent has a problem.
    """
    from cc_orchestrator.core.agents.doctor import check, profiles_to_check

    profiles = profiles_to_check(ctx.orchestrator.settings, name)
    reports = []
    for profile in profiles:
        if not as_json:
            click.echo(f"checking {profile.name} ...", err=True)
        reports.append(check(profile, probe=not no_probe))
    if as_json:
        emit_json(reports)
    else:
        for report in reports:
            click.echo(f"{report.name}: {report.summary}")
            if report.path:
                click.echo(f"  program   {report.path}")
                click.echo(f"  tested    {report.tested or 'no versions recorded'}")
            if report.probe is not None:
                click.echo(f"  probe     {report.probe.seen} after {report.probe.seconds:.1f} s: {report.probe.detail}")
                for line in report.probe.lines if report.probe.seen != "ready" else []:
                    click.echo(f"  | {line[:160]}")
    if not reports[0].ok:  # the named agent, or the default one
        raise click.exceptions.Exit(1)
