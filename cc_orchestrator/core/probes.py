"""Looking in /proc for an agent at a line prompt that started reading its terminal.

Nothing on the screen changes when such an agent starts reading (a REPL that draws its prompt,
then pauses, then reads), so no output signal says it is ready. After its output stops, and
while a prompt waits for it, its foreground process is probed at doubling gaps (no subprocess):
when it is blocked reading its terminal and its row does not show that yet, its screen is read
this round (then it shows IDLE, and its pending prompt is delivered).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cc_orchestrator.core.agents.terminal import ready_by_terminal
from cc_orchestrator.core.models import Instance, InstanceStatus

if TYPE_CHECKING:
    from cc_orchestrator.config.agents import AgentProfile

FIRST = 0.05  # after output stops, the first look
LAST = 2.0  # the gaps double up to this; then the looks stop, unless a prompt is pending


class TerminalProbes:
    def __init__(self, profile_for: Callable[[Instance], AgentProfile]) -> None:
        """`profile_for(instance)`: its agent's profile, which says whether it waits at a line prompt."""
        self.profile_for = profile_for
        self._due: dict[str, tuple[float, float]] = {}  # instance id -> (when, gap)

    def start(self, instance_id: str, now: float) -> None:
        """Look soon, then at doubling gaps (again from the first gap if already looking)."""
        self._due[instance_id] = (now + FIRST, FIRST)

    def pending(self, instances: tuple[Instance, ...], now: float) -> None:
        """A prompt waits for these instances: look for their agents reading."""
        for instance in instances:
            if instance.pending_prompt and instance.status.is_live and instance.id not in self._due:
                self.start(instance.id, now)

    def due_times(self) -> list[float]:
        return [when for when, _ in self._due.values()]

    def ready(self, shown: dict[str, Instance], now: float) -> set[str]:
        """The instances due a look whose agent reads its terminal now, while their row does not
        show it (not IDLE) or a prompt waits."""
        found = set()
        for instance_id, (when, gap) in list(self._due.items()):
            if when > now:
                continue
            instance = shown.get(instance_id)
            if instance is None or not instance.status.is_live or not instance.pid:
                del self._due[instance_id]
                continue
            reading = ready_by_terminal(self.profile_for(instance), instance.pid)
            if reading and (instance.pending_prompt or instance.status is not InstanceStatus.IDLE):
                found.add(instance_id)
            gap *= 2
            if reading is None or (gap > LAST and not instance.pending_prompt):
                del self._due[instance_id]  # /proc cannot tell, or the agent is busy for long
            else:
                self._due[instance_id] = (now + min(gap, LAST), gap)
        return found
