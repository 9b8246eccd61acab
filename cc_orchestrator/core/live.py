"""Journey 3 for the faces that stay open (the TUI, `serve`): pushed, not polled.

The signals already exist, so they replace a clock:
- a hook spool grows (Claude Code's hooks, Codex's notify): that spool is ingested;
- an agent's pane log grows (tmux `pipe-pane` writes its output there): that pane's screen is
  read, soon after the first write and at most every 0.25 s while output keeps coming;
- tmux's hooks append `pane-died SESSION` or `pane-exited SESSION` to its events file, or the
  kernel says an agent's process ended (a pidfd each): tmux is asked about the processes;
  `alert-silence SESSION` (no output for `hung_after_seconds`): that instance's health is checked;
- the database's WAL changes and `PRAGMA data_version` says another connection committed (the
  CLI, a hook, another face, this face's own actions): the store is read again;
- a snapshot came with a full page of events (a burst): the next round reads the rest at once;
- an agent at a line prompt changes nothing on screen when it starts reading its terminal:
  /proc is probed for that (`probes.py`), and then its screen is read.
The signals arrive on other threads and wait in `signals.py` for the next round. Each round
touches only what changed, then `on_snapshot` gets a new `Snapshot` if anything differs. A
sweep every SWEEP_SECONDS is the safety net and the source of CPU and memory figures: /proc
says whether each agent still runs (no subprocess at all), the health checks and auto-assign
run, changed settings are taken up. The instance on screen (`focus`) has its CPU and memory
read every FOCUS_SECONDS. Overlaps between worktrees (`core/review/overlaps.py`) are looked at
in each sweep and after a round where an instance's status changed (at most every
OVERLAPS_SECONDS): git runs only for a worktree whose HEAD, dirty-set proxy or base tip moved.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cc_orchestrator.core.instances.rows import usage_key
from cc_orchestrator.core.models import LOCAL_HOST, ResourceUsage
from cc_orchestrator.core.probes import TerminalProbes
from cc_orchestrator.core.processes import running
from cc_orchestrator.core.retention import Pruner
from cc_orchestrator.core.signals import Signals
from cc_orchestrator.core.snapshot import EVENTS_PER_SNAPSHOT, Snapshot, read_snapshot
from cc_orchestrator.core.tmux.events import HookLines
from cc_orchestrator.core.tmux.service import PaneState, instance_id_of, session_name
from cc_orchestrator.errors import message_of

SWEEP_SECONDS = 5.0
FOCUS_SECONDS = 1.0
OVERLAPS_SECONDS = 2.0  # between two overlap updates after status changes (the sweep's come anyway)


class Live:
    def __init__(
        self,
        orchestrator,
        on_snapshot: Callable[[Snapshot], None],
        on_error: Callable[[str], None] | None = None,
        sweep: float = SWEEP_SECONDS,
        after: int | None = None,
    ) -> None:
        """`after`: the newest event the face already has (its history came from `events.tail`);
        None: the newest in the store when Live starts. Snapshots carry the events after it."""
        self.orch = orchestrator
        self._after = after
        self.on_snapshot = on_snapshot
        self.on_error = on_error or (lambda message: None)
        self.sweep = sweep
        self.rounds = 0  # rounds of work done (the benchmarks read it)
        self.signals = Signals()  # what changed, posted from the watchers' threads
        self._stopped = threading.Event()
        self._probes = TerminalProbes(lambda instance: orchestrator.instances.profile_for(instance))
        self._hook_lines: HookLines | None = None  # what tmux's hooks wrote since we last read
        self._silence: dict[str, int] = {}  # pane id -> the monitor-silence seconds it was given
        self._focus: str | None = None
        self._panes: dict[str, PaneState] = {}
        self._usage: dict = {}
        self._last: Snapshot | None = None
        self._data_version: int | None = None
        self._read_mark: tuple[int, int] | None = None  # the store's commits when last read (_mark)
        self._backlog = False  # the last read stopped at EVENTS_PER_SNAPSHOT: more events wait
        self._thread: threading.Thread | None = None
        self._observer = None
        self._exits = None
        self._pruner = Pruner(orchestrator)  # old events and logs, from a sweep once an hour
        self._overlaps_at = 0.0  # monotonic time of the last overlap update
        self._hosts = None  # HostWatch: push from remote hosts, once one runs an agent

    # -- the face's side -----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="cc-orchestrator-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._pruner.stop()
        self.signals.wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)  # first: a round in progress still uses the watchers
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._exits is not None:
            self._exits.stop()
        if self._hosts is not None:
            self._hosts.stop()

    def kick(self) -> None:
        """Look at everything now: the user just acted (tmux and the store)."""
        self.signals.kick()

    def store_changed(self) -> None:
        """Read the store now: the face committed something (inotify would say so too, a
        little later, and not on every file system)."""
        self.signals.store_changed()

    def focus(self, instance_id: str | None) -> None:
        """The instance the user looks at: its CPU and memory every FOCUS_SECONDS."""
        self._focus = instance_id
        self.signals.wake.set()

    @property
    def snapshot(self) -> Snapshot | None:
        """The newest snapshot pushed."""
        return self._last

    def _watch(self) -> None:
        from cc_orchestrator.core import exits
        from cc_orchestrator.core.watching import watch

        if exits.available:
            self._exits = exits.ExitWatcher(lambda pid: self.signals.exited())
        if self.orch.tmux.events is not None:
            self._hook_lines = HookLines(self.orch.tmux.events)

        data = self.orch.data_dir
        self._observer = watch(
            spools=data / "spool",
            pane_logs=self.orch.instances.logs.logs_dir,
            database=self.orch.store.path,
            signals=self.signals,
        )

    # -- the rounds (this object's thread) -------------------------------------------------

    def _run(self) -> None:
        try:
            after = self._after if self._after is not None else self.orch.events.latest_id()
            self._push(read_snapshot(self.orch, after, live=False))  # the store alone: a first frame at once
            self._watch()
            self._full()
            self._push(self._read(self._last.last_event_id if self._last else after))
            self._watch_hosts()
        except Exception as exc:  # the face shows it; the watcher and the sweep go on
            self.on_error(message_of(exc))
        next_sweep = time.monotonic() + self.sweep
        next_focus = time.monotonic() + FOCUS_SECONDS
        while not self._stopped.is_set():
            now = time.monotonic()
            due = [next_sweep, *self.signals.due_times(), *self._probes.due_times()]
            if self._focus:
                due.append(next_focus)
            if self._backlog:
                due.append(now)
            self.signals.wake.wait(max(0.0, min(due) - now))
            self.signals.wake.clear()
            if self._stopped.is_set():
                return
            now = time.monotonic()
            try:
                self._round(now, sweep=now >= next_sweep, focus=bool(self._focus) and now >= next_focus)
            except Exception as exc:
                self.on_error(message_of(exc))
            if now >= next_sweep:
                next_sweep = now + self.sweep
            if now >= next_focus:
                next_focus = now + FOCUS_SECONDS

    def _round(self, now: float, sweep: bool, focus: bool) -> None:
        changed = self.signals.take(now)
        output = changed.output
        probed = self._probes.ready({i.id: i for i in self._last.instances} if self._last else {}, now)
        for instance_id in output:
            self._probes.start(instance_id, now)  # once its output stops: does it read its terminal?
        if not (changed or probed or sweep or focus or self._backlog) and not (changed.store and self._store_moved()):
            return  # nothing, or only our own writes to the database
        self.rounds += 1
        instances = self.orch.instances
        if changed.hooks:
            instances.ingester.ingest(sorted(changed.hooks))
        said = self._hook_lines.new() if changed.tmux and self._hook_lines is not None else []
        if changed.hosts and not changed.kicked:  # something moved there: that host's instances only
            result = instances.refresher.refresh(hosts=changed.hosts)
            self._learn({**self._panes, **result.panes})
        if changed.exited:
            self.orch.tmux.reap()  # tmux 3.3 may not have collected it: its status, its hook
        full = (
            changed.exited
            or changed.kicked
            or any(h.hook != "alert-silence" for h in said)
            or (sweep and self._someone_died())
        )
        if full:
            self._full()
        if reads := (probed if full else output | probed):
            result = instances.refresher.refresh(only=reads, panes=self._with_activity(reads & output))
            self._learn({**self._panes, **result.panes})
        if sweep:
            self._sweep()
        elif focus and self._focus:
            self._sample_focus()
        silent = {instance_id_of(h.session) for h in said if h.hook == "alert-silence"}
        if silent and not sweep:  # a sweep checked every instance
            self._check(silent)
        self.orch.review.step(sweep)  # turns that ended are checked; checks that ended, acted on
        self._store_moved()  # what this round read includes every commit so far
        if sweep:
            self._overlaps(now)
        snapshot = self._fresh()
        if not sweep and now - self._overlaps_at >= OVERLAPS_SECONDS and _statuses_moved(self._last, snapshot):
            mark = self._mark()
            self._overlaps(now, snapshot)
            if self._mark() != mark:  # it wrote: read again
                snapshot = self._fresh()
        self._push(snapshot)

    def _fresh(self) -> Snapshot:
        """The store read again; or, when nothing was committed since the last read (by any
        connection, this thread's included) and every worktree folder is as it was, the last
        snapshot with the new CPU and memory figures: an idle sweep reads nothing."""
        last, mark = self._last, self._mark()
        if (
            last is not None
            and not self._backlog
            and mark == self._read_mark
            and all(Path(w.path).is_dir() == w.exists for w in last.worktrees)
        ):
            usage = self._usage
            instances = tuple(
                dataclasses.replace(
                    i, resource_usage=(usage.get(usage_key(i.host, i.pid)) if i.pid else None) or ResourceUsage()
                )
                for i in last.instances
            )
            return dataclasses.replace(last, instances=instances, events=())
        self._read_mark = mark
        return self._read(last.last_event_id if last else 0)

    def _mark(self) -> tuple[int | None, int]:
        """Moves with every commit: another connection's (`PRAGMA data_version`, as the round's
        `_store_moved` just read it) or one made on this thread (its connection's count of
        changed rows)."""
        return self._data_version, self.orch.store.db.connection().total_changes

    def _full(self) -> None:
        """Ask tmux about every pane (one call) and read the screens whose output moved."""
        self._learn(self.orch.instances.refresher.refresh().panes)
        self._usage = self.orch.instances.sample(self._panes)
        self._watch_silence()

    def _learn(self, panes: dict[str, PaneState]) -> None:
        """The panes as tmux last said; the kernel then says when each agent ends (here: a
        remote host's pids are not ours to watch)."""
        self._panes = panes
        if self._exits is not None:
            self._exits.watch(p.pid for p in self._local_panes() if p.pid and not p.dead)

    def _local_panes(self) -> list[PaneState]:
        away = self.orch.instances.refresher.remote_sessions
        return [p for name, p in self._panes.items() if name not in away]

    def _remote_hosts(self) -> set[str]:
        """Remote hosts running a live instance, as the last snapshot says."""
        shown = self._last.instances if self._last else ()
        return {i.host for i in shown if i.host != LOCAL_HOST and i.status.is_live}

    def _watch_hosts(self) -> None:
        """A watcher on each remote host that runs an agent; none on the others."""
        hosts = self._remote_hosts()
        if self._hosts is None and hosts:
            from cc_orchestrator.core.hosts.watch import HostWatch

            self._hosts = HostWatch(self.orch.instances.fleet.remote, self.signals.host)
        if self._hosts is not None and not self._stopped.is_set():
            self._hosts.watch(hosts)

    def _with_activity(self, instance_ids: set[str]) -> dict[str, PaneState]:
        """The panes as last seen, with their output's time (last activity) brought up to now."""
        now = time.time()
        sessions = {session_name(i) for i in instance_ids}
        return {
            name: dataclasses.replace(pane, activity=max(pane.activity, float(int(now)))) if name in sessions else pane
            for name, pane in self._panes.items()
        }

    def _someone_died(self) -> bool:
        """A live agent's process is gone or a zombie (/proc, no subprocess; tmux sometimes
        never reaps an agent, tmux/tmux#4841, and then its pane-died hook never fires either),
        or an agent is not known yet."""
        live = [p for p in self._local_panes() if p.pid and not p.dead]
        if any(not running(p.pid) for p in live):
            return True
        last = self._last
        known = {p.session for p in self._panes.values()}
        return bool(
            last
            and any(i.status.is_live and i.host == LOCAL_HOST and i.tmux_session not in known for i in last.instances)
        )

    def _sweep(self) -> None:
        orch = self.orch
        orch.reload_settings()
        if remote := self._remote_hosts():  # their watchers push; this catches what they missed
            self._learn({**self._panes, **orch.instances.refresher.refresh(hosts=remote).panes})
        self._watch_hosts()
        self._usage = orch.instances.sample(self._panes)
        self._check(None)
        self._watch_silence()  # hung_after_seconds may have changed
        orch.dispatcher.kick()
        self._pruner.kick()

    def _overlaps(self, now: float, snapshot: Snapshot | None = None) -> None:
        """Recompute the overlaps of worktrees that moved (no git when none did), from the
        worktrees and instances the newest snapshot shows."""
        self._overlaps_at = now
        shown = snapshot or self._last
        try:
            if shown is None:
                self.orch.overlaps.update()
            else:
                self.orch.overlaps.update(worktrees=shown.worktrees, instances=shown.instances)
        except Exception as exc:  # the round goes on; the face shows why
            self.on_error(f"checking overlaps failed: {message_of(exc)}")

    def _check(self, only: set[str | None] | None) -> None:
        """Health checks over what was shown (`only` these instances), with fresh figures."""
        if self._last is not None:
            usage = self._usage
            self.orch.monitor.check(
                [
                    dataclasses.replace(i, resource_usage=usage[usage_key(i.host, i.pid)])
                    if usage_key(i.host, i.pid) in usage
                    else i
                    for i in self._last.instances
                    if only is None or i.id in only
                ]
            )

    def _watch_silence(self) -> None:
        """tmux's `alert-silence` after `hung_after_seconds` without output (one second more, so
        the check then finds it past the limit), on each live agent pane not yet told."""
        seconds = self.orch.settings.hung_after_seconds + 1
        live = {p.pane_id for p in self._local_panes() if p.pid and not p.dead}
        fresh = sorted(p for p in live if self._silence.get(p) != seconds)
        if fresh:
            self.orch.tmux.watch_silence(fresh, seconds)
        self._silence = {p: seconds for p in live}

    def _sample_focus(self) -> None:
        name = session_name(self._focus)
        pane = self._panes.get(name)
        if (
            pane is not None
            and pane.pid
            and not pane.dead
            and name not in self.orch.instances.refresher.remote_sessions
        ):
            self._usage = {**self._usage, pane.pid: self.orch.instances.sampler.usage(pane.pid)}

    def _store_moved(self) -> bool:
        version = self.orch.store.data_version()
        moved, self._data_version = version != self._data_version, version
        return moved

    def _read(self, after: int) -> Snapshot:
        return read_snapshot(self.orch, after, live=True, usage=self._usage)

    def _push(self, snapshot: Snapshot) -> None:
        last = self._last
        self._backlog = len(snapshot.events) >= EVENTS_PER_SNAPSHOT
        if last is not None and not snapshot.events and _same(last, snapshot):
            return
        self._last = snapshot
        self._probes.pending(snapshot.instances, time.monotonic())
        self.on_snapshot(snapshot)


def _same(before: Snapshot, after: Snapshot) -> bool:
    return (
        before.instances == after.instances
        and before.tasks == after.tasks
        and before.worktrees == after.worktrees
        and before.overlaps == after.overlaps
        and before.live == after.live
    )


def _statuses_moved(before: Snapshot | None, after: Snapshot) -> bool:
    """An instance's status changed (or one came or went): an agent's turn ended or began."""
    if before is None:
        return False
    return {i.id: i.status for i in before.instances} != {i.id: i.status for i in after.instances}
