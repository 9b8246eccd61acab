"""The task board: tasks, their dependencies, and the moves a task may make.

A task waits (PENDING) until every task it depends on is DONE; the orchestrator then assigns
it to an instance (ASSIGNED), the agent works on it (IN_PROGRESS), a person may review it
(REVIEW), and it ends DONE. Every change is one transaction that also writes a task_update
event, so every face (TUI, web, CLI) sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import peewee as pw

from cc_orchestrator.core import task_graph
from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.models import (
    EventKind,
    ExternalIssue,
    ImportResult,
    InstanceStatus,
    Priority,
    Task,
    TaskStatus,
    parse_enum,
)
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import InstanceRow, TaskRow
from cc_orchestrator.core.task_rows import check_page, filtered, parse_task_id, select_tasks, to_task
from cc_orchestrator.core.text import checked, cleaned
from cc_orchestrator.errors import Conflict, InvalidInput, NotFound

T = TypeVar("T")

TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset({TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.DONE}),
    TaskStatus.ASSIGNED: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.PENDING}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.REVIEW, TaskStatus.DONE, TaskStatus.PENDING}),
    TaskStatus.REVIEW: frozenset({TaskStatus.DONE, TaskStatus.IN_PROGRESS, TaskStatus.PENDING}),
    TaskStatus.DONE: frozenset({TaskStatus.PENDING}),  # reopen
}
# Starting work needs every dependency DONE.
_NEEDS_UNBLOCKED = frozenset({TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS})

MAX_TITLE = 500


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput("task title must not be empty")
    return checked(title, "task title", MAX_TITLE)


class TaskService:
    """Add, change, list and hand out tasks.

    `assign` and `set_status` are meant to run inside the orchestrator's own `store.write`
    transaction, next to its instance changes; called outside one, they open their own.
    """

    def __init__(self, store: Store, events: EventLog) -> None:
        self.store = store
        self.events = events

    # -- reading ------------------------------------------------------------------------

    def get(self, task_id: int | str) -> Task:
        tid = parse_task_id(task_id)
        return self.store.read(lambda: self._fetch(tid))

    def list(
        self,
        status: TaskStatus | str | None = None,
        priority: Priority | str | None = None,
        repo: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Task]:
        """Tasks ordered by id, each with its dependencies and `blocked` (one query)."""
        check_page(limit, offset)
        query = filtered(select_tasks(), status, priority, repo).order_by(TaskRow.id)
        if limit is not None or offset:
            query = query.limit(limit).offset(offset)
        return self.store.read(lambda: self._tasks(query))

    def count(
        self,
        status: TaskStatus | str | None = None,
        priority: Priority | str | None = None,
        repo: str | None = None,
    ) -> int:
        query = filtered(TaskRow.select(TaskRow.id), status, priority, repo)
        return self.store.read(query.count)

    def ready(self, limit: int | None = None, repo: str | None = None) -> list[Task]:
        """PENDING tasks whose dependencies are all DONE: highest priority first, then oldest."""
        check_page(limit, 0)
        query = (
            select_tasks(blocked=pw.SQL("0"))
            .where((TaskRow.status == TaskStatus.PENDING.value) & ~pw.fn.EXISTS(task_graph.blocking_subquery()))
            .order_by(TaskRow.priority_rank, TaskRow.id)
        )
        if repo is not None:
            query = query.where(TaskRow.repo == repo)
        if limit is not None:
            query = query.limit(limit)
        return self.store.read(lambda: self._tasks(query))

    # -- changing -----------------------------------------------------------------------

    def add(
        self,
        title: str,
        description: str = "",
        priority: Priority | str = Priority.MEDIUM,
        dependencies: Iterable[int | str] = (),
        repo: str | None = None,
        source: str = "manual",
        source_id: str = "",
        host: str | None = None,
    ) -> Task:
        """`host`: the host it must run on (a name `hosts list` shows; checked by the caller)."""
        title = _clean_title(title)
        level = parse_enum(Priority, priority, "priority")
        dep_ids = [parse_task_id(d) for d in dependencies]

        def write() -> Task:
            now = utcnow()
            tid = TaskRow.insert(
                title=title,
                description=checked(description or "", "task description"),
                source=source or "manual",
                source_id=source_id or "",
                status=TaskStatus.PENDING.value,
                assigned_instance=None,
                priority=level.value,
                priority_rank=level.rank,
                repo=repo or None,
                host=host if host and host != "local" else None,
                created_at=now,
                updated_at=now,
            ).execute()
            # Nothing depends on a new task yet, so its edges cannot close a cycle.
            task_graph.add_edges(tid, dep_ids, check_cycles=False)
            task = self._fetch(tid)
            self._event(task, f"task {tid} added: {title}")
            return task

        return self.store.write(write)

    def update(
        self,
        task_id: int | str,
        *,
        title: str | None = None,
        description: str | None = None,
        priority: Priority | str | None = None,
        status: TaskStatus | str | None = None,
        add_dependencies: Iterable[int | str] = (),
        remove_dependencies: Iterable[int | str] = (),
        dependencies: Iterable[int | str] | None = None,
    ) -> Task:
        """Change a task in one transaction: a refused change (bad move, cycle) changes nothing.

        `dependencies` replaces the whole set (read and replaced in the same transaction);
        `add_dependencies` and `remove_dependencies` change it by difference."""
        tid = parse_task_id(task_id)
        fields: dict[str, Any] = {}
        if title is not None:
            fields["title"] = _clean_title(title)
        if description is not None:
            fields["description"] = checked(description, "task description")
        if priority is not None:
            level = parse_enum(Priority, priority, "priority")
            fields.update(priority=level.value, priority_rank=level.rank)
        new_status = parse_enum(TaskStatus, status, "status") if status is not None else None
        adding = {parse_task_id(d) for d in add_dependencies}
        removing = {parse_task_id(d) for d in remove_dependencies}
        if both := sorted(adding & removing):
            raise InvalidInput(f"task {both[0]} is both added to and removed from the dependencies")

        wanted = None if dependencies is None else {parse_task_id(d) for d in dependencies}

        def write() -> Task:
            before = self._fetch(tid)
            old = set(before.dependencies)
            add, remove = adding, removing
            if wanted is not None:  # the whole set, as it is in this transaction
                add, remove = add | (wanted - old), remove | (old - wanted)
            task_graph.remove_edges(tid, remove)
            task_graph.add_edges(tid, add)
            changes = dict(fields)
            if new_status is not None and new_status is not before.status:
                changes.update(self._move(before, new_status))
                if new_status is TaskStatus.ASSIGNED:  # with no instance, reconcile would only undo it
                    raise InvalidInput(
                        f"cannot move task {tid} from {before.status} to ASSIGNED by hand: "
                        f"`tasks assign {tid}` starts an instance for it"
                    )
            edges_changed = ((old - remove) | add) != old
            return self._apply(before, changes, edges_changed=edges_changed)

        return self.store.write(write)

    def import_issues(self, issues: Iterable[ExternalIssue], repo: str | None = None) -> ImportResult:
        """Make or refresh one task per issue, in one transaction: all or nothing.

        A task is found again by (source, project, id), so re-importing updates and never
        duplicates. Title, description and priority follow the issue; an issue closed upstream
        moves its PENDING task to DONE; a task someone works on keeps its status.
        """
        items = list(issues)
        if not items:
            return ImportResult(source="")

        def write() -> ImportResult:
            created: list[Task] = []
            updated: list[Task] = []
            unchanged = 0
            known = self._imported(items)
            for issue in items:
                before = known.get((issue.source, issue.source_project, issue.source_id))
                title = _clean_title(cleaned(issue.title)[:MAX_TITLE])
                if before is None:
                    task = self._insert_imported(issue, title, repo)
                    known[(issue.source, issue.source_project, issue.source_id)] = task
                    created.append(task)
                    continue
                changes: dict[str, Any] = {
                    "title": title,
                    "description": cleaned(issue.description),
                    "priority": issue.priority.value,
                    "priority_rank": issue.priority.rank,
                    "source_url": issue.source_url,
                }
                if issue.closed and before.status is TaskStatus.PENDING:
                    changes.update(self._move(before, TaskStatus.DONE))
                after = self._apply(before, changes)
                if after is before:
                    unchanged += 1
                else:
                    updated.append(after)
            return ImportResult(items[0].source, tuple(created), tuple(updated), unchanged)

        return self.store.write(write)

    def _imported(self, issues: list[ExternalIssue]) -> dict[tuple[str, str, str], Task]:
        """The tasks already made from these issues' projects, by (source, project, id): one query
        per project, not one per issue."""
        found: dict[tuple[str, str, str], Task] = {}
        for source, project in {(i.source, i.source_project) for i in issues}:
            query = select_tasks().where((TaskRow.source == source) & (TaskRow.source_project == project))
            for task in self._tasks(query.order_by(TaskRow.id.desc())):  # the oldest one wins
                found[(task.source, task.source_project, task.source_id)] = task
        return found

    def _insert_imported(self, issue: ExternalIssue, title: str, repo: str | None) -> Task:
        now = utcnow()
        status = TaskStatus.DONE if issue.closed else TaskStatus.PENDING
        tid = TaskRow.insert(
            title=title,
            description=cleaned(issue.description),
            source=issue.source,
            source_id=issue.source_id,
            source_project=issue.source_project,
            source_url=issue.source_url,
            status=status.value,
            priority=issue.priority.value,
            priority_rank=issue.priority.rank,
            repo=repo or None,
            created_at=now,
            updated_at=now,
        ).execute()
        task = self._fetch(tid)
        self._event(task, f"task {tid} imported from {task.source_label}: {title}")
        return task

    def set_pull_request(self, task_id: int | str, url: str) -> Task:
        """Record the pull request opened for a task."""
        tid = parse_task_id(task_id)
        return self._in_write(lambda: self._apply(self._fetch(tid), {"pr_url": url}))

    def remove(self, task_id: int | str) -> Task:
        """Delete a task; refused while a live instance works on it. Returns it as it was."""
        tid = parse_task_id(task_id)
        dead = [s.value for s in InstanceStatus if not s.is_live]

        def write() -> Task:
            task = self._fetch(tid)
            worker = (
                InstanceRow.select(InstanceRow.id)
                .where((InstanceRow.task == tid) & InstanceRow.status.not_in(dead))
                .order_by(InstanceRow.id)
                .scalar()
            )
            if worker is not None:
                raise Conflict(f"task {tid} is being worked on by instance {worker}; stop it first")
            # Dependency edges go by ON DELETE CASCADE, instances.task_id by SET NULL.
            TaskRow.delete().where(TaskRow.id == tid).execute()
            self._event(task, f"task {tid} removed: {task.title}", removed=True)
            return task

        return self.store.write(write)

    def assign(self, task_id: int | str, instance_id: str) -> Task:
        """Hand a ready task to an instance (inside the caller's transaction)."""
        tid = parse_task_id(task_id)
        if not instance_id:
            raise InvalidInput("an instance id is needed to assign a task")

        def write() -> Task:
            before = self._fetch(tid)
            if before.status is not TaskStatus.PENDING:
                raise Conflict(f"task {tid} is {before.status}, not PENDING")
            self._require_unblocked(tid)
            changes = {"status": TaskStatus.ASSIGNED.value, "assigned_instance": instance_id}
            return self._apply(before, changes)

        return self._in_write(write)

    def set_status(self, task_id: int | str, status: TaskStatus | str, *, instance_id: str | None = None) -> Task:
        """Move a task as `update` would, optionally recording the instance working on it."""
        tid = parse_task_id(task_id)
        new_status = parse_enum(TaskStatus, status, "status")

        def write() -> Task:
            before = self._fetch(tid)
            changes: dict[str, Any] = {}
            if new_status is not before.status:
                changes.update(self._move(before, new_status))
            if instance_id is not None and new_status is not TaskStatus.PENDING:
                changes["assigned_instance"] = instance_id
            return self._apply(before, changes)

        return self._in_write(write)

    def release_unstarted(self) -> list[Task]:
        """ASSIGNED tasks whose instance is not live (it failed, was stopped, or a crash left it
        behind before the prompt was delivered) go back to PENDING, to be assigned again.

        Asked again inside the write that releases them: a start commits its live instance
        with the task it assigns, so a task assigned meanwhile is never taken back. An idle
        refresh only reads."""

        def stuck() -> list[int]:
            live = InstanceRow.select(InstanceRow.id).where(
                InstanceRow.status.in_([s.value for s in InstanceStatus if s.is_live])
            )
            orphaned = TaskRow.assigned_instance.is_null() | TaskRow.assigned_instance.not_in(live)
            return [
                r.id for r in TaskRow.select(TaskRow.id).where(TaskRow.status == TaskStatus.ASSIGNED.value, orphaned)
            ]

        if not self.store.read(stuck):
            return []
        return self.store.write(lambda: [self.set_status(t, TaskStatus.PENDING) for t in stuck()])

    # -- inside a transaction -----------------------------------------------------------

    def _in_write(self, fn: Callable[[], T]) -> T:
        if self.store.db.in_transaction():
            return fn()
        return self.store.write(fn)

    def _tasks(self, query: pw.SelectQuery) -> list[Task]:
        return [to_task(values) for values in self.store.db.execute(query)]

    def _fetch(self, tid: int) -> Task:
        found = self._tasks(select_tasks().where(TaskRow.id == tid))
        if not found:
            raise NotFound(f"no task {tid}")
        return found[0]

    def _require_unblocked(self, tid: int) -> None:
        if blockers := task_graph.blockers(tid):
            raise Conflict(f"task {tid} is blocked by {', '.join(map(str, blockers))}")

    def _move(self, task: Task, new_status: TaskStatus) -> dict[str, Any]:
        """The row changes for a status move, or an error saying why it is not allowed."""
        allowed = TRANSITIONS[task.status]
        if new_status not in allowed:
            names = ", ".join(s.value for s in TaskStatus if s in allowed)
            raise InvalidInput(f"cannot move task {task.id} from {task.status} to {new_status}; allowed: {names}")
        if new_status in _NEEDS_UNBLOCKED:
            self._require_unblocked(task.id)
        changes: dict[str, Any] = {"status": new_status.value}
        if new_status is TaskStatus.PENDING:
            changes["assigned_instance"] = None
        return changes

    def _apply(self, before: Task, changes: dict[str, Any], *, edges_changed: bool = False) -> Task:
        """Write the fields that really change; one event if anything did (edges included)."""
        real = {k: v for k, v in changes.items() if k != "priority_rank" and getattr(before, k) != v}
        if not real and not edges_changed:
            return before
        if "priority" in real:
            real["priority_rank"] = changes["priority_rank"]
        real["updated_at"] = utcnow()
        TaskRow.update(**real).where(TaskRow.id == before.id).execute()
        after = self._fetch(before.id)
        message = f"task {after.id} {_describe(before, after)}"
        moved = {"previous": before.status.value} if before.status is not after.status else {}
        self._event(after, message, instance=before.assigned_instance, **moved)
        return after

    def _event(self, task: Task, message: str, *, instance: str | None = None, **extra: Any) -> None:
        self.events.add(
            EventKind.TASK_UPDATE,
            message,
            task_id=task.id,
            instance_id=task.assigned_instance or instance,
            data={
                "status": task.status.value,
                "assigned_instance": task.assigned_instance,
                "priority": task.priority.value,
                **extra,
            },
        )


def _describe(before: Task, after: Task) -> str:
    """What changed, for the event message: "IN_PROGRESS -> DONE; priority LOW -> HIGH"."""
    parts = []
    if before.status is not after.status:
        parts.append(f"{before.status} -> {after.status}")
    if before.assigned_instance != after.assigned_instance:
        parts.append(
            f"assigned to instance {after.assigned_instance}"
            if after.assigned_instance
            else f"released by instance {before.assigned_instance}"
        )
    if before.priority is not after.priority:
        parts.append(f"priority {before.priority} -> {after.priority}")
    if before.title != after.title:
        parts.append("title changed")
    if before.description != after.description:
        parts.append("description changed")
    if before.pr_url != after.pr_url:
        parts.append(f"pull request {after.pr_url}")
    if before.dependencies != after.dependencies:
        shown = ", ".join(map(str, after.dependencies)) or "none"
        parts.append(f"depends on {shown}")
    return "; ".join(parts)
