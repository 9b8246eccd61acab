"""The refresh (journey 3): every live instance's status from hooks, tmux and its screen.

One `list-panes -a` call for all instances; a pane is captured only when tmux's activity clock
says its content may have changed since this process last looked (whole seconds, so a capture
in the same second as the last output is repeated once). Then, per instance, the newest truth
wins: the process (dead or alive), else the screen when it is conclusive.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cc_orchestrator.core.agents.menu import plain
from cc_orchestrator.core.agents.screen import ScreenState, classify
from cc_orchestrator.core.instances import remote_refresh
from cc_orchestrator.core.instances.observe import Observation, observe
from cc_orchestrator.core.instances.rows import LIVE_STATUSES, is_local
from cc_orchestrator.core.instances.status import set_status
from cc_orchestrator.core.models import LOCAL_HOST, EventKind, InstanceStatus, Level
from cc_orchestrator.core.processes import running, same_process
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.core.tmux.service import PaneState
from cc_orchestrator.errors import ExternalError, NotFound, message_of

if TYPE_CHECKING:
    from cc_orchestrator.core.instances.service import InstanceService

SCREEN_STATES = {
    "working": InstanceStatus.RUNNING,
    "ready": InstanceStatus.IDLE,
    "waiting": InstanceStatus.WAITING_INPUT,
}


@dataclass
class RefreshResult:
    panes: dict[str, PaneState] = field(default_factory=dict)
    screens: dict[str, ScreenState] = field(default_factory=dict)  # by instance id, this round
    answered: list[str] = field(default_factory=list)  # instance ids whose dialog we answered


class StateRefresher:
    def __init__(self, service: InstanceService) -> None:
        self.service = service
        # instance id -> (wall time of its last capture, tmux activity time it had then)
        self._captured: dict[str, tuple[float, float]] = {}
        self._warned: dict[str, str] = {}  # instance id -> the last trouble logged for it
        # One refresh at a time per process: a long-lived face's Live refreshes on its thread
        # while its requests or actions (stop, restart, get) refresh on others. Two at once would
        # share `_captured` and could both answer the same dialog or read the same screen.
        self._lock = threading.RLock()
        self.remote_sessions: set[str] = set()  # sessions on other hosts: no /proc of ours for them

    def refresh(
        self,
        screens: bool = True,
        only: set[str] | None = None,
        panes: dict[str, PaneState] | None = None,
        hosts: set[str] | None = None,
    ) -> RefreshResult:
        """Every live instance, or `only` those whose output moved (their screens are read,
        whatever tmux's clock says). With `panes` from a recent refresh, tmux is not asked for
        them again: `Live` knows from inotify which panes changed and from /proc that their
        processes live. With `hosts`, only the instances on those remote hosts (their watcher
        said something moved there)."""
        with self._lock:
            return self._refresh(screens, only, panes, hosts)

    def _refresh(
        self, screens: bool, only: set[str] | None, panes: dict[str, PaneState] | None, hosts: set[str] | None = None
    ) -> RefreshResult:
        svc = self.service
        if hosts is None:
            svc.ingester.ingest()
        live = InstanceRow.status.in_(LIVE_STATUSES)
        where = live if only is None else live & InstanceRow.id.in_(list(only))
        if hosts is not None:
            where = where & InstanceRow.host.in_(sorted(hosts))
        rows = svc.store.read(lambda: list(InstanceRow.select().where(where)))
        result = RefreshResult()
        everything = only is None and hosts is None
        if not rows:
            if everything:
                svc.tasks.release_unstarted()  # nothing is live: no task can be ASSIGNED
            return result
        svc.ingester.recount_transcripts(rows)
        here = [r for r in rows if is_local(r.host)]
        away = [r for r in rows if not is_local(r.host)]
        if here and (panes is None or any(r.tmux_session not in panes for r in here)):
            panes = self._settled(svc.tmux.panes())
        panes = {n: p for n, p in (panes or {}).items() if n not in self.remote_sessions}
        if away:  # one round trip per host; a host that did not answer leaves its rows as they are
            remote_panes, answered = remote_refresh.poll(svc, away)
            self.remote_sessions |= set(remote_panes) | {r.tmux_session for r in away}
            panes = {**panes, **remote_panes}
            rows = here + [r for r in away if r.host in answered]
        result.panes = panes
        changes: list[tuple[InstanceRow, Observation]] = []
        to_read: list[tuple[InstanceRow, PaneState]] = []
        rows = [r for r in rows if not same_process(r.stopper_pid, r.stopper_since)]  # a stop under way decides
        for row in rows:
            pane = panes.get(row.tmux_session)
            seen = observe(InstanceStatus(row.status), row.starter_pid, pane)
            if seen is not None:
                changes.append((row, seen))
            elif screens and pane is not None and not pane.dead and (only is not None or self._changed(row, pane)):
                to_read.append((row, pane))
        result.screens = self._read_screens(to_read)
        touched = [
            (r, panes[r.tmux_session].activity)
            for r in rows
            if r.tmux_session in panes and panes[r.tmux_session].activity - _epoch(r.last_activity) >= 5
        ]
        captured = [(row.id, self._captured[row.id]) for row, _ in to_read if row.id in self._captured]
        if changes or result.screens or touched or captured:
            svc.store.write(lambda: self._apply(changes, result.screens, touched, captured))
        self._after_crashes([r for r in rows if r.delivering], panes, everything)
        for row in rows:
            pane = panes.get(row.tmux_session)
            if pane is None or pane.dead or row.status == InstanceStatus.STARTING.value:
                continue
            try:
                if row.pending_prompt:
                    self._deliver_if_ready(row)
                else:
                    self._auto_answer(row, result)
            except Exception as exc:  # one instance's trouble, even a bug, never stops the others'
                self._warn_once(row.id, message_of(exc))
        return result

    def _after_crashes(self, delivering: list[InstanceRow], panes: dict[str, PaneState], everything: bool) -> None:
        """What a killed process left half done: a delivery to one of these live rows (finish
        it), and, in a refresh of every instance, tasks ASSIGNED to instances that are no longer
        live (release them)."""
        from cc_orchestrator.core.instances import delivery

        svc = self.service
        alive = [r for r in delivering if (p := panes.get(r.tmux_session)) is not None and not p.dead]
        if alive:
            delivery.finish_interrupted(svc, alive)
        if everything:
            svc.tasks.release_unstarted()

    def _deliver_if_ready(self, row: InstanceRow) -> None:
        from cc_orchestrator.core.instances import readiness

        if readiness.check(self.service, row).ready:
            self.service.deliver_pending(row.id)

    def _auto_answer(self, row: InstanceRow, result: RefreshResult) -> None:
        from cc_orchestrator.core.instances.answering import answer_dialog

        screen = result.screens.get(row.id)
        svc = self.service
        if screen is None or screen.kind != "waiting" or not svc.auto_answers(row, screen.dialog):
            return
        answer = answer_dialog(svc.tmux_for(row.host), row.tmux_session, svc.profile_for(row), approve=True)
        svc.events.log(
            f"answered the {answer.dialog} dialog of instance {row.id}: {answer.option or ' '.join(answer.keys)}",
            instance_id=row.id,
        )
        result.answered.append(row.id)
        self._captured.pop(row.id, None)

    def _warn_once(self, instance_id: str, message: str) -> None:
        if self._warned.get(instance_id) != message:
            self._warned[instance_id] = message
            self.service.events.log(f"instance {instance_id}: {message}", level=Level.WARNING, instance_id=instance_id)

    def _read_screens(self, panes: list[tuple[InstanceRow, PaneState]]) -> dict[str, ScreenState]:
        """The screens of these panes, classified, from one tmux call for all of them."""
        by_host: dict[str, list[tuple[InstanceRow, PaneState]]] = {}
        for row, pane in panes:
            by_host.setdefault(row.host or LOCAL_HOST, []).append((row, pane))
        screens = {}
        for host, some in by_host.items():
            try:
                texts = self.service.tmux_for(host).capture_many([pane.pane_id for _, pane in some])
            except ExternalError:  # a host gone since its batch: its next batch says so
                continue
            for row, pane in some:
                styled = texts.get(pane.pane_id)
                if styled is not None:
                    self._captured[row.id] = (time.time(), pane.activity)
                    profile = self.service.profile_for(row)
                    screen = classify(plain(styled), profile, styled)
                    screens[row.id] = by_terminal(screen, profile, pane) if is_local(host) else screen
        return screens

    def capture(self, row: InstanceRow, pane_id: str | None = None, activity: float = 0.0) -> ScreenState | None:
        try:
            styled = self.service.tmux_for(row.host).capture(row.tmux_session, pane_id=pane_id, escapes=True)
        except NotFound:
            return None
        with self._lock:
            self._captured[row.id] = (time.time(), activity)
        return classify(plain(styled), self.service.profile_for(row), styled)

    def forget(self, instance_id: str) -> None:
        """Read this pane's screen again at the next refresh, in any process."""
        with self._lock:
            self._captured[instance_id] = (0.0, 0.0)
        self.service.store.write(
            lambda: (
                InstanceRow.update(screen_captured_at=0.0, screen_activity=0.0)
                .where(InstanceRow.id == instance_id)
                .execute()
            )
        )

    def _changed(self, row: InstanceRow, pane: PaneState) -> bool:
        """Output may have arrived since any process last read the screen (the store
        remembers when, and tmux's activity clock then). The clock counts whole seconds, so
        a read in the second of the last output is repeated once, after that second has ended;
        then the pane is left alone until its clock moves again."""
        captured_at, activity = max(
            self._captured.get(row.id, (0.0, 0.0)), (row.screen_captured_at, row.screen_activity)
        )
        if captured_at == 0.0 or pane.activity > activity:
            return True
        return captured_at < pane.activity + 1.0 <= time.time()

    def _settled(self, panes: dict[str, PaneState]) -> dict[str, PaneState]:
        """Re-ask tmux briefly while a pane is between two states: dead but its exit status not
        reaped yet (tmux closes the pty first), or its process gone (/proc) but tmux not yet
        calling it dead. Rare, so the usual refresh stays one call."""
        for _ in range(10):
            unsettled = any(
                (p.dead and p.exit_status is None and p.exit_signal is None) or (not p.dead and not running(p.pid))
                for p in panes.values()
            )
            if not unsettled:
                break
            time.sleep(0.05)
            panes = self.service.tmux.panes()
        return panes

    def _apply(self, changes, screens: dict[str, ScreenState], touched, captured) -> None:
        svc = self.service
        for instance_id, (captured_at, activity) in captured:
            InstanceRow.update(screen_captured_at=captured_at, screen_activity=activity).where(
                InstanceRow.id == instance_id
            ).execute()
        for row, seen in changes:
            current = InstanceRow.get_or_none(InstanceRow.id == row.id)
            if current is not None and current.status == row.status:
                set_status(svc.events, current, seen.status, seen.message, pid=seen.pid, exit_status=seen.exit_status)
        for instance_id, screen in screens.items():
            current = InstanceRow.get_or_none(InstanceRow.id == instance_id)
            if current is None or not InstanceStatus(current.status).is_live:
                continue
            if screen.usage_limit:
                self._hold(current, screen.usage_limit)
            status = SCREEN_STATES.get(screen.kind)
            if status is None or current.status == InstanceStatus.STARTING.value:
                continue
            waiting = screen.text if status is InstanceStatus.WAITING_INPUT else ""
            if status.value != current.status or waiting != current.waiting_for:
                set_status(svc.events, current, status, waiting_for=waiting, source="screen")
        for row, activity in touched:
            InstanceRow.update(last_activity=_from_epoch(activity)).where(InstanceRow.id == row.id).execute()

    def _hold(self, row: InstanceRow, when: str) -> None:
        """Hold new work until the reset. A notice is handled once: it stays on the screen after
        the release, and the same words only mean a new limit a day later."""
        import json
        from datetime import timedelta

        from cc_orchestrator.core.agents.limits import parse_reset
        from cc_orchestrator.core.events import utcnow

        now = utcnow()
        handled = json.loads(row.limit_notice or "{}")
        if handled.get("text") == when and now - _parse(handled.get("at")) < timedelta(hours=20):
            return
        until = parse_reset(when)
        if until is None:
            return
        notice = json.dumps({"text": when, "at": now.isoformat()})
        InstanceRow.update(held_until=until, limit_notice=notice).where(InstanceRow.id == row.id).execute()
        self.service.events.add(
            EventKind.LOG_MESSAGE,
            f"instance {row.id} hit its usage limit; no new work until {until:%Y-%m-%d %H:%M} UTC",
            level=Level.WARNING,
            instance_id=row.id,
            data={"held_until": until.isoformat()},
        )


def by_terminal(screen: ScreenState, profile, pane: PaneState) -> ScreenState:
    """A screen no pattern reads, of an agent at a line prompt: the kernel says whether it waits
    for its next line (blocked reading its terminal: IDLE) or is busy (RUNNING)."""
    from dataclasses import replace

    from cc_orchestrator.core.agents.terminal import ready_by_terminal

    if screen.kind != "unknown":
        return screen
    ready = ready_by_terminal(profile, pane.pid)
    return screen if ready is None else replace(screen, kind="ready" if ready else "working")


def _parse(text):
    from datetime import datetime

    return datetime.fromisoformat(text) if text else datetime.min


def _epoch(value) -> float:
    from datetime import UTC

    return value.replace(tzinfo=UTC).timestamp() if value else 0.0


def _from_epoch(seconds: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
