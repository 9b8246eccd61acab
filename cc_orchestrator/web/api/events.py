"""/api/events: the event table, for the activity feed and for catching up after a resync."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cc_orchestrator.core.models import EventKind, Level, parse_enum
from cc_orchestrator.core.task_rows import MAX_ID
from cc_orchestrator.web.api.deps import Svc
from cc_orchestrator.web.models import EventOut

router = APIRouter(prefix="/api/events", tags=["events"])


@router.get("", response_model=list[EventOut], summary="Recent events, or events after an id")
def list_events(
    svc: Svc,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="events with a larger id, oldest first")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    instance_id: str | None = None,
    task_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="only this task's events")] = None,
    kind: Annotated[
        str | None, Query(description="instance_status, task_update, worktree_update or log_message")
    ] = None,
    min_level: Annotated[str | None, Query(description="DEBUG, INFO, WARNING or ERROR")] = None,
):
    """Without `after`: the newest `limit` events (oldest first)."""
    events = svc.orchestrator.events
    kinds = (parse_enum(EventKind, kind, "kind"),) if kind else ()
    level = parse_enum(Level, min_level, "level") if min_level else None
    if after is None and not kinds and level is None:
        found = events.tail(limit=limit, instance_id=instance_id, task_id=task_id)
    else:
        found = events.since(
            after or 0, limit=limit, instance_id=instance_id, task_id=task_id, kinds=kinds, min_level=level
        )
    return [EventOut.model_validate(e) for e in found]
