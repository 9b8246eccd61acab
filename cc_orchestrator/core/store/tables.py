"""Peewee tables. Rows stay inside core; services convert them to `models` dataclasses."""

from __future__ import annotations

import peewee as pw
from playhouse.sqlite_ext import AutoIncrementField

database_proxy = pw.DatabaseProxy()


class BaseTable(pw.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class TaskRow(BaseTable):
    id = AutoIncrementField()  # ids are never reused, so old events stay unambiguous
    title = pw.TextField()
    description = pw.TextField(default="")
    source = pw.TextField(default="manual")
    source_id = pw.TextField(default="")  # the issue number or key where it came from
    source_project = pw.TextField(default="")  # "owner/repo" on GitHub, the site on Jira
    source_url = pw.TextField(default="")  # a link a person can open
    pr_url = pw.TextField(default="")  # the pull request opened for it
    checks = pw.TextField(default="")  # schema 8: the review gate's latest word (models.ChecksState)
    host = pw.TextField(null=True)  # schema 10: the host it must run on (None: any that holds its repo)
    status = pw.TextField(index=True)
    assigned_instance = pw.TextField(null=True, index=True)
    priority = pw.TextField()
    priority_rank = pw.SmallIntegerField()  # 0 = HIGH; for ordering the ready queue
    repo = pw.TextField(null=True, index=True)
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "tasks"
        indexes = (
            (("status", "priority_rank", "id"), False),
            (("source", "source_project", "source_id"), False),  # re-imports find their task
        )


class TaskDependencyRow(BaseTable):
    task = pw.ForeignKeyField(TaskRow, on_delete="CASCADE", column_name="task_id")
    depends_on = pw.ForeignKeyField(TaskRow, on_delete="CASCADE", column_name="depends_on_id", index=True)

    class Meta:
        table_name = "task_dependencies"
        primary_key = pw.CompositeKey("task", "depends_on")


class InstanceRow(BaseTable):
    id = pw.TextField(primary_key=True)
    task = pw.ForeignKeyField(TaskRow, null=True, on_delete="SET NULL", column_name="task_id", index=True)
    worktree_id = pw.TextField(null=True)
    worktree_path = pw.TextField()
    tmux_session = pw.TextField(unique=True)
    status = pw.TextField(index=True)
    status_message = pw.TextField(default="")
    pid = pw.IntegerField(null=True)
    exit_status = pw.IntegerField(null=True)
    repo = pw.TextField(null=True, index=True)
    branch = pw.TextField(null=True)
    agent_command = pw.TextField(default="[]")  # JSON argv
    layout = pw.TextField(default="default")
    starter_pid = pw.IntegerField(null=True)  # the process running start(); dead while STARTING = interrupted
    pending_prompt = pw.TextField(null=True)  # delivered once the agent is ready for it
    # schema 2: agent states
    agent = pw.TextField(default="generic")  # the agent profile's name
    waiting_for = pw.TextField(default="")  # the question on screen while WAITING_INPUT
    session_id = pw.TextField(null=True)  # the agent's own session (Claude Code's session_id)
    spool_offset = pw.IntegerField(default=0)  # bytes of the hook spool already ingested
    transcript_path = pw.TextField(null=True)
    transcript_offset = pw.IntegerField(default=0)
    last_message_id = pw.TextField(null=True)
    tokens_in = pw.IntegerField(default=0)
    tokens_out = pw.IntegerField(default=0)
    model = pw.TextField(null=True)
    held_until = pw.DateTimeField(null=True)  # usage limit: no new work until then
    limit_notice = pw.TextField(null=True)  # JSON: the usage-limit message handled, and when
    restarts = pw.IntegerField(default=0)
    # schema 4: when any process last read the pane's screen, and tmux's activity clock then,
    # so a new process re-reads only panes whose output moved since
    screen_captured_at = pw.FloatField(default=0.0)
    screen_activity = pw.FloatField(default=0.0)
    # schema 5: a delivery of the pending prompt under way: {"pid": ..., "pasted": bool}, so a
    # delivery cut short by a crash is finished (Enter) or done again, never lost
    delivering = pw.TextField(null=True)
    # schema 6: the process stopping it: while it lives, the agent's death is its stop, and
    # other processes leave the row to it (not "agent killed by signal 15", an ERROR)
    stopper_pid = pw.IntegerField(null=True)
    stopper_since = pw.IntegerField(null=True)  # schema 7: its start time (processes.started_at)
    # schema 8: why a person is needed although the agent idles ("checks failed 3 times"): it
    # shows WAITING_INPUT with this question until the agent works again
    attention = pw.TextField(null=True)
    # schema 9: the host it runs on (a HostRow's name, or "local": this machine)
    host = pw.TextField(default="local", index=True)
    log_offset = pw.IntegerField(default=0)  # schema 10: bytes of a remote pane log copied here
    created_at = pw.DateTimeField()
    last_activity = pw.DateTimeField()

    class Meta:
        table_name = "instances"


class WorktreeRow(BaseTable):
    id = pw.TextField(primary_key=True)
    path = pw.TextField(unique=True)
    branch = pw.TextField()
    base_branch = pw.TextField()
    created_branch = pw.BooleanField(default=True)  # we made the branch, so `rm` may delete it
    instance_id = pw.TextField(null=True, index=True)
    repo = pw.TextField(index=True)
    last_commit = pw.TextField(default="")
    status = pw.TextField(index=True)
    created_at = pw.DateTimeField()
    # schema 8: its branch was merged into its base (the commit it became): removing it loses nothing
    merged_at = pw.DateTimeField(null=True)
    merged_as = pw.TextField(default="")
    merged_tip = pw.TextField(default="")  # the branch's tip then: its commits are home, squashed or rebased

    class Meta:
        table_name = "worktrees"


class ConfigurationRow(BaseTable):
    key = pw.TextField(primary_key=True)
    value = pw.TextField()  # JSON
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "configurations"


class EventRow(BaseTable):
    id = AutoIncrementField()  # "events since N" relies on ids only growing
    created_at = pw.DateTimeField()
    kind = pw.TextField(index=True)
    level = pw.TextField()
    message = pw.TextField()
    instance_id = pw.TextField(null=True, index=True)
    task_id = pw.IntegerField(null=True, index=True)
    worktree_id = pw.TextField(null=True)
    data = pw.TextField(default="{}")  # JSON

    class Meta:
        table_name = "events"


class CursorRow(BaseTable):
    """How far a background reader (the integrations' dispatcher) got in the events table,
    shared by every process so each event is handled once."""

    name = pw.TextField(primary_key=True)
    value = pw.IntegerField()

    class Meta:
        table_name = "cursors"


class CheckRunRow(BaseTable):
    """One run of a repository's checks (schema 8): the review gate's, in an instance's
    worktree, or the merge queue's, on a merge result in a worktree of its own."""

    id = AutoIncrementField()
    task = pw.ForeignKeyField(TaskRow, on_delete="CASCADE", column_name="task_id", index=True)
    instance_id = pw.TextField(null=True, index=True)
    purpose = pw.TextField(default="gate")  # "gate" or "merge"
    command = pw.TextField()
    source = pw.TextField(default="")  # where the command came from, as `tasks show` says it
    folder = pw.TextField()  # where it ran
    head = pw.TextField(default="")  # the commit checked
    tree = pw.TextField(default="")  # the tree checked, leftovers included (a fingerprint of the work)
    window = pw.TextField(default="")  # the tmux window it runs in
    runner_pid = pw.IntegerField(null=True)  # the process watching it; dead while running = interrupted
    status = pw.TextField(index=True)  # models.CheckStatus
    exit_code = pw.IntegerField(null=True)
    log_path = pw.TextField(default="")
    tail = pw.TextField(default="")  # the output's last lines
    started_at = pw.DateTimeField()
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "check_runs"


class WorktreeChangeRow(BaseTable):
    """What an active worktree changed against its merge base, and what no longer merges
    (schema 8): computed again only when its fingerprint moves (HEAD, dirty set, base tip).
    core/review/overlaps.py writes and reads it."""

    worktree_id = pw.TextField(primary_key=True)
    repo = pw.TextField(index=True)
    fingerprint = pw.TextField(default="")  # JSON: {"head": ..., "base": ..., "dirty": ...}
    files = pw.TextField(default="[]")  # JSON: paths changed, committed or not
    committed = pw.TextField(default="[]")  # JSON: paths its commits changed since the merge base
    uncommitted = pw.TextField(default="[]")  # JSON: staged, unstaged and untracked paths
    base_conflicts = pw.TextField(default="[]")  # JSON: paths that conflict with the base's tip
    # JSON: a worktree with a greater id -> {"key": "<this head>:<its head>", "files": [...]}
    pair_conflicts = pw.TextField(default="{}")
    computed_at = pw.DateTimeField()

    class Meta:
        table_name = "worktree_changes"


class HostRow(BaseTable):
    """A remote machine agents may run on (schema 9), reached with the user's own ssh: no
    password or key is ever stored here. `local`, this machine, has no row."""

    id = AutoIncrementField()
    name = pw.TextField(unique=True)
    url = pw.TextField()  # ssh://user@host[:port]
    repos = pw.TextField(default="[]")  # JSON: repository paths there, checked when added
    max_instances = pw.IntegerField(null=True)  # None: no limit of its own
    added_at = pw.DateTimeField()
    last_seen = pw.DateTimeField(null=True)  # when it last answered
    last_error = pw.TextField(default="")  # why it did not, the last time it did not
    latency_ms = pw.FloatField(null=True)  # one call through the open connection, last check
    tmux_version = pw.TextField(default="")
    git_version = pw.TextField(default="")
    agents = pw.TextField(default="[]")  # JSON: agent CLIs found on its PATH, last check
    # schema 10: since when it has not answered (None: it answers); its instances show UNREACHABLE
    unreachable_since = pw.DateTimeField(null=True)
    home = pw.TextField(default="")  # $HOME there, where our spools and worktrees live

    class Meta:
        table_name = "hosts"


ALL_TABLES = (
    TaskRow,
    TaskDependencyRow,
    InstanceRow,
    WorktreeRow,
    ConfigurationRow,
    EventRow,
    CursorRow,
    CheckRunRow,
    WorktreeChangeRow,
    HostRow,
)
