"""The dashboard app: routes snapshots down to the screens, requests up to the services.

One poll runs at a time in a worker thread and reschedules itself when it finishes; hook
events (the spool watcher) and the user's own actions trigger an extra poll at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer

from cc_orchestrator.tui.actions import Requests
from cc_orchestrator.tui.alerts import alerts
from cc_orchestrator.tui.live import Loaded, PollFailed, Poller, Snapshot, SnapshotReady, local_now
from cc_orchestrator.tui.report_schedule import ReportSchedule
from cc_orchestrator.tui.screens.dashboard import Dashboard
from cc_orchestrator.tui.widgets.log_view import LogPane

if TYPE_CHECKING:
    from cc_orchestrator.core.git.worktrees import WorktreeReport
    from cc_orchestrator.core.orchestrator import Orchestrator


class OrchestratorApp(Requests, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "cc-orchestrator"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+r", "refresh_now", "Refresh now", id="app.refresh", show=False),
    ]

    def __init__(
        self,
        orch: Orchestrator,
        repo: str | None = None,
        *,
        poll: bool = True,
        clock: Callable[[], datetime] = local_now,
        poller: Poller | None = None,
        interval: float = 1.0,
    ) -> None:
        """`poll=False` loads once and never again (tests, screenshots); `clock` gives "now"."""
        super().__init__()
        self.orch, self.repo = orch, repo
        self.polling, self.clock, self.interval = poll, clock, interval
        self.poller = poller or Poller(orch, repo)
        settings = orch.settings
        self.keymap: dict[str, str] = dict(getattr(settings, "keymap", None) or {})
        self.ring_bell = bool(getattr(settings, "bell", False))
        self.snapshot = Snapshot(repo=repo)
        self.reports: dict[str, WorktreeReport] = {}
        self.schedule = ReportSchedule()
        self.dashboard = Dashboard()
        self.first_rows_painted: float | None = None  # time.time() of the first paint with rows
        self._timer: Timer | None = None
        self._busy = self._again = self._inspecting = False
        self._alerted_up_to: int | None = None
        self._watcher = None

    # -- start and stop ------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        self.push_screen(self.dashboard)
        self._start_poll(first=True)

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

    def _watch_spools(self) -> None:
        """In a worker: hook events written by agents trigger a poll at once."""
        self._watcher = self.orch.watch_spools(on_change=lambda _ids: self.post_message(Loaded(self.poll_now)))

    # -- polling -------------------------------------------------------------------------

    def _start_poll(self, first: bool = False) -> None:
        self._busy, self._timer = True, None
        self.run_worker(partial(self._poll, first), thread=True, group="poll", exit_on_error=False)

    def _poll(self, first: bool) -> None:
        try:
            snapshot = self.poller.first() if first else self.poller.poll()
        except Exception as exc:  # one failed round must not stop the dashboard
            self.post_message(PollFailed(getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(SnapshotReady(snapshot))
        if first and self.polling:
            try:
                self._watch_spools()
            except Exception as exc:
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
        if self._again or not live:
            self._again = False
            self._start_poll()
        else:
            self._timer = self.set_timer(self.interval, self._start_poll)

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        self.apply_snapshot(message.snapshot)
        self._poll_finished(message.snapshot.live)

    def on_poll_failed(self, message: PollFailed) -> None:
        if message.reason != getattr(self, "_last_failure", None):
            self.notify(message.reason, title="refresh failed", severity="error")
        self._last_failure = message.reason
        self._poll_finished(True)

    def on_loaded(self, message: Loaded) -> None:
        message.show(*message.args)

    # -- showing -------------------------------------------------------------------------

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Hand a snapshot to every screen; they diff it against what they show."""
        self._last_failure = None
        self.snapshot, now = snapshot, self.clock()
        ids = {w.id for w in snapshot.worktrees}
        self.reports = {k: v for k, v in self.reports.items() if k in ids}
        for screen in self.screen_stack:
            if isinstance(screen, Dashboard):
                screen.show(snapshot, self.reports, now)
            elif hasattr(screen, "show"):
                screen.show(snapshot, now)
        self._alert(snapshot)
        self.load_log_text()
        self._inspect_due()
        if self.first_rows_painted is None and snapshot.instances:
            import time

            self.call_after_refresh(lambda: setattr(self, "first_rows_painted", time.time()))

    def _alert(self, snapshot: Snapshot) -> None:
        last = snapshot.events[-1].id if snapshot.events else 0
        if self._alerted_up_to is None:  # history is not news
            self._alerted_up_to = last
            return
        fresh = [e for e in snapshot.events if e.id > self._alerted_up_to]
        self._alerted_up_to = max(last, self._alerted_up_to)
        for alert in alerts(fresh):
            self.notify(alert.message, severity=alert.severity, timeout=8 if alert.severity != "information" else 4)
            if self.ring_bell and alert.severity != "information":
                self.bell()

    def load_log_text(self) -> None:
        wanted = self.dashboard.logs.wanted_text
        if wanted is not None:
            self.run_worker(partial(self._load_log_text, *wanted), thread=True, group="log-text",
                            exclusive=True, exit_on_error=False)  # fmt: skip

    def _load_log_text(self, view: str, instance_id: str) -> None:
        try:
            lines = self.poller.screen(instance_id).splitlines() if view == "screen" else self.poller.output(instance_id)
        except Exception as exc:
            lines = [f"cannot read the {view} of instance {instance_id}: {getattr(exc, 'message', exc)}"]
        self.post_message(Loaded(self.dashboard.logs.show_text, view, instance_id, lines))

    def on_log_pane_text_wanted(self, message: LogPane.TextWanted) -> None:
        self.load_log_text()

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

    # -- keys and the command palette ----------------------------------------------------

    def action_help(self) -> None:
        from cc_orchestrator.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.keymap))

    def action_refresh_now(self) -> None:
        self.inspect(w.id for w in self.snapshot.worktrees)
        self.poll_now()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from cc_orchestrator.tui.keys import sections

        yield from super().get_system_commands(screen)
        for title, pane, bindings in sections():
            if pane is None:
                continue
            for binding in bindings:
                run = partial(self._run_pane_action, pane, binding.action)
                yield SystemCommand(f"{title}: {binding.description}", f"key {binding.key}, id {binding.id}", run)
        yield SystemCommand("Refresh now", "poll tmux and the store, and ask git about every worktree", self.action_refresh_now)

    def get_key_display(self, binding: Binding) -> str:
        """Words rather than symbols for Enter and Delete (plain glyphs, one cell each)."""
        return {"enter": "enter", "delete": "del"}.get(binding.key, super().get_key_display(binding))

    async def _run_pane_action(self, pane: str, action: str) -> None:
        if self.screen is not self.dashboard:
            self.pop_screen()
        await getattr(self.dashboard, pane).run_action(action)


def run(repo: str | None = None) -> None:
    """`cc-orchestrator` with no arguments: open the dashboard; return when the user quits.

    Quitting leaves every agent running.
    """
    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.tui.live import default_repo

    orch = Orchestrator()
    try:
        OrchestratorApp(orch, default_repo(repo)).run()
    finally:
        orch.close()
