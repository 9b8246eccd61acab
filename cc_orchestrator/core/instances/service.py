"""Agent instances for every face: reading them, prompts, stopping; starting lives in
`starting.py`, the refresh in `refresh.py`, a user's actions on an agent in `actions.py`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cc_orchestrator.core.agents.codex import codex_home
from cc_orchestrator.core.events import EventLog
from cc_orchestrator.core.instances import readiness
from cc_orchestrator.core.instances.ingest import SpoolIngester
from cc_orchestrator.core.instances.refresh import StateRefresher
from cc_orchestrator.core.instances.rows import find_row, is_local, to_instance, unreachable_hosts, usage_key
from cc_orchestrator.core.instances.starting import start as start_instance
from cc_orchestrator.core.instances.status import set_status
from cc_orchestrator.core.logs import PaneLogs
from cc_orchestrator.core.models import LOCAL_HOST, Instance, InstanceStatus, ResourceUsage, TaskStatus
from cc_orchestrator.core.processes import ProcessSampler, terminate_tree
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.core.tasks import TaskService
from cc_orchestrator.core.text import checked
from cc_orchestrator.core.tmux.service import PaneState, TmuxService
from cc_orchestrator.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from cc_orchestrator.config.settings import Settings
    from cc_orchestrator.core.git.worktrees import WorktreeService
    from cc_orchestrator.core.hosts.fleet import Fleet
    from cc_orchestrator.core.hosts.service import HostService


class InstanceService:
    def __init__(
        self,
        store: Store,
        events: EventLog,
        settings: Callable[[], Settings],
        tmux: TmuxService,
        tasks: TaskService,
        worktrees: Callable[[], WorktreeService],
        data_dir: Path,
        sampler: ProcessSampler | None = None,
        hosts: Callable[[], HostService] | None = None,
    ) -> None:
        """`settings` is called when a setting is needed (building them costs 100+ ms, which a
        refresh that finds nothing new never pays); `data_dir` holds the spools and pane logs."""
        self.store = store
        self.events = events
        self._settings = settings
        self.tmux = tmux
        self.tasks = tasks
        self._worktrees = worktrees
        self._hosts = hosts
        self.data_dir = Path(data_dir)
        self.sampler = sampler or ProcessSampler()
        self.logs = PaneLogs(Path(data_dir) / "logs" / "panes")
        self.ingester = SpoolIngester(
            store, events, Path(data_dir) / "spool", lambda row: codex_home(self.profile_for(row).env)
        )
        self.refresher = StateRefresher(self)

    @property
    def settings(self) -> Settings:
        return self._settings()

    def profile_for(self, row: InstanceRow | Instance):
        """The instance's agent profile, from its row or its Instance (generic if its profile was
        removed from the config)."""
        profiles = self.settings.profiles
        return profiles.get(row.agent) or profiles["generic"]

    def auto_answers(self, row: InstanceRow, dialog) -> bool:
        """Whether the orchestrator answers this dialog itself (never a permission prompt).
        Trust is for worktrees we made: a worktree row here, or any remote instance's (a remote
        start always makes its worktree there, which has no row here)."""
        if dialog.auto_approve:
            return True
        ours = bool(row.worktree_id) or (not is_local(row.host) and bool(row.worktree_path))
        return dialog.name == "trust" and self.settings.trust_worktrees and ours

    @property
    def worktrees(self) -> WorktreeService:
        return self._worktrees()

    @property
    def hosts(self) -> HostService:
        if self._hosts is None:
            raise NotFound("no remote hosts here")
        return self._hosts()

    @cached_property
    def fleet(self) -> Fleet:
        """The remote hosts' tmux, folders and health (built when a remote instance is first met)."""
        from cc_orchestrator.core.hosts.fleet import Fleet

        return Fleet(
            self.store, self.events, lambda: self.hosts.ssh, self.data_dir, self.tmux.socket_name, self.tmux.marker
        )

    def tmux_for(self, host: str | None) -> TmuxService:
        """The tmux server an instance on `host` runs in: ours, or that host's over ssh."""
        return self.tmux if is_local(host) else self.fleet.remote(host).tmux

    # -- reading -----------------------------------------------------------------------

    def get(self, ref: str, refresh: bool = True) -> Instance:
        if refresh:
            self.refresh()
        row, away = self.store.read(lambda: (find_row(ref), unreachable_hosts()))
        return to_instance(row, self.usage_of(row), away)

    def list(
        self, repo: str | None = None, status: InstanceStatus | None = None, refresh: bool = True
    ) -> list[Instance]:
        """Instances, oldest first, with live status and resource usage."""
        panes = self.refresh() if refresh else {}

        def query() -> list[InstanceRow]:
            q = InstanceRow.select().order_by(InstanceRow.created_at, InstanceRow.id)
            if repo is not None:
                q = q.where(InstanceRow.repo == str(repo))
            if status is not None:
                q = q.where(InstanceRow.status == status.value)
            return list(q)

        rows, away = self.store.read(lambda: (query(), unreachable_hosts()))
        if not refresh:  # no fresh view of the processes: leave the sampler's round alone
            return [to_instance(r, None, away) for r in rows]
        usage = self.sample(panes)
        return [to_instance(r, usage.get(usage_key(r.host, r.pid)), away) for r in rows]

    def usage_of(self, row: InstanceRow) -> ResourceUsage | None:
        """One instance's CPU and memory now: /proc here; the last batch's figures for a remote one."""
        if not row.pid:
            return None
        if row.host and row.host != LOCAL_HOST:
            return self.fleet.usage.get(usage_key(row.host, row.pid))
        return self.sampler.usage(row.pid)

    def remote_usage(self) -> dict:
        """CPU and memory of remote agents as their hosts' last batches said, by (host, pid)."""
        return dict(self.fleet.usage) if "fleet" in self.__dict__ else {}

    def sample(self, panes: dict[str, PaneState]) -> dict:
        """CPU and memory of every live agent's process tree: here from /proc (no subprocess),
        by pid; a remote one's from its host's last batch, by (host, pid)."""
        away = self.refresher.remote_sessions
        here = (p.pid for name, p in panes.items() if p.pid and not p.dead and name not in away)
        return {**self.sampler.sample(here), **self.remote_usage()}

    # -- the refresh (journey 3) ---------------------------------------------------------

    def refresh(self, screens: bool = True) -> dict[str, PaneState]:
        """Ingest hook spools, then bring every live instance in line with tmux and its screen.

        One tmux call for all instances, plus a capture of each pane whose output moved.
        Returns the snapshot so callers can reuse it.
        """
        return self.refresher.refresh(screens=screens).panes

    # Starting is its own module (journey 2), a remote start another (`remote_start.py`).
    def start(self, repo: Path, *, host: str | None = None, **options) -> Instance:
        """Start an agent (`starting.start`'s options); with `host`, on that remote host."""
        if host is not None and not is_local(host.strip().lower()):
            from cc_orchestrator.core.instances.remote_start import start_on

            return start_on(self, host.strip().lower(), repo, **_remote_options(options))
        return start_instance(self, repo, **options)

    # -- prompts -----------------------------------------------------------------------

    def deliver_when_ready(self, ref: str, timeout: float | None = None, progress=None) -> readiness.Readiness:
        """Wait for the agent to be ready, then paste its pending prompt.

        Returns what was seen: ready (and delivered), a dialog that needs the user, or why the
        prompt is still pending when `timeout` passed. `progress(readiness)` hears each change.
        """
        row = self.store.read(lambda: find_row(ref))
        if not row.pending_prompt:
            return readiness.Readiness(True, "no prompt was pending")
        wait = self.settings.prompt_ready_timeout if timeout is None else timeout
        state = readiness.wait_until_ready(self, row, wait, progress)
        if state.ready and not self.deliver_pending(row.id):
            return readiness.Readiness(True, "another process delivered it")
        return state

    def deliver_pending(self, instance_id: str) -> bool:
        """Deliver the pending prompt now (one process does: see `delivery.py`)."""
        from cc_orchestrator.core.instances import delivery

        return delivery.deliver(self, instance_id)

    def send(self, ref: str, text: str, enter: bool = True) -> Instance:
        """Paste text into a live agent (then Enter)."""
        if not text.strip():
            raise InvalidInput("nothing to send: the text is empty")
        checked(text, "the text to send")
        instance = self.live_instance(ref)
        self.tmux_for(instance.host).send_text(instance.tmux_session, text, enter=enter)
        self.events.log(
            f"sent {len(text)} characters to instance {instance.id}",
            instance_id=instance.id,
            data={"text": text[:500]},
        )
        return instance

    def live_instance(self, ref: str) -> Instance:
        """The instance, refreshed; Conflict unless it is live."""
        instance = self.get(ref)
        if not instance.status.is_live:
            raise Conflict(f"instance {instance.id} is {instance.status.value}; start or restart it first")
        return instance

    def approve(self, ref: str) -> Instance:
        """Say yes to the question the agent shows (a permission prompt or a start-up dialog)."""
        from cc_orchestrator.core.instances.actions import answer

        return answer(self, ref, approve=True)

    def reject(self, ref: str) -> Instance:
        from cc_orchestrator.core.instances.actions import answer

        return answer(self, ref, approve=False)

    def interrupt(self, ref: str) -> Instance:
        """Stop what the agent is doing now (Escape for most agents); it stays alive."""
        from cc_orchestrator.core.instances.actions import interrupt

        return interrupt(self, ref)

    def restart(self, ref: str, command: list[str] | None = None) -> Instance:
        """Bring a dead agent back in its worktree (resuming its conversation if it can)."""
        from cc_orchestrator.core.instances.actions import restart

        return restart(self, ref, command)

    def recover(self, everything: bool = False, on_each=None):
        """Restart, one at a time, the agents whose session was lost (a reboot, a killed tmux
        server), resuming their conversations; with `everything`, every stopped or failed one."""
        from cc_orchestrator.core.instances.recovery import recover

        return recover(self, everything, on_each)

    def resume_after_limit(self, ref: str) -> Instance:
        """The usage limit has reset: lift the hold and ask the agent to go on."""
        row = self.store.read(lambda: find_row(ref))
        self.store.write(lambda: InstanceRow.update(held_until=None).where(InstanceRow.id == row.id).execute())
        self.tmux_for(row.host).send_text(row.tmux_session, self.profile_for(row).resume_prompt)
        self.events.log(f"usage limit of instance {row.id} has reset; resumed it", instance_id=row.id)
        return self.get(row.id, refresh=False)

    def screen(self, ref: str, lines: int | None = None) -> str:
        """The agent's screen as text now (plus `lines` of history); NotFound without a session."""
        row = self.store.read(lambda: find_row(ref))
        return self.tmux_for(row.host).capture(row.tmux_session, lines=lines)

    def attach_argv(self, ref: str, environ: Mapping[str, str] | None = None) -> list[str]:
        """The command that puts a terminal in the instance's session: `switch-client` from
        inside the agents' tmux server (`environ` is the terminal's), else `attach`."""
        instance = self.get(ref)
        tmux = self.tmux_for(instance.host)
        if instance.status is InstanceStatus.UNREACHABLE:
            raise Conflict(f"instance {instance.id} is on host {instance.host}, which does not answer")
        if tmux.panes().get(instance.tmux_session) is None:
            raise Conflict(f"instance {instance.id} has no tmux session ({instance.status.value})")
        if tmux.holds_client(environ):
            return tmux.switch_argv(instance.tmux_session)
        return tmux.attach_argv(instance.tmux_session)

    def remove(self, ref: str, remove_worktree: bool = True, force: bool = False) -> Instance:
        """Stop the instance if it is not stopped yet, and remove its worktree (unless not
        `remove_worktree`); work that would be lost is refused before anything stops, unless
        `force`."""
        row = self.store.read(lambda: find_row(ref))
        if row.status != InstanceStatus.STOPPED.value:
            return self.stop(row.id, remove_worktree=remove_worktree, force=force)
        if row.worktree_id and remove_worktree:
            self.worktrees.remove(row.worktree_id, force=force)
        elif remove_worktree and not is_local(row.host) and row.worktree_path:
            self._remove_remote_worktree(row, force)
        return self.get(row.id, refresh=False)

    # -- stopping ----------------------------------------------------------------------

    def _after_its_start(self, row: InstanceRow, timeout: float = 120.0) -> InstanceRow:
        """Stop and start of one instance are ordered: while another process (or thread) is
        still starting it, wait for that start to finish (or roll back) first, so nothing it
        makes afterwards escapes the stop or takes a slot nobody counts."""
        from cc_orchestrator.core.instances.observe import starter_alive

        deadline = time.monotonic() + timeout
        while row.status == InstanceStatus.STARTING.value and starter_alive(row.starter_pid):
            if time.monotonic() > deadline:
                raise Conflict(f"instance {row.id} is still starting after {timeout:.0f} s; try again")
            time.sleep(0.05)
            found = self.store.read(lambda r=row: InstanceRow.get_or_none(InstanceRow.id == r.id))
            if found is None:
                raise Conflict(f"instance {row.id} did not start: its start failed and was rolled back")
            row = found
        if row.status == InstanceStatus.STARTING.value:  # its starter died: the refresh says ERROR
            self.refresh()
            row = self.store.read(lambda: find_row(row.id))
        return row

    def _stopping(self, instance_id: str, pid: int | None) -> None:
        """Say (or unsay) that this process is stopping the instance: others then leave it be
        while it runs (pid and start time: a reused pid does not count)."""
        from cc_orchestrator.core.processes import started_at

        since = started_at(pid) if pid else None
        update = InstanceRow.update(stopper_pid=pid, stopper_since=since)
        self.store.write(lambda: update.where(InstanceRow.id == instance_id).execute())

    def _end_escaped(self, instance_id: str) -> int:
        """End the agent's processes that left its process tree; how many there were."""
        from cc_orchestrator.core.processes import with_environment

        escaped = [p for p in with_environment("CC_ORCHESTRATOR_INSTANCE_ID", instance_id) if p != os.getpid()]
        for pid in escaped:
            terminate_tree(pid, self.settings.stop_timeout)
        return len(escaped)

    def stop(self, ref: str, remove_worktree: bool = False, force: bool = False) -> Instance:
        """End the agent's whole process tree, kill its session, mark it STOPPED.

        The worktree and branch stay unless `remove_worktree`; a worktree with unsaved work is
        then refused before anything is stopped (unless `force`).
        """
        self.refresh()
        row = self._after_its_start(self.store.read(lambda: find_row(ref)))
        if row.status == InstanceStatus.STOPPED.value:
            raise Conflict(f"instance {row.id} is already stopped")
        if remove_worktree and row.worktree_id:
            self.worktrees.check_removable(row.worktree_id, force=force, ignore_instance=row.id)
        failed = row.status == InstanceStatus.ERROR.value  # before we stop it: its message stays

        def stopped() -> None:
            current = InstanceRow.get_by_id(row.id)
            InstanceRow.update(stopper_pid=None, stopper_since=None).where(InstanceRow.id == row.id).execute()
            message = current.status_message if failed else "stopped by user"
            if escaped:
                message += f"; ended {escaped} process{'es' if escaped > 1 else ''} that had left its process tree"
            exit_status = current.exit_status if failed else None
            set_status(self.events, current, InstanceStatus.STOPPED, message, exit_status=exit_status, source="user")
            if current.task_id is not None:
                task = self.tasks.get(current.task_id)
                if task.status is TaskStatus.ASSIGNED:
                    self.tasks.set_status(current.task_id, TaskStatus.PENDING)

        self._stopping(row.id, os.getpid())
        here = is_local(row.host)
        tmux = self.tmux_for(row.host)
        try:
            pane = tmux.panes().get(row.tmux_session)  # an ERROR instance's dead pane too
            if here and pane is not None and pane.pid and not pane.dead:
                terminate_tree(pane.pid, self.settings.stop_timeout)
            if pane is not None:  # there, tmux ends the agent: SIGHUP to its pane's processes
                with contextlib.suppress(NotFound):
                    tmux.kill_session(row.tmux_session)
            escaped = self._end_escaped(row.id) if here else 0
            self.store.write(stopped)
        except BaseException:  # the refresh decides again, rather than waiting for this process
            with contextlib.suppress(Exception):
                self._stopping(row.id, None)
            raise
        if remove_worktree and row.worktree_id:
            self.worktrees.remove(row.worktree_id, force=force)
        elif remove_worktree and not here and row.worktree_path:
            self._remove_remote_worktree(row, force)
        return self.get(row.id, refresh=False)

    def _remove_remote_worktree(self, row: InstanceRow, force: bool) -> None:
        """A remote instance's worktree, removed there by git (which refuses one with changes
        unless `force`; the branch goes too only with `force`)."""
        from cc_orchestrator.core.instances.remote_start import remove_worktree

        remove_worktree(self.fleet.remote(row.host), row.repo, row.worktree_path, row.branch or "", force)
        self.events.log(f"removed the worktree of instance {row.id} on host {row.host}", instance_id=row.id)


def _remote_options(options: dict) -> dict:
    names = ("task_id", "branch", "base", "command", "layout", "prompt", "agent")
    return {name: options.get(name) for name in names}
