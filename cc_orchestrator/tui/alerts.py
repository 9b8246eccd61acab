"""Which events deserve a toast: an agent waiting for input, finishing, failing, exiting; two
worktrees starting to change the same files, or a branch that no longer merges."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cc_orchestrator.core.models import Event, EventKind, InstanceStatus, Level

_LIVE = {s.value for s in InstanceStatus if s.is_live}


@dataclass(frozen=True)
class Alert:
    instance_id: str
    message: str
    severity: str  # "information", "warning" or "error", as Textual's notify takes it
    about: str = "status"  # a burst makes one toast per instance and subject (its status, an overlap)


class Alerts:
    """Turns status-change events into alerts, remembering what each instance was doing."""

    def __init__(self) -> None:
        self._started: set[str] = set()  # RUNNING because its process started, not because it works

    def alert_for(self, event: Event) -> Alert | None:
        if event.kind is EventKind.WORKTREE_UPDATE and "overlap" in event.data:
            severity = "warning" if event.level in (Level.WARNING, Level.ERROR) else "information"
            pair = " ".join(map(str, (event.data["overlap"] or {}).get("worktree_ids", ())))
            return Alert(event.instance_id or event.worktree_id or "", event.message, severity, f"overlap {pair}")
        if event.kind is not EventKind.INSTANCE_STATUS or not event.instance_id:
            return None
        status, previous = event.data.get("status"), event.data.get("previous")
        who = f"instance {event.instance_id}"
        just_started = event.instance_id in self._started
        self._started.discard(event.instance_id)
        if status == InstanceStatus.RUNNING and event.data.get("source", "process") == "process":
            self._started.add(event.instance_id)  # its first IDLE means "ready", not "finished"
        if status == InstanceStatus.WAITING_INPUT:
            detail = event.message.partition(": ")[2]
            return Alert(event.instance_id, f"{who} waits for input" + (f": {detail}" if detail else ""), "warning")
        if status == InstanceStatus.IDLE and previous == InstanceStatus.RUNNING and not just_started:
            return Alert(event.instance_id, f"{who} finished and is idle", "information")
        if status == InstanceStatus.ERROR:
            return Alert(event.instance_id, event.message, "error")
        if status == InstanceStatus.STOPPED and previous in _LIVE and event.data.get("source") != "user":
            return Alert(event.instance_id, f"{who} exited", "information")
        return None

    def feed(self, events: Iterable[Event]) -> list[Alert]:
        """At most one alert per instance (its latest), so a burst makes one toast each."""
        latest: dict[tuple[str, str], Alert] = {}
        for event in events:
            alert = self.alert_for(event)
            if alert is not None:
                latest.pop((alert.instance_id, alert.about), None)
                latest[(alert.instance_id, alert.about)] = alert
        return list(latest.values())
