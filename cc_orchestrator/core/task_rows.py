"""Reading tasks: the columns a page needs, filters, and rows into `models.Task`.

One SQL statement per page: each task's dependency ids and its `blocked` flag are computed by
SQLite inside the same query, only for the rows returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee as pw

from cc_orchestrator.core import task_graph
from cc_orchestrator.core.events import aware
from cc_orchestrator.core.models import ChecksState, Priority, Task, TaskStatus, parse_enum
from cc_orchestrator.core.store.tables import TaskRow
from cc_orchestrator.errors import InvalidInput

_COLUMNS = (
    TaskRow.id,
    TaskRow.title,
    TaskRow.description,
    TaskRow.source,
    TaskRow.source_id,
    TaskRow.status,
    TaskRow.assigned_instance,
    TaskRow.priority,
    TaskRow.created_at,
    TaskRow.updated_at,
    TaskRow.repo,
    TaskRow.source_project,
    TaskRow.source_url,
    TaskRow.pr_url,
    TaskRow.checks,
    TaskRow.host,
)


def select_tasks(blocked: pw.Node | None = None) -> pw.SelectQuery:
    """Task columns plus dependency ids and `blocked`, computed per row by SQLite.

    The two correlated subqueries run only for the rows returned, so a page costs one query.
    """
    if blocked is None:
        blocked = pw.fn.EXISTS(task_graph.blocking_subquery())
    return TaskRow.select(
        *_COLUMNS,
        task_graph.dependency_ids_subquery().alias("dependency_ids"),
        blocked.alias("blocked"),
    )


_STATUSES = {s.value: s for s in TaskStatus}
_PRIORITIES = {p.value: p for p in Priority}
_CHECKS = {c.value: c for c in ChecksState}


def _stamp(value: str | datetime) -> datetime:
    """A stored (naive UTC) timestamp, made aware. Parsing with the zone appended is about
    seven times faster than parsing and then `replace(tzinfo=...)`."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:  # not the usual naive form
            value = datetime.fromisoformat(value)
    return value if value.tzinfo else aware(value)


def to_task(values: tuple) -> Task:
    """The one place a task row (a raw tuple in `select_tasks` order) becomes a `Task`.

    Rows come straight from the cursor: Peewee's per-field converters (strptime for every
    timestamp) cost more than the query itself on a long ready queue.
    """
    (
        id_,
        title,
        description,
        source,
        source_id,
        status,
        assigned,
        priority,
        created,
        updated,
        repo,
        source_project,
        source_url,
        pr_url,
        checks,
        host,
        dependency_ids,
        blocked,
    ) = values
    return Task(
        id=id_,
        title=title,
        description=description,
        source=source,
        source_id=source_id,
        status=_STATUSES[status],
        assigned_instance=assigned,
        priority=_PRIORITIES[priority],
        created_at=_stamp(created),
        updated_at=_stamp(updated),
        dependencies=task_graph.parse_dependency_ids(dependency_ids),
        repo=repo,
        blocked=bool(blocked),
        source_project=source_project,
        source_url=source_url,
        pr_url=pr_url,
        checks=_CHECKS.get(checks or "", ChecksState.NONE),
        host=host or None,
    )


def parse_task_id(value: int | str) -> int:
    """A task id from an int or its text ("12"); InvalidInput for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            raise InvalidInput(f"invalid task id {_shown(value)}: ids are whole numbers between 1 and {MAX_ID}")
        number = int(text)
    if not 0 <= number <= MAX_ID:
        raise InvalidInput(f"invalid task id {_shown(value)}: ids are whole numbers between 1 and {MAX_ID}")
    return number


MAX_ID = 2**63 - 1  # SQLite's largest integer


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_page(limit: int | None, offset: int) -> None:
    if limit is not None and limit < 0:
        raise InvalidInput(f"limit must be 0 or more, not {limit}")
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more, not {offset}")
    if offset > MAX_ID or (limit is not None and limit > MAX_ID):  # SQLite's integers end there
        raise InvalidInput(f"limit and offset must be at most {MAX_ID}")


def filtered(query: pw.SelectQuery, status: Any, priority: Any, repo: str | None) -> pw.SelectQuery:
    if status is not None:
        query = query.where(TaskRow.status == parse_enum(TaskStatus, status, "status").value)
    if priority is not None:
        query = query.where(TaskRow.priority == parse_enum(Priority, priority, "priority").value)
    if repo is not None:
        query = query.where(TaskRow.repo == repo)
    return query
