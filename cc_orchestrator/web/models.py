"""The API's request and response bodies.

Responses are derived from the core's frozen dataclasses (`derived`): the same field names,
order and types, never retyped by hand, and built straight from them (`from_attributes`), so no
field is renamed or forgotten on the way out. Requests cap text at the core's own limits
(`core.text.MAX_PROMPT`), so every face accepts the same prompt.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from cc_orchestrator.core.configuration import ConfigEntry
from cc_orchestrator.core.integrations.service import Outcome
from cc_orchestrator.core.models import (
    CheckRun,
    Event,
    Host,
    ImportResult,
    Instance,
    Overlap,
    Priority,
    ResourceUsage,
    Task,
    TaskStatus,
    Worktree,
    WorktreeReport,
)
from cc_orchestrator.core.text import MAX_PROMPT

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


class MergeOut(Out):
    """A merge that happened (a refusal is a 409 with its one line)."""

    task_id: int
    merged: bool
    strategy: str
    base: str
    branch: str
    commit: str = Field(description="the base's new tip")
    checked_again: bool = Field(description="the merge result was checked on a base that had moved")
    seconds: float
    line: str


def _out_type(hint: Any) -> Any:
    """A core field's type as a response states it: a dataclass by its model, a tuple as a list."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _DERIVED[hint]
    args = get_args(hint)
    if get_origin(hint) in (tuple, list) and args:
        return list[_out_type(args[0])]
    if get_origin(hint) in (Union, UnionType):
        return functools.reduce(operator.or_, [_out_type(a) for a in args])
    return hint


_DERIVED: dict[type, type[Out]] = {}


def derived(
    core: type, doc: str | None = None, *, describe: dict[str, str] | None = None, add: dict[str, Any] | None = None
) -> type[Out]:
    """The response model of the core dataclass `core`: its fields in its order, each required (a
    response always carries it), typed from the dataclass, so a field added to the core reaches the
    API and its schema by itself. `describe` documents fields; `add` appends computed ones
    (properties), as `name=(type, Field(...))`."""
    hints = get_type_hints(core)
    fields: dict[str, Any] = {f.name: (_out_type(hints[f.name]), ...) for f in dataclasses.fields(core)}
    for name, text in (describe or {}).items():
        fields[name] = (fields[name][0], Field(description=text))
    fields.update(add or {})
    model = create_model(f"{core.__name__}Out", __base__=Out, __module__=__name__, __doc__=doc, **fields)
    _DERIVED[core] = model
    return model


ResourceUsageOut = derived(ResourceUsage)
InstanceOut = derived(Instance)
TaskOut = derived(
    Task,
    describe={
        "source_project": '"owner/repo" for GitHub, the site for Jira; "" for manual tasks',
        "source_url": 'where a person opens the issue; "" for manual tasks',
        "pr_url": 'its pull request, once opened; else ""',
        "checks": 'the review gate\'s latest word on its work; "" before its first check',
    },
    add={"source_label": (str, Field(description='"owner/repo#12", "PROJ-7" or "manual"'))},
)
CheckRunOut = derived(
    CheckRun,
    "One run of a repository's checks, by the review gate or the merge queue.",
    describe={
        "tail": "the last lines of its output",
        "log_path": "its whole output, on the server",
        "exit_code": "null while it runs, or when it was interrupted",
    },
    add={"seconds": (float | None, Field(description="how long it took; null while it runs"))},
)
WorktreeOut = derived(Worktree)
WorktreeReportOut = derived(WorktreeReport)
OverlapOut = derived(
    Overlap,
    "Two active worktrees that change the same files, or one whose branch no longer merges into its base's tip.",
    describe={"base": 'the base branch it no longer merges into; "" for two worktrees'},
)
EventOut = derived(Event)
ImportResultOut = derived(
    ImportResult,
    "What an import did: tasks made, tasks refreshed, and how many needed nothing.",
    describe={"skipped": "pull requests among GitHub's issues, and the like"},
    add={"summary": (str, Field(description='one line: "2 new, 1 updated, 0 unchanged"'))},
)
OutcomeOut = derived(Outcome, "What an upstream action did, in one line, and the link it made (a pull request).")
ConfigEntryOut = derived(ConfigEntry)
HostOut = derived(
    Host,
    "A machine agents run on: `local`, or a remote one over ssh, with its health as last seen.",
    describe={
        "url": 'ssh://user@host[:port]; "" for local',
        "unreachable_since": "it has not answered since then; null while it answers",
    },
    add={
        "reachable": (bool, Field(description="it answers (its instances are not UNREACHABLE)")),
        "is_local": (bool, Field(description="this machine, the server's")),
    },
)


class ChecksOut(BaseModel):
    """What checks a task's work, where that came from, and every run on record."""

    command: str | None = Field(description="the shell command; null when the repository has none")
    source: str = Field(
        description='where it came from: ".cc-orchestrator.toml", "setting review_checks", "detected: ..."'
    )
    runs: list[CheckRunOut] = Field(description="oldest first")


class IntegrationsOut(BaseModel):
    github: bool
    jira: bool
    slack: bool


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


class Repos(BaseModel):
    default: str | None = Field(description="the repository the server was started in, if any")
    known: list[str] = Field(description="repositories that have instances or worktrees")


class Agents(BaseModel):
    default: str
    names: list[str]


# -- requests -----------------------------------------------------------------------------


HostName = Annotated[str | None, Field(None, max_length=100, description="a host's name (`/api/hosts`)")]


class InstanceCreate(In):
    repo: str | None = Field(None, description="git repository (default: the server's)")
    host: HostName = None
    task_id: int | None = None
    branch: str | None = Field(None, max_length=200)
    base: str | None = Field(None, max_length=200)
    agent: str | None = Field(None, max_length=100, description="agent profile name")
    command: list[Argument] | None = Field(
        None, max_length=64, description="program and arguments, run without a shell"
    )
    layout: str | None = Field(None, max_length=100)
    prompt: str | None = Field(None, max_length=MAX_PROMPT)


class InstanceUpdate(In):
    status: Literal["STOPPED", "RUNNING"] = Field(
        description="STOPPED stops a live instance; RUNNING restarts a stopped or failed one"
    )


class StopRequest(In):
    remove_worktree: bool = False
    force: bool = False


class SendRequest(In):
    text: str = Field(min_length=1, max_length=MAX_PROMPT)
    enter: bool = True


class TaskCreate(In):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=MAX_PROMPT)
    priority: PriorityIn = Priority.MEDIUM
    dependencies: list[int] = Field(default_factory=list, max_length=1000)
    repo: str | None = None
    host: HostName = None  # the host it must run on (default: any that holds its repository)


class TaskUpdate(In):
    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=MAX_PROMPT)
    priority: PriorityIn | None = None
    status: TaskStatusIn | None = None
    dependencies: list[int] | None = Field(None, max_length=1000, description="the whole new set")
    add_dependencies: list[int] = Field(default_factory=list, max_length=1000)
    remove_dependencies: list[int] = Field(default_factory=list, max_length=1000)


class AssignRequest(In):
    repo: str | None = None
    host: HostName = None  # default: the task's own host, else this machine


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


class MergeRequest(In):
    strategy: Literal["merge", "squash", "rebase"] | None = Field(None, description="default: the review_merge setting")


class PullRequestCreate(In):
    repository: str | None = Field(
        None, max_length=300, description="OWNER/REPO (default: where the task came from, else the push remote)"
    )
    draft: bool | None = Field(None, description="default: the github_draft setting")


class WorktreeCreate(In):
    repo: str | None = None
    branch: str = Field(min_length=1, max_length=200)
    base: str | None = Field(None, max_length=200)
