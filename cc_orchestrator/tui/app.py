"""The dashboard app: snapshots go down to the screens, requests go up to the services.

Polling lives in `polling.py`, the answers to requests in `actions.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer

from cc_orchestrator.tui.actions import Requests
from cc_orchestrator.tui.alerts import Alerts
from cc_orchestrator.tui.live import Loaded, Poller, Snapshot, local_now
from cc_orchestrator.tui.polling import Polling
from cc_orchestrator.tui.report_schedule import ReportSchedule
from cc_orchestrator.tui.screens.dashboard import Dashboard
from cc_orchestrator.tui.source_actions import SourceRequests
from cc_orchestrator.tui.widgets.log_view import LogPane

if TYPE_CHECKING:
    from cc_orchestrator.core.models import WorktreeReport
    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.tui.screens.import_form import ImportRequest


class OrchestratorApp(Polling, Requests, SourceRequests, App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
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
        initial: Snapshot | None = None,
    ) -> None:
        """`poll=False` loads once and never again (tests, screenshots); `clock` gives "now";
        `initial` is a first snapshot read before the app started, painted in its first frame."""
        super().__init__()
        self.orch, self.repo = orch, repo
        self.polling, self.clock, self.interval = poll, clock, interval
        self.blink = poll  # text cursors hold still in tests and pictures
        self.poller = poller or Poller(orch, repo)
        self.keymap: dict[str, str] = {}  # from the settings, read by the first poll
        self.ring_bell = False
        self.snapshot = Snapshot(repo=repo)
        self._initial = initial
        self.reports: dict[str, WorktreeReport] = {}
        self.schedule = ReportSchedule()
        self.dashboard = Dashboard()
        self.first_rows_painted: float | None = None  # time.time() of the first paint with rows
        self._timer: Timer | None = None
        self._busy = self._again = self._inspecting = False
        self._quiet = 0  # polls in a row that found nothing new
        self._alerted_up_to: int | None = None
        self.alerts = Alerts()
        self.last_import: ImportRequest | None = None  # the import dialog offers it again
        self._watcher = None

    # -- start and stop ------------------------------------------------------------------

    async def on_mount(self) -> None:
        await self.push_screen(self.dashboard)
        if self.polling:
            self.run_worker(self._check_agents, thread=True, group="agents", exit_on_error=False)
        if self._initial is None:
            self._start_poll(first=True)
            return
        self.apply_snapshot(self._initial)  # from the store alone: no settings before the first frame
        self.run_worker(self._load_settings, thread=True, group="settings", exit_on_error=False)
        self._busy = True
        self._poll_finished(live=False)

    def _load_settings(self) -> None:
        """In a worker: pydantic costs ~75 ms, so the keymap and bell arrive just after the first paint."""
        settings = self.orch.settings
        keymap = dict(getattr(settings, "keymap", None) or {})
        self.call_from_thread(self._configure, keymap, bool(getattr(settings, "bell", False)))

    def _check_agents(self) -> None:
        """In a worker: `claude --version` and the like take a moment."""
        self.call_from_thread(self._warn, self.orch.agent_warnings())

    def _warn(self, warnings: list[str]) -> None:
        """Once per start: an installed agent newer than the newest version we tested."""
        for warning in warnings:
            self.notify(warning, severity="warning", timeout=20)
        if warnings:
            self.dashboard.warning = warnings[0]

    def _configure(self, keymap: dict[str, str], bell: bool) -> None:
        """The user's settings (loaded with the first snapshot, never on the event loop)."""
        self.keymap, self.ring_bell = keymap, bell
        if keymap:
            self.set_keymap(keymap)

    def on_unmount(self) -> None:
        if self._watcher:
            self._watcher.stop()

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
            self.call_after_refresh(lambda: setattr(self, "first_rows_painted", time.time()))

    def _alert(self, snapshot: Snapshot) -> None:
        last = snapshot.events[-1].id if snapshot.events else 0
        if self._alerted_up_to is None:  # history is not news, but tells what instances do
            self._alerted_up_to = last
            self.alerts.feed(snapshot.events)
            return
        fresh = [e for e in snapshot.events if e.id > self._alerted_up_to]
        self._alerted_up_to = max(last, self._alerted_up_to)
        for alert in self.alerts.feed(fresh):
            self.notify(alert.message, severity=alert.severity, timeout=8 if alert.severity != "information" else 4)
            if self.ring_bell and alert.severity != "information":
                self.bell()

    def load_log_text(self) -> None:
        wanted = self.dashboard.logs.wanted_text
        if wanted is not None:
            self.run_worker(
                partial(self._load_log_text, *wanted),
                thread=True,
                group="log-text",
                exclusive=True,
                exit_on_error=False,
            )

    def _load_log_text(self, view: str, instance_id: str) -> None:
        try:
            lines = (
                self.poller.screen(instance_id).splitlines() if view == "screen" else self.poller.output(instance_id)
            )
        except Exception as exc:
            lines = [f"cannot read the {view} of instance {instance_id}: {getattr(exc, 'message', exc)}"]
        self.post_message(Loaded(self.dashboard.logs.show_text, view, instance_id, lines))

    def on_log_pane_text_wanted(self, message: LogPane.TextWanted) -> None:
        self.load_log_text()

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
        yield SystemCommand(
            "Refresh now", "poll tmux and the store, and ask git about every worktree", self.action_refresh_now
        )

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
        repo = default_repo(repo)
        # The store alone, before Textual starts: the first frame then has its rows.
        poller = Poller(orch, repo)
        OrchestratorApp(orch, repo, poller=poller, initial=poller.first()).run()
    finally:
        orch.close()
