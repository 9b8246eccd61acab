"""The dashboard's end of the core's `Live`: snapshots pushed from its thread become views
posted to the app, and the user's actions ask it to look now.

The feed owns its state (the view it built last) and touches it on Live's thread only; the app
gets immutable views, newest first: one still queued is replaced by the next.
"""

from __future__ import annotations

from textual.message import Message
from textual.message_pump import MessagePump

from cc_orchestrator.core.snapshot import EVENTS_PER_SNAPSHOT, Snapshot
from cc_orchestrator.tui.view import EVENTS_KEPT, View


class Feed:
    class Updated(Message):
        """A newer view; it supersedes any still queued (views are complete, not deltas)."""

        def __init__(self, view: View) -> None:
            super().__init__()
            self.view = view

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Feed.Updated)

    class Failed(Message):
        """A round of the core's refresh failed; the next one may work."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, orch, target: MessagePump, view: View, sweep: float | None = None) -> None:
        """`view`: what the app shows already (the first frame); its events seed the window."""
        self.orch = orch
        self.target = target
        self.sweep = sweep
        self._view = view
        self._seeded = bool(view.events) or view.live
        self._live = None

    def start(self) -> None:
        after = self._view.last_event_id if self._view.events else None  # None: from the newest on
        self._live = self.orch.live(self._pushed, self._failed, sweep=self.sweep, after=after)

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()

    def kick(self) -> None:
        """Look at tmux and the store now: the user just acted."""
        if self._live is not None:
            self._live.kick()

    def focus(self, instance_id: str | None) -> None:
        """The instance the user looks at: its CPU and memory every second."""
        if self._live is not None:
            self._live.focus(instance_id)

    # -- Live's thread ---------------------------------------------------------------------

    def _pushed(self, snapshot: Snapshot) -> None:
        view = self._view
        if not self._seeded:  # a snapshot's events start at the oldest; the window wants the newest
            view, self._seeded = view.with_events(self.orch.events.tail(limit=EVENTS_KEPT)), True
        view = view.merged(snapshot)
        if len(snapshot.events) >= EVENTS_PER_SNAPSHOT:
            # Live reads a backlog a batch per round: what happens now would wait its turn.
            view = view.with_events(self.orch.events.since(view.last_event_id, limit=EVENTS_KEPT))
        self._view = view
        self.target.post_message(self.Updated(view))

    def _failed(self, reason: str) -> None:
        self.target.post_message(self.Failed(reason))
