"""`config`: effective settings and where each comes from; secrets are never shown."""

from __future__ import annotations

import json

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.output import emit_json, table, truncate


@click.group(name="config")
def command() -> None:
    """Show and change settings."""


def _value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@command.command("show")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def show(ctx: CliContext, as_json) -> None:
    """Every setting, its value and its source (env, stored, file, default)."""
    entries = ctx.orchestrator.config.entries()
    if as_json:
        emit_json({e.key: e.value for e in entries})
        return
    # Long values (maps, lists) are cut to keep one line per setting; `config get KEY` prints them whole.
    table(["KEY", "VALUE", "SOURCE"], ([e.key, truncate(_value(e.value), 70), e.source] for e in entries))


@command.command("get")
@click.argument("key")
@pass_context
def get(ctx: CliContext, key) -> None:
    """Print one setting's value."""
    click.echo(_value(ctx.orchestrator.config.get(key).value))


@command.command("set", context_settings={"ignore_unknown_options": True})  # VALUE may be -1
@click.argument("key")
@click.argument("value")
@pass_context
def set_(ctx: CliContext, key, value) -> None:
    """Store a setting for every face (environment variables still win)."""
    entry = ctx.orchestrator.config.set(key, value)
    note = f" (but {entry.source} overrides it)" if entry.source == "env" else ""
    click.echo(f"{entry.key} = {_value(entry.value)}{note}")


@command.command("unset")
@click.argument("key")
@pass_context
def unset(ctx: CliContext, key) -> None:
    """Forget a stored setting (back to the file or the default)."""
    ctx.orchestrator.config.unset(key)
    click.echo(f"{key} unset")
