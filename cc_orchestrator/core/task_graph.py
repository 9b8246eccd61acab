"""Task dependencies: the SQL that says whether a task is blocked, and cycle refusal.

An edge (task, depends_on) means "task cannot start until depends_on is DONE". The graph is
kept acyclic: an edge is refused when depends_on already reaches task. Every function here
runs inside the caller's transaction, so a refused edge leaves the graph as it was.
"""

from __future__ import annotations

from collections.abc import Iterable

import peewee as pw

from cc_orchestrator.core.models import TaskStatus
from cc_orchestrator.core.store.tables import TaskDependencyRow, TaskRow
from cc_orchestrator.errors import InvalidInput, NotFound

# Stay well under SQLite's limit on bound parameters in one statement.
_CHUNK = 500


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def blocking_subquery() -> pw.SelectQuery:
    """Correlated: the outer task's dependencies that are not DONE yet.

    Uses the (task_id, depends_on_id) primary key, then the tasks primary key, so wrapping it in
    NOT EXISTS costs two index probes per candidate task.
    """
    edge = TaskDependencyRow.alias("blk_edge")
    dep = TaskRow.alias("blk_dep")
    return (
        edge.select(pw.SQL("1"))
        .join(dep, on=(edge.depends_on == dep.id))
        .where((edge.task == TaskRow.id) & (dep.status != TaskStatus.DONE.value))
    )


def dependency_ids_subquery() -> pw.SelectQuery:
    """Correlated: the outer task's dependency ids as one comma-separated text (or NULL)."""
    edge = TaskDependencyRow.alias("dep_edge")
    return edge.select(pw.fn.GROUP_CONCAT(edge.depends_on)).where(edge.task == TaskRow.id)


def parse_dependency_ids(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    return tuple(sorted(map(int, text.split(","))))


def blockers(task_id: int) -> list[int]:
    """Ids of the task's dependencies that are not DONE, lowest first."""
    query = (
        TaskDependencyRow.select(TaskDependencyRow.depends_on)
        .join(TaskRow, on=(TaskDependencyRow.depends_on == TaskRow.id))
        .where((TaskDependencyRow.task == task_id) & (TaskRow.status != TaskStatus.DONE.value))
        .order_by(TaskDependencyRow.depends_on)
    )
    return [dep_id for (dep_id,) in query.tuples()]


def require_tasks(ids: Iterable[int]) -> None:
    """NotFound naming the lowest id that has no task."""
    wanted = sorted(set(ids))
    found: set[int] = set()
    for chunk in _chunks(wanted):
        found.update(i for (i,) in TaskRow.select(TaskRow.id).where(TaskRow.id.in_(chunk)).tuples())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"no task {missing[0]}")


def path_between(start: int, goal: int) -> list[int] | None:
    """The shortest dependency path start -> ... -> goal, or None when goal is unreachable.

    Breadth first, one query per level of the graph, each task visited once.
    """
    parents: dict[int, int | None] = {start: None}
    frontier = [start]
    while frontier:
        following: list[int] = []
        for chunk in _chunks(frontier):
            edges = (
                TaskDependencyRow.select(TaskDependencyRow.task, TaskDependencyRow.depends_on)
                .where(TaskDependencyRow.task.in_(chunk))
                .tuples()
            )
            for source, target in edges:
                if target in parents:
                    continue
                parents[target] = source
                if target == goal:
                    path = [goal]
                    while (step := parents[path[-1]]) is not None:
                        path.append(step)
                    return path[::-1]
                following.append(target)
        frontier = following
    return None


def add_edges(task_id: int, dep_ids: Iterable[int], *, check_cycles: bool = True) -> None:
    """Add task -> dep edges, refusing self-dependencies, unknown tasks and cycles.

    Edges are inserted one by one so each cycle check also sees the edges added before it.
    `check_cycles=False` is for a new task, which nothing depends on yet.
    """
    wanted = sorted(set(dep_ids))
    if task_id in wanted:
        raise InvalidInput(f"task {task_id} cannot depend on itself")
    require_tasks(wanted)
    for dep_id in wanted:
        cycle = path_between(dep_id, task_id) if check_cycles else None
        if cycle is not None:
            shown = " -> ".join(str(i) for i in [task_id, *cycle])
            raise InvalidInput(f"dependency cycle: {shown}")
        TaskDependencyRow.insert(task=task_id, depends_on=dep_id).on_conflict_ignore().execute()


def remove_edges(task_id: int, dep_ids: Iterable[int]) -> None:
    """Drop task -> dep edges; edges that do not exist are ignored."""
    for chunk in _chunks(sorted(set(dep_ids))):
        TaskDependencyRow.delete().where(
            (TaskDependencyRow.task == task_id) & TaskDependencyRow.depends_on.in_(chunk)
        ).execute()
