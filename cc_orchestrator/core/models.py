"""The domain objects every face sees: enums and frozen dataclasses.

Peewee rows never leave the store; services return these. Field names follow the design
document's data model (id, task_id, worktree_path, tmux_session, status, ...).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from cc_orchestrator.errors import InvalidInput


class InstanceStatus(enum.StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    WAITING_INPUT = "WAITING_INPUT"
    IDLE = "IDLE"
    ERROR = "ERROR"
    STOPPED = "STOPPED"
    # Shown, never stored: its host does not answer. The row keeps the last state seen there,
    # which the first answer after the outage confirms or corrects (its tmux kept the agent).
    UNREACHABLE = "UNREACHABLE"

    @property
    def is_live(self) -> bool:
        """A live instance holds a slot and has (or is getting) an agent process."""
        return self not in (InstanceStatus.ERROR, InstanceStatus.STOPPED)


class TaskStatus(enum.StrEnum):
    PENDING = "PENDING"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    REVIEW = "REVIEW"
    DONE = "DONE"


class Priority(enum.StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"

    @property
    def rank(self) -> int:
        """Sort key: HIGH first."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


class WorktreeStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"  # a live instance works in it
    IDLE = "IDLE"  # no live instance; kept for review or reuse
    STALE = "STALE"  # its folder is gone, or nothing happened in it for a long time
    CLEANUP_PENDING = "CLEANUP_PENDING"  # removal was asked for but refused (unsaved work)


class CheckStatus(enum.StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"  # counts as failed
    INTERRUPTED = "interrupted"  # its watcher died: run again


class ChecksState(enum.StrEnum):
    """What the review gate last said about a task (the board colours its card by it)."""

    NONE = ""  # never checked
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"  # the agent was told and is fixing it
    GAVE_UP = "gave_up"  # failed review_max_rounds times: a person decides
    NO_CHECKS = "no_checks"  # the repository has none; moved on unchecked


class EventKind(enum.StrEnum):
    INSTANCE_STATUS = "instance_status"
    TASK_UPDATE = "task_update"
    WORKTREE_UPDATE = "worktree_update"
    LOG_MESSAGE = "log_message"


class Level(enum.StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


E = TypeVar("E", bound=enum.Enum)


def parse_enum(enum_cls: type[E], text: str | E, what: str) -> E:
    """Accept an enum value in any case (`high`, `In_Progress`); one clear error otherwise."""
    if isinstance(text, enum_cls):
        return text
    wanted = str(text).strip().upper().replace("-", "_")
    for member in enum_cls:
        if member.name == wanted:
            return member
    choices = ", ".join(m.name for m in enum_cls)
    raise InvalidInput(f"invalid {what} {text!r}: choose one of {choices}")


@dataclass(frozen=True)
class ResourceUsage:
    cpu_percent: float = 0.0
    memory_mb: float = 0.0
    processes: int = 0


@dataclass(frozen=True)
class Task:
    id: int
    title: str
    description: str
    source: str
    source_id: str
    status: TaskStatus
    assigned_instance: str | None
    priority: Priority
    created_at: datetime
    updated_at: datetime
    dependencies: tuple[int, ...] = ()
    repo: str | None = None
    blocked: bool = False  # some dependency is not DONE yet
    source_project: str = ""  # "owner/repo" for GitHub, the site for Jira
    source_url: str = ""  # where a person opens the issue
    pr_url: str = ""  # the pull request opened when it reached REVIEW
    checks: ChecksState = ChecksState.NONE  # the review gate's latest word
    host: str | None = None  # the host it must run on (None: any host that holds its repository)

    @property
    def source_label(self) -> str:
        """ "owner/repo#12", "PROJ-7" or "manual": how every face names a task's origin."""
        if self.source == "github" and self.source_project:
            return f"{self.source_project}#{self.source_id}"
        return self.source_id or self.source


@dataclass(frozen=True)
class Instance:
    id: str
    task_id: int | None
    worktree_path: str
    tmux_session: str
    status: InstanceStatus
    pid: int | None
    created_at: datetime
    last_activity: datetime
    resource_usage: ResourceUsage = field(default_factory=ResourceUsage)
    repo: str | None = None
    branch: str | None = None
    worktree_id: str | None = None
    agent_command: tuple[str, ...] = ()
    layout: str = "default"
    exit_status: int | None = None
    status_message: str = ""
    pending_prompt: bool = False  # a prompt waits for the agent to be ready
    agent: str = "generic"  # the agent profile
    waiting_for: str = ""  # the question on screen while WAITING_INPUT
    tokens_in: int = 0
    tokens_out: int = 0
    model: str | None = None
    held_until: datetime | None = None  # usage limit: no new work before this time
    restarts: int = 0
    session_id: str | None = None  # the agent's own conversation id, to resume it
    host: str = "local"  # the machine it runs on (`hosts list`)
    unreachable_since: datetime | None = None  # its host has not answered since then


@dataclass(frozen=True)
class Worktree:
    id: str
    path: str
    branch: str
    base_branch: str
    instance_id: str | None
    created_at: datetime
    last_commit: str
    status: WorktreeStatus
    repo: str
    dirty: bool | None = None  # None: not inspected (listing without git calls)
    exists: bool = True
    merged_at: datetime | None = None  # its branch was merged into its base: removing it loses nothing


@dataclass(frozen=True)
class Overlap:
    """Two active worktrees of one repository that change the same files, or one whose branch no
    longer merges cleanly into its base's tip (`base` names it). Filled from what the review
    loop's overlap check (`core/review/overlaps.py`) stored: no git when read."""

    worktree_ids: tuple[str, ...]  # two; one for a conflict with its base
    instance_ids: tuple[str | None, ...]  # the instances working in them, in the same order
    files: tuple[str, ...]  # changed by both; for a conflict with the base, the files in conflict
    conflicts: bool = False  # their changes no longer merge cleanly
    conflict_files: tuple[str, ...] = ()  # where
    repo: str = ""
    branches: tuple[str, ...] = ()  # the worktrees' branches, in the same order
    base: str = ""  # the base branch whose tip it conflicts with; "" for two worktrees

    def involves(self, instance_id: str | None = None, worktree_id: str | None = None) -> bool:
        return (instance_id is not None and instance_id in self.instance_ids) or (
            worktree_id is not None and worktree_id in self.worktree_ids
        )

    def others(self, worktree_id: str) -> str:
        """Who the worktree overlaps with, as a person reads it: `instance 9b0d44`, `base main`."""
        if self.base:
            return f"base {self.base}"
        index = 1 if self.worktree_ids[0] == worktree_id else 0
        return _who(self.instance_ids[index], self.worktree_ids[index])

    def summary(self, worktree_id: str | None = None, most: int = 3) -> str:
        """One line: "CONFLICT with instance 9b0d44 in src/app.py" from one worktree's side,
        else naming both."""
        files = listed(self.conflict_files if self.conflicts else self.files, most)
        if worktree_id is not None:
            who = self.others(worktree_id)
        elif self.base:
            who = f"{_who(self.instance_ids[0], self.worktree_ids[0])} and base {self.base}"
        else:
            who = " and ".join(_who(i, w) for i, w in zip(self.instance_ids, self.worktree_ids, strict=True))
        if self.conflicts:
            return f"CONFLICT {'with ' if worktree_id else ''}{who} in {files}"
        return f"overlap {'with ' if worktree_id else ''}{who}: {files}"


def _who(instance_id: str | None, worktree_id: str) -> str:
    return f"instance {instance_id}" if instance_id else f"worktree {worktree_id}"


def listed(files: tuple[str, ...] | list[str], most: int = 3) -> str:
    """`a.py, b.py and 4 more`."""
    files = list(files)
    if len(files) <= most:
        return ", ".join(files) or "-"
    return f"{', '.join(files[:most])} and {len(files) - most} more"


@dataclass(frozen=True)
class CheckRun:
    """One run of a repository's checks, by the review gate or the merge queue."""

    id: int
    task_id: int
    instance_id: str | None
    purpose: str  # "gate" or "merge"
    command: str
    source: str
    folder: str
    head: str
    status: CheckStatus
    exit_code: int | None
    log_path: str
    tail: str
    started_at: datetime
    finished_at: datetime | None = None

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None


@dataclass(frozen=True)
class WorktreeReport:
    """What removing a worktree would lose, and where its branch stands against its base."""

    worktree: Worktree
    uncommitted_files: list[str]
    unpushed_commits: list[str]  # "<short sha> <subject>"
    ahead: int
    behind: int


@dataclass(frozen=True)
class Event:
    id: int
    created_at: datetime
    kind: EventKind
    level: Level
    message: str
    instance_id: str | None = None
    task_id: int | None = None
    worktree_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExternalIssue:
    """An issue in GitHub or Jira, as an import turns it into a task."""

    source: str  # "github" or "jira"
    source_project: str  # "owner/repo", or the Jira site's host
    source_id: str  # the issue number, or the Jira key
    source_url: str
    title: str
    description: str
    priority: Priority
    closed: bool = False  # closed upstream: a PENDING task for it becomes DONE


@dataclass(frozen=True)
class ImportResult:
    source: str
    created: tuple[Task, ...] = ()
    updated: tuple[Task, ...] = ()
    unchanged: int = 0
    skipped: int = 0  # pull requests among GitHub's issues, and the like

    def summary(self) -> str:
        return f"{len(self.created)} new, {len(self.updated)} updated, {self.unchanged} unchanged" + (
            f", {self.skipped} skipped" if self.skipped else ""
        )


@dataclass(frozen=True)
class TmuxSession:
    name: str
    instance_id: str | None
    windows: int
    attached: bool
    created_at: datetime | None
    ours: bool  # created by this orchestrator (by name and marker)
    orphan: bool = False  # ours, but no live instance row claims it


LOCAL_HOST = "local"  # the machine the orchestrator runs on: always there, never stored


@dataclass(frozen=True)
class Host:
    """A machine agents run on: `local`, or a remote one reached over ssh (`hosts add`)."""

    name: str
    url: str  # ssh://user@host[:port]; "" for local
    repos: tuple[str, ...] = ()  # repository paths on that host, checked when added
    max_instances: int | None = None  # live instances at once there (None: no limit of its own)
    added_at: datetime | None = None
    last_seen: datetime | None = None  # when it last answered
    last_error: str = ""  # why it did not, the last time it did not
    latency_ms: float | None = None  # one call through the open connection, at the last check
    tmux_version: str = ""
    git_version: str = ""
    agents: tuple[str, ...] = ()  # agent CLIs found on its PATH at the last check
    instances: int = 0  # live instances there now
    unreachable_since: datetime | None = None  # it has not answered since then (None: it answers)

    @property
    def is_local(self) -> bool:
        return self.name == LOCAL_HOST

    @property
    def reachable(self) -> bool:
        return self.unreachable_since is None


@dataclass(frozen=True)
class RepoCheck:
    path: str  # as given
    found: bool  # a folder inside a git repository
    toplevel: str = ""  # the repository's root, when found
    problem: str = ""  # why not, when not found


@dataclass(frozen=True)
class HostCheck:
    """What `hosts check` (and `hosts add`, before saving) found on a host."""

    host: str
    reachable: bool
    connect_ms: float | None = None  # the first call, which opens the connection when none is open
    latency_ms: float | None = None  # the median of calls through the open connection
    tmux_version: str = ""
    git_version: str = ""
    agents: dict[str, str] = field(default_factory=dict)  # agent CLI -> its path there
    repos: tuple[RepoCheck, ...] = ()
    problems: tuple[str, ...] = ()  # each one line; none: the host can run agents

    @property
    def ok(self) -> bool:
        return self.reachable and not self.problems


def to_json(obj: Any) -> Any:
    """A JSON-ready structure: enums by name, datetimes as ISO 8601, tuples as lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    return obj
