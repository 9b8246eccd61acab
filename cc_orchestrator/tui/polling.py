"""The live part of the app: one poll at a time in a worker thread, rescheduled when it ends,
and git reports of the worktrees when they are due.

A poll runs every second, every two seconds once nothing has happened for ten polls; hook events
(the spool watcher) and the user's own actions poll at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen
from textual.widget import Widget

from cc_orchestrator.tui.live import Loaded, PollFailed, Snapshot, SnapshotReady

if TYPE_CHECKING:
    from cc_orchestrator.core.models import WorktreeReport
    from cc_orchestrator.tui.app import OrchestratorApp

    _Base = OrchestratorApp
else:
    _Base = object

QUIET_POLLS = 10


def _same_activity(before: Snapshot, after: Snapshot) -> bool:
    """Nothing happened between two snapshots: no new event, no instance changed or wrote."""
    last = before.events[-1].id if before.events else 0
    if after.events and after.events[-1].id != last:
        return False
    seen = {i.id: (i.status, i.last_activity) for i in before.instances}
    return len(seen) == len(after.instances) and all(
        seen.get(i.id) == (i.status, i.last_activity) for i in after.instances
    )


def _gone(app: App, show: Callable[..., None]) -> bool:
    """`show` belongs to a screen (or a widget on one) that is no longer on the app's stack."""
    owner = getattr(show, "__self__", None)
    if not isinstance(owner, Widget):  # the app itself, a plain function or a partial
        return False
    screen = owner if isinstance(owner, Screen) else owner.screen if owner.is_attached else None
    return screen is None or screen not in app.screen_stack


class Polling(_Base):
    def _watch_spools(self) -> None:
        """In a worker: hook events written by agents trigger a poll at once."""
        self._watcher = self.orch.watch_spools(on_change=lambda _ids: self.post_message(Loaded(self.poll_now)))

    def _start_poll(self, first: bool = False) -> None:
        self._busy, self._timer = True, None
        self.run_worker(partial(self._poll, first), thread=True, group="poll", exit_on_error=False)

    def _poll(self, first: bool) -> None:
        try:
            if first:
                settings = self.orch.settings  # pydantic: loaded here, not on the event loop
                keymap = dict(getattr(settings, "keymap", None) or {})
                self.post_message(Loaded(self._configure, keymap, bool(getattr(settings, "bell", False))))
            snapshot = self.poller.first() if first else self.poller.poll()
        except Exception as exc:  # one failed round must not stop the dashboard
            self.post_message(PollFailed(getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(SnapshotReady(snapshot))
        if not first and self.polling and self._watcher is None:
            try:
                self._watch_spools()
            except Exception as exc:
                self._watcher = False
                self.post_message(PollFailed(f"hook events will arrive with each poll: {exc}"))

    def poll_now(self) -> None:
        if not self.polling:
            return
        if self._busy:
            self._again = True
            return
        if self._timer is not None:
            self._timer.stop()
        self._start_poll()

    def _poll_finished(self, live: bool) -> None:
        self._busy = False
        if not self.polling:
            return
        if not live:  # the first, store-only snapshot: paint it, then ask tmux
            self.call_after_refresh(self._start_poll)
        elif self._again or self.interval <= 0:
            self._again = False
            self.call_later(self._start_poll)
        else:
            # Quiet for a while (no event, no output): poll half as often. Hook events still
            # arrive at once through the spool watcher, and any action polls right away.
            slow = self._quiet >= QUIET_POLLS
            self._timer = self.set_timer(self.interval * (2 if slow else 1), self._start_poll)

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        before, after = self.snapshot, message.snapshot
        self.apply_snapshot(after)
        self._quiet = self._quiet + 1 if _same_activity(before, after) else 0
        self._poll_finished(after.live)

    def on_poll_failed(self, message: PollFailed) -> None:
        if message.reason != getattr(self, "_last_failure", None):
            self.notify(message.reason, title="refresh failed", severity="error")
        self._last_failure = message.reason
        self._poll_finished(True)

    def on_loaded(self, message: Loaded) -> None:
        if _gone(self, message.show):
            return  # its screen closed while the worker ran (escape during a load)
        message.show(*message.args)

    # -- git reports ---------------------------------------------------------------------

    def inspect(self, worktree_ids: Iterable[str]) -> None:
        self.schedule.ask(worktree_ids)
        self._inspect_due()

    def _inspect_due(self) -> None:
        if self._inspecting:
            return
        due = self.schedule.due(self.snapshot)
        if due:
            self._inspecting = True
            self.run_worker(partial(self._inspect, due), thread=True, group="inspect", exit_on_error=False)

    def _inspect(self, worktree_ids: list[str]) -> None:
        try:
            reports = self.poller.reports(worktree_ids)
        except Exception:
            reports = {}
        self.post_message(Loaded(self._inspected, worktree_ids, reports))

    def _inspected(self, asked: list[str], reports: dict[str, WorktreeReport]) -> None:
        self._inspecting = False
        self.schedule.done(self.snapshot, asked)
        self.reports.update(reports)
        self.dashboard.show_reports(self.snapshot, self.reports)
