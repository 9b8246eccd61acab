"""The events table: state changes and the orchestrator's own log, in order.

Every face polls "what happened since event N", so changes made by any process (TUI, web
server, CLI, hook ingest) reach all of them. The agents' raw screen output goes to log files.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import peewee as pw

from cc_orchestrator.core.models import Event, EventKind, Level
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import EventRow


def utcnow() -> datetime:
    """Naive UTC, as stored; `aware` adds the zone on the way out."""
    return datetime.now(UTC).replace(tzinfo=None)


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def _to_event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        created_at=aware(row.created_at),
        kind=EventKind(row.kind),
        level=Level(row.level),
        message=row.message,
        instance_id=row.instance_id,
        task_id=row.task_id,
        worktree_id=row.worktree_id,
        data=json.loads(row.data or "{}"),
    )


def _about(query, instance_id: str | None, task_id: int | None):
    if instance_id is not None:
        query = query.where(EventRow.instance_id == instance_id)
    if task_id is not None:
        query = query.where(EventRow.task_id == task_id)
    return query


class EventLog:
    """Append and read events. `add` joins the caller's transaction; `log` makes its own."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        kind: EventKind,
        message: str,
        *,
        level: Level = Level.INFO,
        instance_id: str | None = None,
        task_id: int | None = None,
        worktree_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> int:
        row = EventRow.create(
            created_at=utcnow(),
            kind=kind.value,
            level=level.value,
            message=message,
            instance_id=instance_id,
            task_id=task_id,
            worktree_id=worktree_id,
            data=json.dumps(data or {}, default=str),
        )
        return row.id

    def log(self, message: str, *, level: Level = Level.INFO, **refs: Any) -> int:
        """A standalone log_message event in its own transaction."""
        return self.store.write(lambda: self.add(EventKind.LOG_MESSAGE, message, level=level, **refs))

    def since(
        self,
        after_id: int = 0,
        *,
        limit: int = 500,
        instance_id: str | None = None,
        task_id: int | None = None,
        kinds: tuple[EventKind, ...] = (),
        min_level: Level | None = None,
    ) -> list[Event]:
        """Events with id > after_id, oldest first."""

        def query() -> list[Event]:
            q = _about(EventRow.select().where(EventRow.id > after_id), instance_id, task_id)
            if kinds:
                q = q.where(EventRow.kind.in_([k.value for k in kinds]))
            if min_level is not None:
                order = list(Level)
                allowed = [lv.value for lv in order[order.index(min_level) :]]
                q = q.where(EventRow.level.in_(allowed))
            return [_to_event(r) for r in q.order_by(EventRow.id).limit(limit)]

        return self.store.read(query)

    def claim(self, name: str, kinds: tuple[EventKind, ...], batch: int = 200) -> list[Event]:
        """The events of `kinds` after the cursor `name`, which moves past them inside the same
        write: each event goes to exactly one claimer, whichever process it runs in. The first
        claim ever only places the cursor at the end, so history is never acted on."""
        from cc_orchestrator.core.store.tables import CursorRow

        cursor, newest = self.store.read(lambda: cursor_positions(name))
        if cursor is not None and newest <= cursor:
            return []  # the usual case costs one read

        def take() -> list[Event]:
            row = CursorRow.get_or_none(CursorRow.name == name)
            if row is None:
                CursorRow.insert(name=name, value=newest).on_conflict_ignore().execute()
                return []
            found = self.since(row.value, limit=batch, kinds=kinds)
            if len(found) == batch:  # more to come: the next claim goes on from here
                reached = found[-1].id
            else:  # everything up to now (events written since the first read included)
                reached = max(newest, row.value, found[-1].id if found else 0)
            CursorRow.update(value=reached).where(CursorRow.name == name).execute()
            return found

        return self.store.write(take)

    def tail(self, *, limit: int = 50, instance_id: str | None = None, task_id: int | None = None) -> list[Event]:
        """The newest `limit` events (of one instance or task, when given), oldest first."""

        def query() -> list[Event]:
            q = _about(EventRow.select(), instance_id, task_id)
            rows = list(q.order_by(EventRow.id.desc()).limit(limit))
            return [_to_event(r) for r in reversed(rows)]

        return self.store.read(query)

    def latest_id(self) -> int:
        return self.store.read(lambda: EventRow.select(EventRow.id).order_by(EventRow.id.desc()).scalar() or 0)

    # -- retention (core/retention.py drives these) ------------------------------------------

    def latest_of_each(self) -> set[int]:
        """The newest event of every instance and of every task: kept whatever their age, so
        each face can still show an instance's last change and what became of each task."""

        def query() -> set[int]:
            newest = pw.fn.MAX(EventRow.id)
            found: set[int] = set()
            for column in (EventRow.instance_id, EventRow.task_id):
                rows = EventRow.select(newest).where(column.is_null(False)).group_by(column).tuples()
                found.update(r[0] for r in rows)
            return found

        return self.store.read(query)

    def older_than(self, cutoff: datetime, after_id: int, up_to_id: int, limit: int) -> tuple[list[int], bool]:
        """Ids after `after_id` (and at most `up_to_id`) of events made before `cutoff`, oldest
        first, at most `limit`; and whether the scan reached the first newer event or the end.
        Ids grow with time, so the scan stops at the first event made after `cutoff`."""

        def query() -> tuple[list[int], bool]:
            rows = (
                EventRow.select(EventRow.id, EventRow.created_at)
                .where((EventRow.id > after_id) & (EventRow.id <= up_to_id))
                .order_by(EventRow.id)
                .limit(limit)
                .tuples()
            )
            ids: list[int] = []
            for event_id, created_at in rows:
                if created_at >= cutoff:
                    return ids, True
                ids.append(event_id)
            return ids, len(ids) < limit

        return self.store.read(query)

    def delete(self, ids: list[int]) -> int:
        """Remove these events in one short write transaction; how many went."""
        if not ids:
            return 0
        return self.store.write(lambda: EventRow.delete().where(EventRow.id.in_(ids)).execute())


def cursor_positions(name: str) -> tuple[int | None, int]:
    """Inside a transaction: the cursor `name` (None before its first claim) and the newest event id."""
    from cc_orchestrator.core.store.tables import CursorRow

    row = CursorRow.get_or_none(CursorRow.name == name)
    return (row.value if row else None), (EventRow.select(pw.fn.MAX(EventRow.id)).scalar() or 0)
