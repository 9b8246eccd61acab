"""The API's request and response bodies: Pydantic mirrors of the core's frozen dataclasses.

Field names are the design document's (and the core's): `id`, `task_id`, `worktree_path`,
`tmux_session`, `status`, `resource_usage`, ... Responses are built straight from the
dataclasses (`from_attributes`), so no field is renamed on the way out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cc_orchestrator.core.models import (
    EventKind,
    InstanceStatus,
    Level,
    Priority,
    TaskStatus,
    WorktreeStatus,
)

T = TypeVar("T")


def _upper(value: Any) -> Any:
    return value.strip().upper().replace("-", "_") if isinstance(value, str) else value


PriorityIn = Annotated[Priority, BeforeValidator(_upper)]
TaskStatusIn = Annotated[TaskStatus, BeforeValidator(_upper)]
Argument = Annotated[str, Field(max_length=4096)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- responses ----------------------------------------------------------------------------


class ResourceUsageOut(Out):
    cpu_percent: float
    memory_mb: float
    processes: int


class InstanceOut(Out):
    id: str
    task_id: int | None
    worktree_path: str
    tmux_session: str
    status: InstanceStatus
    pid: int | None
    created_at: datetime
    last_activity: datetime
    resource_usage: ResourceUsageOut
    repo: str | None
    branch: str | None
    worktree_id: str | None
    agent_command: list[str]
    layout: str
    exit_status: int | None
    status_message: str
    pending_prompt: bool
    agent: str
    waiting_for: str
    tokens_in: int
    tokens_out: int
    model: str | None
    held_until: datetime | None
    restarts: int
    session_id: str | None


class TaskOut(Out):
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
    dependencies: list[int]
    repo: str | None
    blocked: bool
    source_project: str = Field(description='"owner/repo" for GitHub, the site for Jira; "" for manual tasks')
    source_url: str = Field(description='where a person opens the issue; "" for manual tasks')
    source_label: str = Field(description='"owner/repo#12", "PROJ-7" or "manual"')
    pr_url: str = Field(description='its pull request, once opened; else ""')


class WorktreeOut(Out):
    id: str
    path: str
    branch: str
    base_branch: str
    instance_id: str | None
    created_at: datetime
    last_commit: str
    status: WorktreeStatus
    repo: str
    dirty: bool | None
    exists: bool


class WorktreeReportOut(Out):
    worktree: WorktreeOut
    uncommitted_files: list[str]
    unpushed_commits: list[str]
    ahead: int
    behind: int


class EventOut(Out):
    id: int
    created_at: datetime
    kind: EventKind
    level: Level
    message: str
    instance_id: str | None
    task_id: int | None
    worktree_id: str | None
    data: dict[str, Any]


class ImportResultOut(Out):
    """What an import did: tasks made, tasks refreshed, and how many needed nothing."""

    source: str
    created: list[TaskOut]
    updated: list[TaskOut]
    unchanged: int
    skipped: int = Field(description="pull requests among GitHub's issues, and the like")
    summary: str = Field(description='one line: "2 new, 1 updated, 0 unchanged"')


class OutcomeOut(Out):
    """What an upstream action did, in one line, and the link it made (a pull request)."""

    level: Level
    message: str
    task_id: int | None
    url: str


class IntegrationsOut(BaseModel):
    github: bool
    jira: bool
    slack: bool


class ConfigEntryOut(Out):
    key: str
    value: Any
    source: str
    secret: bool


class ConfigOut(BaseModel):
    entries: list[ConfigEntryOut]


class Page(BaseModel, Generic[T]):
    """One page of a list: `items`, and `total` matching the filters (for the next offsets)."""

    items: list[T]
    total: int
    limit: int
    offset: int


class MetricSample(BaseModel):
    timestamp: datetime
    cpu_percent: float
    memory_mb: float


class InstanceMetrics(BaseModel):
    instance_id: str
    samples: list[MetricSample]


class LogTail(BaseModel):
    instance_id: str
    lines: list[str]


class Repositories(BaseModel):
    default: str | None = Field(description="the repository the server was started in, if any")
    known: list[str] = Field(description="repositories that have instances or worktrees")


class Agents(BaseModel):
    default: str
    names: list[str]


# -- requests -----------------------------------------------------------------------------


class InstanceCreate(In):
    repo: str | None = Field(None, description="git repository (default: the server's)")
    task_id: int | None = None
    branch: str | None = Field(None, max_length=200)
    base: str | None = Field(None, max_length=200)
    agent: str | None = Field(None, max_length=100, description="agent profile name")
    command: list[Argument] | None = Field(
        None, max_length=64, description="program and arguments, run without a shell"
    )
    layout: str | None = Field(None, max_length=100)
    prompt: str | None = Field(None, max_length=100_000)


class InstanceUpdate(In):
    status: Literal["STOPPED", "RUNNING"] = Field(
        description="STOPPED stops a live instance; RUNNING restarts a stopped or failed one"
    )


class StopRequest(In):
    remove_worktree: bool = False
    force: bool = False


class SendRequest(In):
    text: str = Field(min_length=1, max_length=100_000)
    enter: bool = True


class TaskCreate(In):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=100_000)
    priority: PriorityIn = Priority.MEDIUM
    dependencies: list[int] = Field(default_factory=list, max_length=1000)
    repo: str | None = None


class TaskUpdate(In):
    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=100_000)
    priority: PriorityIn | None = None
    status: TaskStatusIn | None = None
    dependencies: list[int] | None = Field(None, max_length=1000, description="the whole new set")
    add_dependencies: list[int] = Field(default_factory=list, max_length=1000)
    remove_dependencies: list[int] = Field(default_factory=list, max_length=1000)


class AssignRequest(In):
    repo: str | None = None


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class GitHubImport(In):
    source: Literal["github"]
    repository: str = Field(min_length=1, max_length=300, description="OWNER/REPO (or its github.com URL)")
    labels: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20, description="only issues carrying all of these"
    )
    state: Annotated[Literal["open", "closed", "all"], BeforeValidator(_lower)] = "open"
    repo: str | None = Field(None, description="local git repository of the new tasks (default: the server's)")


class JiraImport(In):
    source: Literal["jira"]
    jql: str = Field(min_length=1, max_length=10_000, examples=["project = WEB AND statusCategory != Done"])
    repo: str | None = Field(None, description="local git repository of the new tasks (default: the server's)")


ImportRequest = Annotated[GitHubImport | JiraImport, Field(discriminator="source")]


class PullRequestCreate(In):
    repository: str | None = Field(
        None, max_length=300, description="OWNER/REPO (default: where the task came from, else the push remote)"
    )
    draft: bool | None = Field(None, description="default: the github_draft setting")


class WorktreeCreate(In):
    repo: str | None = None
    branch: str = Field(min_length=1, max_length=200)
    base: str | None = Field(None, max_length=200)
