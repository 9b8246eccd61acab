"""WebSocket messages, and each client's bounded outbox: one slow client never stalls another.

`web/feed.py` turns the core's pushed snapshots into messages. Each message is encoded once
and put on each client's bounded queue; a client whose queue is full has its backlog dropped
and gets one `resync` message (refetch over REST) instead: the server and the other clients
never wait for it.

Messages (JSON objects, `type` first; the design document's shapes plus `id` and details):
  instance_status  instance_id, status, resource_usage, message, previous, pid, task_id
  task_update      task_id, status, assigned_instance, priority, removed, message
  worktree_update  worktree_id, instance_id, message, data
  log_message      instance_id, level, message, timestamp (orchestrator events); with
                   `source: "agent"` and `lines`, new output of a subscribed instance's pane
  metrics          timestamp, instances: {id: {status, cpu_percent, memory_mb, processes}}
  hello            last_event_id (first message);  resync  reason
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cc_orchestrator.core.models import Event, EventKind, to_json

QUEUE_SIZE = 1000  # messages waiting per client
MAX_CLIENTS = 500


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), default=str)


def event_message(event: Event, usage=None) -> dict[str, Any]:
    """The WebSocket message for one row of the event table."""
    data = event.data or {}
    common = {
        "id": event.id,
        "timestamp": event.created_at.isoformat(),
        "level": event.level.value,
        "message": event.message,
    }
    if event.kind is EventKind.INSTANCE_STATUS:
        return {
            "type": "instance_status",
            "instance_id": event.instance_id,
            "status": data.get("status"),
            "resource_usage": to_json(usage) if usage is not None else None,
            "previous": data.get("previous"),
            "pid": data.get("pid"),
            "task_id": event.task_id,
            **common,
        }
    if event.kind is EventKind.TASK_UPDATE:
        return {
            "type": "task_update",
            "task_id": event.task_id,
            "status": data.get("status"),
            "assigned_instance": data.get("assigned_instance"),
            "priority": data.get("priority"),
            "removed": bool(data.get("removed")),
            **common,
        }
    if event.kind is EventKind.WORKTREE_UPDATE:
        return {
            "type": "worktree_update",
            "worktree_id": event.worktree_id,
            "instance_id": event.instance_id,
            "data": data,
            **common,
        }
    return {
        "type": "log_message",
        "instance_id": event.instance_id,
        "task_id": event.task_id,
        "worktree_id": event.worktree_id,
        "source": "orchestrator",
        **common,
    }


@dataclass(eq=False)
class Client:
    """One WebSocket connection's outbox and what it asked for."""

    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    log_instance: str | None = None  # the instance whose pane output it follows
    skipped: int = 0  # messages dropped because it read too slowly

    def offer(self, text: str) -> None:
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            dropped = 0
            while not self.queue.empty():
                self.queue.get_nowait()
                dropped += 1
            self.skipped += dropped + 1
            reason = f"this client fell {dropped + 1} messages behind; reload the state over REST"
            self.queue.put_nowait(encode({"type": "resync", "reason": reason}))


class Clients:
    """The connected clients (touched on the event loop only)."""

    def __init__(self) -> None:
        self.clients: set[Client] = set()

    def connect(self) -> Client | None:
        """A new client, or None when MAX_CLIENTS are connected already."""
        if len(self.clients) >= MAX_CLIENTS:
            return None
        client = Client()
        self.clients.add(client)
        return client

    def disconnect(self, client: Client) -> None:
        self.clients.discard(client)

    def publish(self, message: dict[str, Any] | str, log_of: str | None = None) -> None:
        """Send to every client, or with `log_of` only to those following that instance."""
        text = message if isinstance(message, str) else encode(message)
        for client in list(self.clients):
            if log_of is None or client.log_instance == log_of:
                client.offer(text)


def metrics_message(instances) -> dict[str, Any]:
    """CPU and memory of these instances, as last sampled."""
    return {
        "type": "metrics",
        "timestamp": datetime.now(UTC).isoformat(),
        "instances": {
            i.id: {
                "status": i.status.value,
                "cpu_percent": i.resource_usage.cpu_percent,
                "memory_mb": i.resource_usage.memory_mb,
                "processes": i.resource_usage.processes,
            }
            for i in instances
        },
    }
