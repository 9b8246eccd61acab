"""The one entry point every face uses: services built lazily over one data dir.

Nothing is imported or opened before it is needed, so `tasks list` touches SQLite only, and
`--help` touches nothing. The CLI, the TUI and the web server each hold one Orchestrator.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_orchestrator.config import paths
from cc_orchestrator.core.events import EventLog
from cc_orchestrator.core.models import Instance, TmuxSession
from cc_orchestrator.core.snapshot import Snapshot
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.tasks import TaskService
from cc_orchestrator.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # each service is imported when first used: `--help` and `tasks list` stay fast
    from cc_orchestrator.config.settings import Settings
    from cc_orchestrator.core.agents.monitor import Monitor
    from cc_orchestrator.core.configuration import ConfigService
    from cc_orchestrator.core.git.worktrees import WorktreeService
    from cc_orchestrator.core.hosts.service import HostService
    from cc_orchestrator.core.hosts.ssh import Ssh
    from cc_orchestrator.core.instances.service import InstanceService
    from cc_orchestrator.core.integrations.dispatch import Dispatcher
    from cc_orchestrator.core.integrations.service import IntegrationService
    from cc_orchestrator.core.live import Live
    from cc_orchestrator.core.models import Worktree
    from cc_orchestrator.core.review.overlaps import Overlaps
    from cc_orchestrator.core.review.queue import MergeService
    from cc_orchestrator.core.review.service import ReviewService
    from cc_orchestrator.core.tmux.service import TmuxService


class Orchestrator:
    def __init__(self, data_dir: Path | str | None = None, **explicit: Any) -> None:
        """`explicit` settings win over every other source (tests and scripts use this)."""
        self.data_dir = Path(data_dir).expanduser() if data_dir else paths.data_dir()
        self._explicit = {"data_dir": self.data_dir, **explicit}

    # -- services ----------------------------------------------------------------------

    @cached_property
    def store(self) -> Store:
        return Store(paths.database_path(self.data_dir))

    @cached_property
    def events(self) -> EventLog:
        return EventLog(self.store)

    @cached_property
    def tasks(self) -> TaskService:
        return TaskService(self.store, self.events)

    @cached_property
    def config(self) -> ConfigService:
        from cc_orchestrator.core.configuration import ConfigService

        return ConfigService(self.store, self.events, self._explicit)

    @cached_property
    def settings(self) -> Settings:
        return self.config.effective()

    @cached_property
    def tmux(self) -> TmuxService:
        from cc_orchestrator.core.tmux.service import EVENTS_FILE, TmuxService

        return TmuxService(
            self.tmux_socket, marker=str(self.data_dir.resolve()), events=self.data_dir / "spool" / EVENTS_FILE
        )

    @cached_property
    def tmux_socket(self) -> str | None:
        """The agents' tmux server (`tmux -L NAME`, or None for the user's own), read without
        building Settings: the refresh, which every command runs, needs nothing else."""
        if "settings" in self.__dict__:
            return self.settings.tmux_socket
        from cc_orchestrator.config.paths import socket_name
        from cc_orchestrator.errors import InvalidInput

        try:
            return socket_name(self.config.raw("tmux_socket"))
        except ValueError as exc:
            raise InvalidInput(f"invalid tmux_socket: {exc}") from None

    @cached_property
    def worktrees(self) -> WorktreeService:
        from cc_orchestrator.core.git.worktrees import WorktreeService

        settings = self.settings
        return WorktreeService(
            self.store, self.events, settings.worktrees_dir, settings.stale_after_days, settings.protect
        )

    @cached_property
    def hosts(self) -> HostService:
        """The machines agents may run on: `local`, and remote hosts reached over ssh."""
        from cc_orchestrator.core.hosts.service import HostService

        return HostService(self.store, self.events, lambda: self.ssh)

    @cached_property
    def ssh(self) -> Ssh:
        """One multiplexed ssh connection per remote host, opened by its first call."""
        from cc_orchestrator.core.hosts.ssh import Ssh

        settings = self.settings
        config = settings.ssh_config.expanduser() if settings.ssh_config else None
        return Ssh(self.data_dir, config, settings.ssh_connect_timeout)

    @cached_property
    def overlaps(self) -> Overlaps:
        """Active worktrees that change the same files, or no longer merge (the review loop)."""
        from cc_orchestrator.core.review.overlaps import Overlaps

        return Overlaps(self.store, self.events)

    @cached_property
    def instances(self) -> InstanceService:
        from cc_orchestrator.core.instances import InstanceService

        return InstanceService(
            self.store,
            self.events,
            lambda: self.settings,
            self.tmux,
            self.tasks,
            lambda: self.worktrees,
            self.data_dir,
            hosts=lambda: self.hosts,
        )

    @cached_property
    def merges(self) -> MergeService:
        """Finished work merged into its base: one task, or the merge queue (`merge_ready`)."""
        from cc_orchestrator.core.review.queue import MergeService

        return MergeService(self)

    @cached_property
    def integrations(self) -> IntegrationService:
        from cc_orchestrator.core.integrations.service import IntegrationService

        return IntegrationService(self.store, self.events, self.tasks, lambda: self.settings)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """Pull requests, Jira moves and Slack notices, following the events table."""
        from cc_orchestrator.core.integrations.dispatch import Dispatcher

        return Dispatcher(self.integrations)

    @cached_property
    def review(self) -> ReviewService:
        """The review loop: the gate's checks on finished turns, and what they found."""
        from cc_orchestrator.core.review.service import ReviewService

        return ReviewService(self)

    @cached_property
    def monitor(self) -> Monitor:
        from cc_orchestrator.core.agents.monitor import Monitor

        return Monitor(self)

    def tick(self) -> list[Instance]:
        """One round for a long-lived face: settings changed elsewhere, ingest, refresh,
        health checks, auto-assign."""
        self.reload_settings()
        instances = self.monitor.tick()
        if self.review.step(sweep=True):
            instances = self.instances.list(refresh=False)
        self.dispatcher.kick()  # pull requests, Jira moves, Slack notices: on their own thread
        return instances

    def snapshot(self, after_event_id: int = 0, refresh: bool = True) -> Snapshot:
        """Instances, tasks, worktrees, overlaps and the events after `after_event_id`, consistent
        with one another (journey 3). With `refresh`, tmux and the hook spools are read first
        and each live agent's CPU and memory sampled; without, it is the store alone."""
        from cc_orchestrator.core.snapshot import read_snapshot

        usage = self.instances.sample(self.instances.refresh()) if refresh else {}
        return read_snapshot(self, after_event_id, live=refresh, usage=usage)

    def live(self, on_snapshot, on_error=None, sweep: float | None = None, after: int | None = None) -> Live:
        """Start pushing snapshots to `on_snapshot` whenever something changes (the TUI,
        `serve`, `monitor`); returns the running `Live`, to `kick`, `focus` and `stop`. Its
        snapshots carry the events after `after` (default: the newest when it starts)."""
        from cc_orchestrator.core.live import SWEEP_SECONDS, Live

        live = Live(self, on_snapshot, on_error, sweep=sweep or SWEEP_SECONDS, after=after)
        live.start()
        return live

    def reload_settings(self) -> bool:
        """Take up values stored since the settings were read (by `config set`, the TUI or the
        API, in any process). Running services use them from their next round; `tmux_socket`
        and `data_dir` need a restart, since sessions and the database live there."""
        stamp = self.config.stamp()
        known, self._config_stamp = getattr(self, "_config_stamp", None), stamp
        if known is None or known == stamp or "settings" not in self.__dict__:
            return False
        current = self.settings
        fresh = self.config.effective().model_copy(
            update={"tmux_socket": current.tmux_socket, "data_dir": current.data_dir}
        )
        self.__dict__["settings"] = fresh
        if "worktrees" in self.__dict__:
            self.worktrees.worktrees_dir = fresh.worktrees_dir
            self.worktrees.stale_after_days = fresh.stale_after_days
            self.worktrees.protect = tuple(fresh.protect)
        self.events.log("settings changed; using the new values")
        return True

    def agent_warnings(self) -> list[str]:
        """A line per installed agent newer than the newest version tested with us (the TUI's
        header and `serve` say it once at start)."""
        from cc_orchestrator.core.agents.doctor import newer_than_tested

        profiles = {p.name: p for p in (*self.settings.profiles.values(), self.settings.profile())}
        return newer_than_tested([p for p in profiles.values() if p.tested_versions])

    def watch_spools(self, on_change=None):
        """Start a watchdog watcher that ingests hook spools as they are written."""
        from cc_orchestrator.core.agents.watch import SpoolWatcher

        watcher = SpoolWatcher(self.instances.ingester, on_change)
        watcher.start()
        return watcher

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    # -- operations that span services ---------------------------------------------------

    def assign(
        self,
        task_id: int | str,
        repo: Path | str | None = None,
        wait: bool = True,
        *,
        branch: str | None = None,
        base: str | None = None,
        command: list[str] | None = None,
        layout: str | None = None,
        agent: str | None = None,
        host: str | None = None,
    ) -> Instance:
        """Start an instance for a ready task and hand it the task as its first prompt: the one
        way a task gets an instance (`tasks assign`, `instances start --task`, the faces).
        It runs on `host`, else on the host the task names, else here.

        The task's own repository wins over `repo`; the other options are `instances.start`'s.
        With `wait`, block until the agent is ready and the prompt is delivered (or a dialog
        needs the user, or the ready timeout passes; the prompt then stays pending and the
        next refresh delivers it); `instances.deliver_when_ready` says which.
        """
        task = self.tasks.get(task_id)  # readiness is checked when the slot is reserved
        where = task.repo or repo or Path.cwd()
        host = host or task.host
        if host and task.host and host.strip().lower() != task.host:
            raise InvalidInput(f"task {task.id} must run on host {task.host}, not {host}")
        options = {"branch": branch, "base": base, "command": command, "layout": layout, "agent": agent}
        instance = self.instances.start(Path(where), task_id=task.id, host=host, **options)
        if wait:
            self.instances.deliver_when_ready(instance.id)
        return self.instances.get(instance.id, refresh=False)

    def auto_assign(self, repo: Path | str | None = None) -> list[Instance]:
        """Fill free instance slots with the highest-priority ready tasks.

        Nothing starts while an instance of the default agent waits out a usage limit: a new
        one would hit the same limit.
        """
        from cc_orchestrator.core.instances.placement import free_slots, place

        free = self.store.read(lambda: free_slots(self.settings.max_instances))
        total = sum(free.values())
        ready = self.tasks.ready(limit=total) if total > 0 else []
        if not ready or self.settings.default_agent in self.held_agents():
            return []
        started = []
        hosts = {h.name: h for h in self.hosts.list()}
        for task in ready:
            host = place(task, free, hosts)
            if host is not None:
                started.append(self.assign(task.id, repo, wait=False, host=host))
                free[host] -= 1
        return started

    def held_agents(self) -> dict[str, object]:
        """Agent profiles with an instance waiting for its usage limit to reset, and until when."""
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        held: dict[str, object] = {}
        for instance in self.instances.list(refresh=False):
            if instance.held_until and instance.held_until > now and instance.status.is_live:
                held[instance.agent] = max(instance.held_until, held.get(instance.agent, instance.held_until))
        return held

    def stored_view(self) -> tuple[list[Instance], list[Worktree]]:
        """Instances and worktrees as last recorded: no settings, tmux or git, so a face can
        paint its first frame at once and refresh after."""
        from cc_orchestrator.core.git.worktrees import stored_worktrees
        from cc_orchestrator.core.instances.rows import to_instance
        from cc_orchestrator.core.store.tables import InstanceRow

        rows = self.store.read(lambda: list(InstanceRow.select().order_by(InstanceRow.created_at, InstanceRow.id)))
        return [to_instance(r) for r in rows], stored_worktrees(self.store)

    @staticmethod
    def repo(path: Path | str | None = None, required: bool = True) -> Path | None:
        """The repository to act on: the one holding `path` (a --repo or --in-repo option),
        else the one holding the current folder; None outside any when not `required`."""
        from cc_orchestrator.core.git.repository import repo_of

        return repo_of(path, required)

    def known_repos(self) -> list[Path]:
        from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow

        def query() -> set[str]:
            repos = {r.repo for r in WorktreeRow.select(WorktreeRow.repo).distinct()}
            repos |= {r.repo for r in InstanceRow.select(InstanceRow.repo).distinct() if r.repo}
            return repos

        return [Path(r) for r in sorted(self.store.read(query)) if Path(r).is_dir()]

    # -- orphaned sessions -------------------------------------------------------------

    def sessions(self) -> list[TmuxSession]:
        """Our sessions on the tmux server, each flagged orphan when no instance claims it."""
        return [s for s in self.tmux.sessions(self._claimed()) if s.ours]

    def _claimed(self) -> set[str]:
        from cc_orchestrator.core.store.tables import InstanceRow

        return self.store.read(
            lambda: {r.id for r in InstanceRow.select(InstanceRow.id).where(InstanceRow.status != "STOPPED")}
        )

    def orphans(self) -> list[TmuxSession]:
        """Our sessions (by name and marker) that no unstopped instance row claims."""
        return [s for s in self.sessions() if s.orphan]

    def _orphan(self, name: str) -> TmuxSession:
        for session in self.orphans():
            if name in (session.name, session.instance_id):
                return session
        raise NotFound(f"no orphaned cc-orchestrator session {name!r}")

    def kill_orphan(self, name: str) -> TmuxSession:
        from cc_orchestrator.core.processes import terminate_tree

        session = self._orphan(name)
        pane = self.tmux.panes().get(session.name)
        if pane is not None and pane.pid and not pane.dead:
            terminate_tree(pane.pid, self.settings.stop_timeout)
        self.tmux.kill_session(session.name)
        self.events.log(f"killed orphaned tmux session {session.name}")
        return session

    def adopt_orphan(self, name: str) -> Instance:
        from cc_orchestrator.core.instances.adopt import adopt_session
        from cc_orchestrator.core.models import Level
        from cc_orchestrator.core.reconcile import find_worktrees
        from cc_orchestrator.errors import OrchestratorError

        session = self._orphan(name)
        try:  # after a lost database: its worktree's row first, so the instance gets repo and branch
            find_worktrees(self, [session.name])
        except OrchestratorError as exc:  # the agent is still adopted; reconcile links it later
            self.events.log(f"no worktree found for session {session.name}: {exc.message}", level=Level.WARNING)
        return adopt_session(self, session)
