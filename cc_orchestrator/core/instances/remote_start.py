"""Starting an agent on a remote host (journey 2 over ssh): the worktree is made there with git,
our hooks written into it, the tmux session started on the host's tmux; the row says which
host. A failure rolls back what this call made there, as a local start does here.

Every remote command is a fixed script with arguments (`RemoteHost.sh`); the prompt travels
later, as locally, through a tmux buffer loaded from stdin.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cc_orchestrator.core.agents import claude_hooks
from cc_orchestrator.core.hosts.remote import RemoteHost
from cc_orchestrator.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from cc_orchestrator.core.models import Host

# $1 repository, $2 branch wanted, $3 base ("" for the repository's HEAD), $4 folder for the
# worktrees, $5 "1" when the branch was named (taken: refuse) or "0" (taken: try NAME-2 ...),
# $6 and $7 our spool and log folders. Prints the branch and the worktree's path.
WORKTREE_SCRIPT = r"""
repo=$1 want=$2 base=$3 dir=$4 exact=$5
umask 077 && mkdir -p "$6" "$7" || exit 1
top=$(git -C "$repo" rev-parse --show-toplevel 2>/dev/null) || { echo "$repo is not a git repository" >&2; exit 1; }
git check-ref-format --branch "$want" >/dev/null 2>&1 || { echo "invalid branch name: $want" >&2; exit 1; }
n=1 b=$want
while git -C "$top" show-ref --verify --quiet "refs/heads/$b" || [ -e "$dir/$(printf %s "$b" | tr / -)" ]; do
  [ "$exact" = 1 ] && { echo "branch $b exists already" >&2; exit 1; }
  n=$((n + 1)); b="$want-$n"
  [ "$n" -gt 99 ] && { echo "no free branch name after $want" >&2; exit 1; }
done
path="$dir/$(printf %s "$b" | tr / -)"
umask 022 && mkdir -p "$dir" && git -C "$top" worktree add -q -b "$b" "$path" ${base:+"$base"} >&2 || exit 1
printf '%s\n%s\n' "$b" "$path"
"""

# $1 worktree, $2 spool, $3 the line keeping our settings out of commits; stdin: the settings.
HOOKS_SCRIPT = r"""
wt=$1 spool=$2 line=$3
umask 077
mkdir -p "$(dirname "$spool")" "$wt/.claude" && : >> "$spool" && chmod 600 "$spool" || exit 1
f="$wt/.claude/settings.local.json"
cat > "$f.cco-tmp" && mv "$f.cco-tmp" "$f" || exit 1
ex=$(git -C "$wt" rev-parse --git-path info/exclude) || exit 0
case $ex in /*) ;; *) ex="$wt/$ex" ;; esac
mkdir -p "$(dirname "$ex")" && { grep -qxF "$line" "$ex" 2>/dev/null || printf '%s\n' "$line" >> "$ex"; }
"""

# $1 repository, $2 worktree, $3 branch, $4 "1" to force (work there is lost).
REMOVE_SCRIPT = r"""
if [ "$4" = 1 ]; then git -C "$1" worktree remove --force "$2"; else git -C "$1" worktree remove "$2"; fi || exit 1
[ -z "$3" ] || [ "$4" != 1 ] || git -C "$1" branch -D "$3" >/dev/null 2>&1 || true
"""


def repository_on(host: Host, wanted: str | None) -> str:
    """The repository on `host` for a task or a start: the path itself when the host holds it,
    else the one with the same folder name (the same project, cloned there), else the host's
    only one."""
    if not host.repos:
        raise Conflict(f"host {host.name} holds no repository: add one with `hosts add ... --repo PATH`")
    if wanted:
        text = str(wanted).rstrip("/")
        if text in host.repos:
            return text
        named = [r for r in host.repos if r.rsplit("/", 1)[-1] == text.rsplit("/", 1)[-1]]
        if len(named) == 1:
            return named[0]
    if len(host.repos) == 1:
        return host.repos[0]
    choices = ", ".join(host.repos)
    raise InvalidInput(f"host {host.name} holds several repositories ({choices}); say which with --repo")


def make_worktree(remote: RemoteHost, repo: str, branch: str, base: str | None, exact: bool) -> tuple[str, str]:
    """A new branch and its worktree there; (branch, path)."""
    folder = remote.worktree_path(repo, "x").rsplit("/", 1)[0]
    done = remote.checked(
        "making the worktree",
        remote.sh(
            WORKTREE_SCRIPT, repo, branch, base or "", folder, "1" if exact else "0", remote.spool_dir, remote.logs_dir
        ),
    )
    lines = done.lines()
    if len(lines) < 2:
        raise Conflict(f"host {remote.name}: git made no worktree")
    return lines[-2], lines[-1]


def remove_worktree(remote: RemoteHost, repo: str, path: str, branch: str, force: bool) -> None:
    """Remove a worktree there; without `force`, git refuses one with changes."""
    remote.checked("removing the worktree", remote.sh(REMOVE_SCRIPT, repo, path, branch, "1" if force else "0"))


def install_hooks(remote: RemoteHost, worktree: str, spool: str) -> None:
    """Our Claude Code hooks merged into the worktree's settings there, as `claude_hooks.install`
    does here (two round trips: what is there, then the merged file)."""
    path = f"{worktree}/{claude_hooks.SETTINGS.as_posix()}"
    found = remote.run(["cat", path])
    existing: dict = {}
    if found.returncode == 0 and found.stdout.strip():
        try:
            existing = json.loads(found.text)
        except ValueError:
            raise InvalidInput(
                f"{path} on host {remote.name} is not valid JSON; fix it so hooks can be added"
            ) from None
    if not isinstance(existing, dict):
        raise InvalidInput(f"{path} on host {remote.name} does not hold a JSON object")
    merged = json.dumps(claude_hooks.merged_settings(existing, spool), indent=2) + "\n"
    remote.checked(
        "installing hooks", remote.sh(HOOKS_SCRIPT, worktree, spool, claude_hooks.EXCLUDE_LINE, stdin=merged)
    )


def prepare_run(remote: RemoteHost, instance_id: str, profile, argv: list[str], worktree: str, run: int):
    """The command and environment of an agent's pane there, our hooks wired in (Claude Code's;
    other agents are read from their screen)."""
    env = {**profile.env, "CC_ORCHESTRATOR_INSTANCE_ID": instance_id}
    if profile.hooks == "claude":
        install_hooks(remote, worktree, remote.spool(instance_id, run))
    return argv, env


def start_on(service, host_name: str, repo, *, task_id, branch, base, command, layout, prompt, agent):
    """`InstanceService.start` on a remote host: reserve a slot there and a row (STARTING), make
    the worktree and our hooks there, start the session on its tmux; roll back what was made."""
    from cc_orchestrator.core.instances.rows import new_instance_id
    from cc_orchestrator.core.instances.starting import (
        _default_branch,
        _reserve,
        agent_argv,
        mark_running,
        task_prompt,
    )
    from cc_orchestrator.core.store.tables import InstanceRow
    from cc_orchestrator.core.text import checked
    from cc_orchestrator.core.tmux.layouts import resolve_layout

    host = service.hosts.get(host_name)
    remote = service.fleet.remote(host.name)
    plan = resolve_layout(layout or service.settings.default_layout, service.settings.custom_layouts)
    profile = service.settings.profile(agent, command)
    argv = agent_argv(profile)
    task = service.tasks.get(task_id) if task_id is not None else None
    if task is not None and prompt is None:
        prompt = task_prompt(task)
    if prompt is not None:
        checked(prompt, "the prompt")
    where = repository_on(host, str(repo) if repo else None)
    instance_id = service.store.read(new_instance_id)
    wanted = branch or _default_branch(instance_id, task)
    row = service.store.write(
        lambda: _reserve(
            service, instance_id, where, wanted, argv, plan.name, task_id, prompt, profile.name, host=host.name
        )
    )
    made: tuple[str, str] | None = None
    try:
        made = make_worktree(remote, where, wanted, base, exact=bool(branch))
        made_branch, path = made
        service.store.write(
            lambda: (
                InstanceRow.update(worktree_path=path, branch=made_branch)
                .where(InstanceRow.id == instance_id)
                .execute()
            )
        )
        command_line, env = prepare_run(remote, instance_id, profile, argv, path, 0)
        pane = remote.tmux.create_session(
            row.tmux_session, path, command_line, plan, env, log_command=remote.pipe_command(instance_id)
        )

        service.store.write(lambda: mark_running(service, instance_id, pane.pid))
    except BaseException as exc:
        _roll_back(service, remote, instance_id, row.tmux_session, where, made, task_id, exc)
        raise
    service.events.log(f"instance {instance_id} started on host {host.name} in {made[1]}", instance_id=instance_id)
    return service.get(instance_id, refresh=False)


def _roll_back(service, remote: RemoteHost, instance_id, session, repo, made, task_id, exc) -> None:
    """Undo what this start made there and here: the session, the rows, the brand-new worktree."""
    import contextlib

    from cc_orchestrator.core.models import Level, TaskStatus
    from cc_orchestrator.core.store.tables import InstanceRow

    with contextlib.suppress(Exception):
        if remote.tmux.panes().get(session) is not None:
            remote.tmux.kill_session(session)

    def undo() -> None:
        InstanceRow.delete().where(InstanceRow.id == instance_id).execute()
        if task_id is not None:
            service.tasks.set_status(task_id, TaskStatus.PENDING)

    try:
        service.store.write(undo)
        if made is not None:  # nothing of the user's is in it yet
            remove_worktree(remote, repo, made[1], made[0], force=True)
        reason = str(exc) or type(exc).__name__
        service.events.log(f"could not start an instance on host {remote.name}: {reason}", level=Level.ERROR)
    except Exception:
        pass  # the original error is what the user needs to see
