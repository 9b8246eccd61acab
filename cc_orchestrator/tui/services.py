"""What screens need from outside the TUI, handed down by the app: the orchestrator, the reads,
the repository, the clock, and the feed to nudge. `call` runs a service in a worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cc_orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from textual.widget import Widget

    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.tui.feed import Feed
    from cc_orchestrator.tui.reads import Reads


@dataclass(frozen=True)
class Services:
    orch: Orchestrator
    reads: Reads
    repo: str | None  # the repository new instances and tasks belong to
    clock: Callable[[], datetime]
    feed: Feed | None = None  # None without the core's pushes (tests, screenshots)
    report_gap: float = 1.0  # seconds between git reports of worktrees not seen yet

    def kick(self) -> None:
        """Look at tmux and the store now (thread-safe)."""
        if self.feed is not None:
            self.feed.kick()

    def focus(self, instance_id: str | None) -> None:
        if self.feed is not None:
            self.feed.focus(instance_id)

    def call(
        self,
        owner: Widget,
        label: str,
        call: Callable[[], Any],
        done: Callable[[Any], str | None] | None = None,
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """Run `call` in a worker of `owner`; then toast what `done(result)` returns, or hand the
        reason it failed to `failed` (by default an error toast). Both are dropped if `owner` has
        closed meanwhile. A refusal is one line, never a traceback."""

        def work() -> None:
            try:
                result = call()
            except OrchestratorError as exc:
                reason = exc.message
            except Exception as exc:  # a bug or a crashed tool: still one line, and keep going
                reason = f"{type(exc).__name__}: {exc}"
            else:
                self.kick()
                owner.call_later(_done, owner, result, done)
                return
            self.kick()
            owner.call_later(_failed, owner, label, reason, failed)

        owner.run_worker(work, thread=True, group="service", exit_on_error=False)


def _done(owner: Widget, result: Any, done: Callable[[Any], str | None] | None) -> None:
    text = done(result) if done is not None else None
    if text:
        owner.notify(text, timeout=3)


def _failed(owner: Widget, label: str, reason: str, failed: Callable[[str], None] | None) -> None:
    if failed is not None:
        failed(reason)
    else:
        owner.notify(reason, title=f"{label} refused", severity="error")
