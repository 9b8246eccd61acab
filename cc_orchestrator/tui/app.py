"""The dashboard app: the feed's views go down to the screens (the `view` reactive), the user's
requests go to the screen or pane that owns them. Quitting leaves every agent running."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen

from cc_orchestrator.tui.alerts import Alerts
from cc_orchestrator.tui.feed import Feed
from cc_orchestrator.tui.keys import APP_BINDINGS
from cc_orchestrator.tui.reads import Reads
from cc_orchestrator.tui.screens.dashboard import Dashboard
from cc_orchestrator.tui.services import Services
from cc_orchestrator.tui.view import View, first_view, local_now

if TYPE_CHECKING:
    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.tui.widgets.pane import Pane


class OrchestratorApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "cc-orchestrator"
    BINDINGS = APP_BINDINGS

    view: var[View] = var(View, always_update=True, init=False)  # what every screen shows

    def __init__(
        self,
        orch: Orchestrator,
        repo: str | None = None,
        *,
        live: bool = True,
        clock: Callable[[], datetime] = local_now,
        reads: Reads | None = None,
        initial: View | None = None,
        sweep: float | None = None,
        report_gap: float = 1.0,
    ) -> None:
        """`live=False` shows `initial` and never asks the core for more (tests, screenshots);
        `initial` is read before the app starts and painted in its first frame; `clock` is "now"."""
        super().__init__()
        self.orch, self.repo, self.blink = orch, repo, live  # text cursors hold still in pictures
        first = initial or View(repo=repo)
        self.feed = Feed(orch, self, first, sweep=sweep) if live else None
        self.services = Services(orch, reads or Reads(orch), repo, clock, self.feed, report_gap)
        self.dashboard = Dashboard(self.services)
        self.set_reactive(OrchestratorApp.view, first)
        self.keymap: dict[str, str] = {}  # from the settings, loaded just after the first paint
        self.ring_bell = False
        self.alerts = Alerts()
        self._alerted_up_to = first.last_event_id
        self.alerts.feed(first.events)  # history is not news, but tells what instances do
        self._last_failure: str | None = None
        self.first_rows_painted: float | None = None  # time.time() of the first paint with rows

    async def on_mount(self) -> None:
        await self.push_screen(self.dashboard)
        self._painted_rows(self.view)
        self.call_after_refresh(self.after_first_frame)

    def after_first_frame(self) -> None:
        """The first frame needs the store alone: settings (pydantic), the agents' versions and
        the core's pushes (tmux, /proc, watchdog) come after it."""
        self._load_settings()
        if self.feed is not None:
            self._check_agents()
            self.feed.start()

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.stop()

    # -- what the core pushes --------------------------------------------------------------

    def on_feed_updated(self, message: Feed.Updated) -> None:
        self._last_failure = None
        self.view = message.view

    def on_feed_failed(self, message: Feed.Failed) -> None:
        if message.reason != self._last_failure:  # one toast per new reason, not one per round
            self.notify(message.reason, title="refresh failed", severity="error")
        self._last_failure = message.reason

    def watch_view(self, view: View) -> None:
        """Toasts (and the bell) for what just happened; the screens watch the view themselves."""
        fresh = [e for e in view.events if e.id > self._alerted_up_to]
        self._alerted_up_to = max(self._alerted_up_to, view.last_event_id)
        for alert in self.alerts.feed(fresh):
            self.notify(alert.message, severity=alert.severity, timeout=8 if alert.severity != "information" else 4)
            if self.ring_bell and alert.severity != "information":
                self.bell()
        self._painted_rows(view)

    def _painted_rows(self, view: View) -> None:
        if self.first_rows_painted is None and view.instances:
            self.call_after_refresh(lambda: setattr(self, "first_rows_painted", time.time()))

    # -- once per start, in workers ----------------------------------------------------------

    @work(thread=True, group="settings", exit_on_error=False)
    def _load_settings(self) -> None:
        """pydantic costs ~75 ms: the keymap and the bell arrive just after the first paint."""
        settings = self.orch.settings
        self.call_later(self._configure, dict(settings.keymap or {}), bool(settings.bell))

    def _configure(self, keymap: dict[str, str], bell: bool) -> None:
        self.keymap, self.ring_bell = keymap, bell
        if keymap:
            self.set_keymap(keymap)

    @work(thread=True, group="agents", exit_on_error=False)
    def _check_agents(self) -> None:
        """An installed agent newer than the newest version we tested (`claude --version`...)."""
        self.call_later(self._warn, self.orch.agent_warnings())

    def _warn(self, warnings: list[str]) -> None:
        for warning in warnings:
            self.notify(warning, severity="warning", timeout=20)
        if warnings:
            self.dashboard.warning = warnings[0]

    # -- keys and the command palette ----------------------------------------------------

    def action_help(self) -> None:
        from cc_orchestrator.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.keymap))

    def action_refresh_now(self) -> None:
        """Look at tmux and the store now, and ask git about every worktree (one at a time)."""
        self.services.kick()
        self.dashboard.worktrees.schedule.ask(w.id for w in self.view.worktrees)
        self.dashboard.worktrees.inspect_due()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from cc_orchestrator.tui.screens.help import sections

        yield from super().get_system_commands(screen)
        for title, pane, bindings in sections():
            if pane is None:
                continue
            for binding in bindings:
                run = partial(self._run_pane_action, pane, binding.action)
                yield SystemCommand(f"{title}: {binding.description}", f"key {binding.key}, id {binding.id}", run)
        yield SystemCommand(
            "Refresh now", "look at tmux and the store, and ask git about every worktree", self.action_refresh_now
        )

    def get_key_display(self, binding: Binding) -> str:
        """Words rather than symbols for Enter and Delete (plain glyphs, one cell each)."""
        return {"enter": "enter", "delete": "del"}.get(binding.key, super().get_key_display(binding))

    async def _run_pane_action(self, pane: type[Pane], action: str) -> None:
        if self.screen is not self.dashboard:
            self.pop_screen()
        await self.dashboard.query_one(pane).run_action(action)


def run(repo: str | None = None) -> None:
    """`cc-orchestrator` with no arguments: open the dashboard; return when the user quits."""
    from cc_orchestrator.core.orchestrator import Orchestrator

    orch = Orchestrator()
    try:
        found = Orchestrator.repo(repo, required=False)  # --repo, else the current folder's
        repo = str(found) if found else None
        OrchestratorApp(orch, repo, initial=first_view(orch, repo)).run()  # the store alone: rows at once
    finally:
        orch.close()
