"""What must hold in the database whatever the user typed: read with plain sqlite3, not our store."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

STATUSES = {"PENDING", "ASSIGNED", "IN_PROGRESS", "REVIEW", "DONE"}


def task_count(data_dir: Path) -> int:
    with _open(data_dir) as con:
        return con.execute("select count(*) from tasks").fetchone()[0]


def check_database(data_dir: Path) -> None:
    """SQLite's own checks, then ours: every dependency names a task, no task depends on itself
    through any path, every status is one we know, and every ASSIGNED task names an instance."""
    with _open(data_dir) as con:
        assert con.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert con.execute("pragma foreign_key_check").fetchall() == []
        tasks = dict(con.execute("select id, status from tasks"))
        edges = con.execute("select task_id, depends_on_id from task_dependencies").fetchall()
        assigned = con.execute("select id, assigned_instance from tasks where status = 'ASSIGNED'").fetchall()
    assert set(tasks.values()) <= STATUSES, tasks
    dangling = [(a, b) for a, b in edges if a not in tasks or b not in tasks]
    assert not dangling, f"dependencies on missing tasks: {dangling}"
    assert not [tid for tid, instance in assigned if not instance], f"ASSIGNED to no instance: {assigned}"
    cycle = find_cycle(edges)
    assert cycle is None, f"dependency cycle: {cycle}"


def find_cycle(edges: list[tuple[int, int]]) -> list[int] | None:
    """A list of task ids going round, or None (iterative DFS: a long chain is no problem)."""
    graph: dict[int, list[int]] = {}
    for task, dependency in edges:
        graph.setdefault(task, []).append(dependency)
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for root in graph:
        if state.get(root):
            continue
        path, stack = [root], [iter(graph.get(root, ()))]
        state[root] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(step) == 1:
                return path[path.index(step) :] + [step]
            elif not state.get(step):
                state[step] = 1
                path.append(step)
                stack.append(iter(graph.get(step, ())))
    return None


def _open(data_dir: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(Path(data_dir) / "orchestrator.db", timeout=30))
