"""`tasks import` and `tasks pr`: tasks in from GitHub and Jira, pull requests out."""

from __future__ import annotations

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.output import emit_json


@click.group(name="import")
def import_group() -> None:
    """Turn GitHub issues or Jira issues into tasks (re-importing updates, never duplicates)."""


@import_group.command("github")
@click.argument("repository", metavar="OWNER/REPO")
@click.option("--label", "-l", "labels", multiple=True, help="Only issues with this label (repeatable: all of them).")
@click.option(
    "--state", type=click.Choice(["open", "closed", "all"], case_sensitive=False), default="open", show_default=True
)
@click.option("--json", "as_json", is_flag=True)
@pass_context
def github(ctx: CliContext, repository, labels, state, as_json) -> None:
    """Import the issues of OWNER/REPO (github_api_url, CC_ORCHESTRATOR_GITHUB_TOKEN)."""
    repo = ctx.repo_if_any()
    result = ctx.orchestrator.integrations.import_github(
        repository, labels, state.lower(), repo=str(repo) if repo else None
    )
    _report(result, f"GitHub {repository}", as_json)


@import_group.command("jira")
@click.option("--jql", required=True, help="Which issues, e.g. 'project = WEB AND statusCategory != Done'.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def jira(ctx: CliContext, jql, as_json) -> None:
    """Import the Jira issues a JQL query finds (jira_url, jira_email, CC_ORCHESTRATOR_JIRA_TOKEN)."""
    repo = ctx.repo_if_any()
    result = ctx.orchestrator.integrations.import_jira(jql, repo=str(repo) if repo else None)
    _report(result, "Jira", as_json)


def _report(result, where: str, as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    click.echo(f"imported from {where}: {result.summary()}")
    for task in result.created:
        click.echo(f"  + task {task.id} {task.source_label}: {task.title}")
    for task in result.updated:
        click.echo(f"  ~ task {task.id} {task.source_label}: {task.title}")


@click.command("pr")
@click.argument("task_id")
@click.option(
    "--github",
    "repository",
    metavar="OWNER/REPO",
    help="Where to open it (default: where the task came from, else the push remote).",
)
@click.option("--draft", is_flag=True, default=None, help="Open it as a draft.")
@pass_context
def pr(ctx: CliContext, task_id, repository, draft) -> None:
    """Push a task's branch and open its pull request (or find the open one)."""
    outcome = ctx.orchestrator.integrations.open_pull_request(task_id, repository, draft)
    click.echo(outcome.message)


def follow_up(ctx: CliContext, as_json: bool = False) -> None:
    """Do upstream what the command's change asks for (pull request, Jira move, Slack notice),
    and say what happened: one line each, on stderr when it failed or stdout holds JSON."""
    for outcome in ctx.orchestrator.dispatcher.dispatch():
        if outcome.level.value == "DEBUG":
            continue
        click.echo(outcome.message, err=as_json or outcome.level.value != "INFO")
