"""Following agents' pane logs for the clients that subscribed to them.

One thread per followed instance, however many clients watch it, stopped when the last one
leaves. Each batch of new lines becomes one `log_message` (source "agent") for those clients.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

MAX_LINES = 500  # per message; a bigger burst is cut to its newest lines


class LogFollowers:
    def __init__(self, logs, clients, poll: float = 0.2) -> None:
        self.logs = logs  # the instance service's PaneLogs
        self.clients = clients  # web.events.Clients
        self.poll = poll
        self._watchers: dict[str, tuple[threading.Event, int]] = {}

    def follow(self, instance_id: str) -> None:
        """Count one more watcher of `instance_id`; start its thread for the first one."""
        stop, count = self._watchers.get(instance_id, (None, 0))
        if stop is None:
            stop = threading.Event()
            loop = asyncio.get_running_loop()
            thread = threading.Thread(
                target=self._run, args=(instance_id, stop, loop), name=f"follow-{instance_id}", daemon=True
            )
            thread.start()
        self._watchers[instance_id] = (stop, count + 1)

    def unfollow(self, instance_id: str) -> None:
        stop, count = self._watchers.get(instance_id, (None, 0))
        if stop is None:
            return
        if count <= 1:
            stop.set()
            del self._watchers[instance_id]
        else:
            self._watchers[instance_id] = (stop, count - 1)

    def close(self) -> None:
        for stop, _ in self._watchers.values():
            stop.set()
        self._watchers.clear()

    def _run(self, instance_id: str, stop: threading.Event, loop: asyncio.AbstractEventLoop) -> None:
        for batch in self.logs.follow(instance_id, poll=self.poll, stop=stop.is_set):
            message = agent_lines(instance_id, batch)
            try:
                loop.call_soon_threadsafe(self.clients.publish, message, instance_id)
            except RuntimeError:  # the loop is closed: the server is going away
                return


def agent_lines(instance_id: str, lines: list[str], replay: bool = False) -> dict:
    shown = lines[-MAX_LINES:]
    return {
        "type": "log_message",
        "source": "agent",
        "instance_id": instance_id,
        "level": "INFO",
        "message": "\n".join(shown),
        "lines": shown,
        "skipped": len(lines) - len(shown),
        "replay": replay,
        "timestamp": datetime.now(UTC).isoformat(),
    }
