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
    prompt_pending: bool
    agent: str
    waiting_for: str
    tokens_in: int
    tokens_out: int
    model: str | None
    held_until: datetime | None
    restarts: int


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


class WorktreeCreate(In):
    repo: str | None = None
    branch: str = Field(min_length=1, max_length=200)
    base: str | None = Field(None, max_length=200)
