"""`cc-orchestrator` (also `cco`): the command line, a thin face over core.Orchestrator.

Groups load lazily so `--help` and `tasks list` start fast. Every failure becomes one line on
stderr and a non-zero exit: 1 for a refused operation, 2 for bad usage, 130 for Ctrl-C.
"""

from __future__ import annotations

import importlib
import sys

import click

from cc_orchestrator import __version__

GROUPS = {
    "tasks": ("cc_orchestrator.cli.tasks", "Add, list, update and assign tasks."),
    "instances": ("cc_orchestrator.cli.instances", "Start, watch, talk to and stop agent instances."),
    "worktrees": ("cc_orchestrator.cli.worktrees", "Create, list and safely remove git worktrees."),
    "tmux": ("cc_orchestrator.cli.tmux", "Our tmux sessions: list, orphans, layouts, attach, kill."),
    "hosts": ("cc_orchestrator.cli.hosts", "Remote hosts over ssh + tmux: add, list, show, check, set, rm."),
    "agents": ("cc_orchestrator.cli.agents", "Agent profiles: list them; doctor checks install, version and screens."),
    "config": ("cc_orchestrator.cli.config", "Show and change settings."),
    "reconcile": ("cc_orchestrator.cli.reconcile", "Repair the database from tmux and git now."),
    "maintenance": ("cc_orchestrator.cli.maintenance", "Prune old events and logs now; reclaim database space."),
    "run": ("cc_orchestrator.cli.run", "Run the task board to the end without a screen: assign, check, merge."),
    "monitor": ("cc_orchestrator.cli.monitor", "Run the watch loop without a screen: states, health, auto-assign."),
    "serve": ("cc_orchestrator.cli.serve", "Serve the REST + WebSocket API and the browser dashboard."),
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(GROUPS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in GROUPS:
            return None
        module = importlib.import_module(GROUPS[name][0])
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, help_text) in GROUPS.items()])


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=str),
    help="The git repository to work on (default: the one containing the current folder).",
)
@click.version_option(__version__, prog_name="cc-orchestrator")
@click.pass_context
def cli(ctx: click.Context, repo: str | None) -> None:
    """Run many coding agents side by side, each in its own git worktree and tmux session.

    Without a command, opens the full-screen dashboard.
    """
    from cc_orchestrator.cli.context import CliContext

    ctx.obj = CliContext(repo)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        if not sys.stdout.isatty() or not sys.stdin.isatty():
            raise click.UsageError("the dashboard needs a terminal; see --help for the commands")
        from cc_orchestrator.tui.app import run

        run(repo)


def main() -> None:
    from cc_orchestrator.errors import OrchestratorError

    for position, argument in enumerate(sys.argv[1:], start=1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8: nothing we store could hold them
            click.echo(f"error: argument {position} is not valid UTF-8 text", err=True)
            sys.exit(2)
    try:
        # Outside standalone mode click returns the code of an Exit raised by a command
        # (`agents doctor`, `hosts check`, `tasks merge --ready` finding a problem) instead of exiting with it.
        code = cli.main(prog_name="cc-orchestrator", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except OrchestratorError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except UnicodeEncodeError:  # an argument made of bytes that are not UTF-8
        click.echo("error: an argument is not valid UTF-8 text", err=True)
        sys.exit(2)
    except Exception as exc:  # a bug: one line for the user, the traceback to the log file
        from cc_orchestrator.cli.crash import report

        click.echo(f"error: {report(exc)}", err=True)
        sys.exit(1)
    if isinstance(code, int) and not isinstance(code, bool) and code:
        sys.exit(code)
