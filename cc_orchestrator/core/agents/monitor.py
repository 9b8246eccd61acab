"""Health monitoring, run by the long-lived faces (TUI, server, `monitor`) on every tick.

Marks hung agents (RUNNING with no output for `hung_after_seconds`), restarts dead ones when
`auto_restart` is on (at most `max_restarts` times each), warns when an instance passes
`max_memory_mb` or `max_cpu_percent` (and stops it if `stop_on_resource_limit`), rotates pane
logs, and resumes agents whose usage limit has reset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cc_orchestrator.core.models import Instance, InstanceStatus, Level

if TYPE_CHECKING:
    from cc_orchestrator.core.orchestrator import Orchestrator


class Monitor:
    def __init__(self, orchestrator: Orchestrator) -> None:
        self.orchestrator = orchestrator
        self._flagged: set[tuple[str, str]] = set()  # (instance id, condition) warned about

    def tick(self) -> list[Instance]:
        """Refresh every instance, then check them."""
        instances = self.orchestrator.instances.list()
        self.check(instances)
        return instances

    def check(self, instances) -> None:
        """The health checks over instances a refresh just read; no tmux call of its own."""
        orch = self.orchestrator
        orch.instances.logs.max_bytes = orch.settings.log_max_bytes  # a setting changed elsewhere applies too
        orch.instances.logs.rotate_all()
        now = datetime.now(UTC)
        for instance in instances:
            try:
                self._check(instance, now)
            except Exception as exc:  # one instance's trouble must not stop the others' checks
                orch.events.log(f"monitor: {instance.id}: {exc}", level=Level.WARNING, instance_id=instance.id)

    def _check(self, instance: Instance, now: datetime) -> None:
        orch, settings = self.orchestrator, self.orchestrator.settings
        quiet = (now - instance.last_activity).total_seconds()
        self._flag(
            instance,
            "hung",
            instance.status is InstanceStatus.RUNNING and quiet > settings.hung_after_seconds,
            f"instance {instance.id} looks hung: no output for {int(quiet // 60)} min",
        )
        if instance.status is InstanceStatus.ERROR and settings.auto_restart:
            if instance.restarts < settings.max_restarts:
                orch.instances.restart(instance.id)
                orch.events.log(
                    f"restarted instance {instance.id} ({instance.restarts + 1} of {settings.max_restarts})",
                    level=Level.WARNING,
                    instance_id=instance.id,
                )
            else:
                self._flag(instance, "restarts", True, f"instance {instance.id} keeps failing; not restarting it again")
        usage = instance.resource_usage
        over = []
        if settings.max_memory_mb and usage.memory_mb > settings.max_memory_mb:
            over.append(f"memory {usage.memory_mb:.0f} MB > {settings.max_memory_mb:.0f} MB")
        if settings.max_cpu_percent and usage.cpu_percent > settings.max_cpu_percent:
            over.append(f"CPU {usage.cpu_percent:.0f}% > {settings.max_cpu_percent:.0f}%")
        if self._flag(
            instance, "resources", bool(over), f"instance {instance.id} is over its limits: {', '.join(over)}"
        ):
            if settings.stop_on_resource_limit and instance.status.is_live:
                orch.instances.stop(instance.id)
        if instance.held_until is not None and now >= instance.held_until and instance.status.is_live:
            orch.instances.resume_after_limit(instance.id)

    def _flag(self, instance: Instance, condition: str, now_true: bool, message: str) -> bool:
        """Log a WARNING when a condition becomes true (once until it clears); True if it did."""
        key = (instance.id, condition)
        if not now_true:
            self._flagged.discard(key)
            return False
        if key in self._flagged:
            return False
        self._flagged.add(key)
        self.orchestrator.events.log(message, level=Level.WARNING, instance_id=instance.id)
        return True
