"""From the store's event table to every connected browser, without letting one stall another.

One task reads "events since N" every `interval` (in a worker thread: SQLite is blocking), so
changes made by any process (TUI, CLI, hooks, this server) reach every client. Each message is
encoded once and put on each client's bounded queue; a client whose queue is full has its
backlog dropped and gets one `resync` message (refetch over REST) instead: the server and the
other clients never wait for it.

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
import logging
from dataclasses import dataclass, field
from typing import Any

from cc_orchestrator.core.models import Event, EventKind, to_json

log = logging.getLogger(__name__)

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


class EventHub:
    """Polls the event table and fans messages out to clients (see the module docstring)."""

    def __init__(self, orchestrator, board, interval: float = 0.1, batch: int = 500) -> None:
        self.orchestrator = orchestrator
        self.board = board
        self.interval = interval
        self.batch = batch
        self.clients: set[Client] = set()
        self.last_id = 0
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def connect(self) -> Client | None:
        """A new client, or None when MAX_CLIENTS are connected already."""
        if len(self.clients) >= MAX_CLIENTS:
            return None
        client = Client()
        self.clients.add(client)
        return client

    def disconnect(self, client: Client) -> None:
        self.clients.discard(client)

    def poke(self) -> None:
        """Look at the event table now (this process just changed something). Any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def publish(self, message: dict[str, Any], log_of: str | None = None) -> None:
        """Send to every client, or with `log_of` only to those following that instance."""
        text = encode(message)
        for client in list(self.clients):
            if log_of is None or client.log_instance == log_of:
                client.offer(text)

    async def start(self) -> None:
        """Begin after the newest event: clients get what happens from now on."""
        self._loop = asyncio.get_running_loop()
        self.last_id = await asyncio.to_thread(self.orchestrator.events.latest_id)

    async def run(self) -> None:
        """Poll forever (after `start`); cancel the task to stop."""
        while True:
            self._wake.clear()  # before reading: a poke during the read means "read again"
            try:
                count = await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be busy for a moment; never stop the feed
                log.exception("reading the event table failed; trying again in a second")
                await asyncio.sleep(1.0)
                continue
            if count < self.batch:
                try:  # not wait_for: on 3.11 it can swallow a cancellation (gh-86296)
                    async with asyncio.timeout(self.interval):
                        await self._wake.wait()
                except TimeoutError:
                    pass

    async def poll(self) -> int:
        events = await asyncio.to_thread(self.orchestrator.events.since, self.last_id, limit=self.batch)
        for event in events:
            self.last_id = max(self.last_id, event.id)
            usage = None
            if event.kind is EventKind.INSTANCE_STATUS:
                self.board.invalidate()
                usage = self.board.latest_usage(event.instance_id)
            self.publish(event_message(event, usage))
        return len(events)
