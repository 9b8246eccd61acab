"""`worktrees`: git worktrees, one per instance, removed only when nothing would be lost."""

from __future__ import annotations

import click

from cc_orchestrator.cli.context import CliContext, pass_context
from cc_orchestrator.cli.context import in_repo as in_repo_of
from cc_orchestrator.cli.output import emit_json, fields, repo_name, table, truncate
from cc_orchestrator.core.models import to_json


@click.group(name="worktrees")
def command() -> None:
    """Create, list and safely remove git worktrees."""


@command.command("create")
@click.argument("branch")
@click.option("--base", help="Branch or commit to start from (default: the current branch).")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def create(ctx: CliContext, branch, base, as_json) -> None:
    """Create a worktree on a new BRANCH."""
    worktree = ctx.orchestrator.worktrees.create(ctx.repo(), branch, base)
    if as_json:
        emit_json(worktree)
    else:
        click.echo(f"created worktree {worktree.id} on {worktree.branch} at {worktree.path}")


@command.command("list")
@click.option("--in-repo", "in_repo", metavar="PATH", help="Only worktrees of this repository.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def list_(ctx: CliContext, in_repo, as_json) -> None:
    """List worktrees with branch, base, last commit, dirty state and status."""
    found = ctx.orchestrator.worktrees.list(in_repo_of(in_repo))
    if as_json:
        emit_json(found)
        return
    table(
        ["ID", "STATUS", "BRANCH", "BASE", "DIRTY", "INSTANCE", "LAST COMMIT", "REPO"],
        (
            [
                w.id,
                w.status.value,
                w.branch,
                w.base_branch,
                "yes" if w.dirty else ("no" if w.dirty is False else "-"),
                w.instance_id,
                truncate(w.last_commit, 40),
                repo_name(w.repo),
            ]
            for w in found
        ),
        empty="no worktrees",
    )


@command.command("show")
@click.argument("worktree")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def show(ctx: CliContext, worktree, as_json) -> None:
    """Show a worktree and what removing it would lose (without --force: the same list `rm`
    would refuse with)."""
    report = ctx.orchestrator.worktrees.inspect(worktree)
    losses = ctx.orchestrator.worktrees.losses(report.worktree.id)
    if as_json:
        lost = {"files": losses.files, "ignored": losses.ignored, "commits": losses.commits}
        emit_json({**to_json(report), "losses": {**lost, "detached": losses.detached, "on_branch": losses.on_branch}})
        return
    w = report.worktree
    fields(
        [
            ("id", w.id),
            ("path", w.path),
            ("branch", w.branch),
            ("base", w.base_branch),
            ("status", w.status.value),
            ("instance", w.instance_id),
            ("last commit", w.last_commit),
            ("ahead/behind", f"{report.ahead}/{report.behind}"),
            ("unpushed", len(report.unpushed_commits)),
            ("would lose", _lost_counts(losses) or "nothing"),
        ]
    )
    for name in losses.files:
        click.echo(f"  uncommitted: {name}")
    for name in losses.ignored:
        click.echo(f"  ignored: {name}")
    for commit in losses.commits:
        click.echo(f"  on no other ref: {commit}")


def _lost_counts(losses) -> str:
    counts = [
        (len(losses.files), "uncommitted"),
        (len(losses.ignored), "ignored"),
        (len(losses.commits), "commits on no other ref"),
    ]
    return ", ".join(f"{n} {what}" for n, what in counts if n)


@command.command("rm")
@click.argument("worktree")
@click.option("--force", is_flag=True, help="Delete uncommitted files, ignored files and unsaved commits too.")
@click.option("--keep-branch", is_flag=True, help="Keep the branch (its commits stay safe).")
@pass_context
def rm(ctx: CliContext, worktree, force, keep_branch) -> None:
    """Remove a worktree (by id or path) and its branch; refused, with the list, if work would
    be lost: uncommitted files, ignored files that are not caches or build outputs (and any the
    `protect` setting names), commits no other branch, tag or remote holds."""
    removed = ctx.orchestrator.worktrees.remove(worktree, force=force, keep_branch=keep_branch)
    click.echo(f"removed worktree {removed.id} ({removed.branch}) at {removed.path}")


@command.command("prune")
@pass_context
def prune(ctx: CliContext) -> None:
    """Forget worktrees whose folders were deleted by hand."""
    pruned = ctx.orchestrator.worktrees.prune()
    for w in pruned:
        click.echo(f"pruned worktree {w.id} ({w.branch}): {w.path} no longer exists")
    if not pruned:
        click.echo("nothing to prune")


@command.command("overlaps")
@click.option("--repo", "repo", metavar="PATH", help="Only worktrees of this repository (default: every one).")
@click.option("--fresh", is_flag=True, help="Ask git about every active worktree, not only those that moved.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def overlaps(ctx: CliContext, repo, fresh, as_json) -> None:
    """Active worktrees that change the same files, and branches that no longer merge (with each
    other, or into their base's tip). Only what moved since the last look is asked of git: a
    new commit, a moved base, an agent's turn ending; --fresh asks about everything."""
    orch = ctx.orchestrator
    orch.overlaps.update(force=fresh)
    found = orch.overlaps.current(in_repo_of(repo or ctx.repo_option))
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo("no overlaps")
        return
    for overlap in found:
        sides = [f"{i or '-'} ({b})" for i, b in zip(overlap.instance_ids, overlap.branches, strict=True)]
        if overlap.base:
            sides.append(f"base {overlap.base}")
        files = overlap.conflict_files if overlap.conflicts else overlap.files
        marker = "CONFLICT" if overlap.conflicts else "overlap "
        click.echo(f"{marker}  {' and '.join(sides)}: {', '.join(files)}")
