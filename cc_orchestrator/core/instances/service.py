"""Starting, watching, talking to and stopping agent instances.

Start (journey 2): reserve a slot and a row (STARTING) -> worktree -> tmux session -> RUNNING.
Each step is recorded; a failure rolls back what this call made, and a process killed midway
leaves a row that reconciliation finishes (the session exists) or marks ERROR (it does not).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cc_orchestrator.config.settings import Settings
from cc_orchestrator.core.errors import Conflict, InvalidInput, NotFound
from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.instances import readiness
from cc_orchestrator.core.instances.observe import Observation, observe
from cc_orchestrator.core.instances.rows import (
    LIVE_STATUSES,
    find_row,
    live_count,
    new_instance_id,
    to_instance,
)
from cc_orchestrator.core.models import EventKind, Instance, InstanceStatus, Level, TaskStatus
from cc_orchestrator.core.processes import ProcessSampler, terminate_tree
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import InstanceRow, WorktreeRow
from cc_orchestrator.core.tasks import TaskService
from cc_orchestrator.core.tmux.layouts import resolve_layout
from cc_orchestrator.core.tmux.service import PaneState, TmuxService, session_name

if TYPE_CHECKING:
    from cc_orchestrator.core.git.worktrees import WorktreeService


def task_prompt(title: str, description: str) -> str:
    return f"{title}\n\n{description}".strip()


class InstanceService:
    def __init__(
        self,
        store: Store,
        events: EventLog,
        settings: Settings,
        tmux: TmuxService,
        tasks: TaskService,
        worktrees: Callable[[], WorktreeService],
        sampler: ProcessSampler | None = None,
    ) -> None:
        self.store = store
        self.events = events
        self.settings = settings
        self.tmux = tmux
        self.tasks = tasks
        self._worktrees = worktrees
        self.sampler = sampler or ProcessSampler()

    @property
    def worktrees(self) -> WorktreeService:
        return self._worktrees()

    # -- reading -----------------------------------------------------------------------

    def get(self, ref: str, refresh: bool = True) -> Instance:
        if refresh:
            self.refresh()
        row = self.store.read(lambda: find_row(ref))
        return to_instance(row, self.sampler.usage(row.pid) if row.pid else None)

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

        rows = self.store.read(query)
        alive = {p.pid for p in panes.values() if p.pid and not p.dead}
        usage = self.sampler.sample(r.pid for r in rows if r.pid in alive)
        return [to_instance(r, usage.get(r.pid)) for r in rows]

    # -- the refresh (journey 3) ---------------------------------------------------------

    def refresh(self) -> dict[str, PaneState]:
        """Bring every live instance's status in line with tmux: one tmux call, at most.

        Returns the snapshot so callers can reuse it. Status changes are compare-and-set, so
        several processes refreshing at once record each change once.
        """
        rows = self.store.read(
            lambda: list(InstanceRow.select().where(InstanceRow.status.in_(LIVE_STATUSES)))
        )
        if not rows:
            return {}
        panes = self._settled(self.tmux.snapshot())
        changes: list[tuple[InstanceRow, Observation]] = []
        touched: list[tuple[InstanceRow, float]] = []
        for row in rows:
            pane = panes.get(row.tmux_session)
            seen = observe(InstanceStatus(row.status), row.starter_pid, pane)
            if seen is not None:
                changes.append((row, seen))
            elif pane is not None and pane.activity - _epoch(row.last_activity) >= 5:
                touched.append((row, pane.activity))
        if changes or touched:
            self.store.write(lambda: self._apply(changes, touched))
        pending = [r for r in rows if r.pending_prompt and r.tmux_session in panes]
        for row in pending:
            if readiness.quiet(panes[row.tmux_session]):
                self._deliver_pending(row.id)
        return panes

    def _settled(self, panes: dict[str, PaneState]) -> dict[str, PaneState]:
        """Re-ask tmux briefly while a pane is dead but its exit status is not reaped yet
        (tmux closes the pty first); rare, so the usual refresh stays one call."""
        for _ in range(10):
            if not any(p.dead and p.exit_status is None and p.exit_signal is None for p in panes.values()):
                break
            time.sleep(0.05)
            panes = self.tmux.snapshot()
        return panes

    def _apply(self, changes, touched) -> None:
        for row, seen in changes:
            self._set_status(row, seen.status, seen.message, pid=seen.pid, exit_status=seen.exit_status)
        for row, activity in touched:
            InstanceRow.update(last_activity=_from_epoch(activity)).where(
                InstanceRow.id == row.id
            ).execute()

    def _set_status(
        self,
        row: InstanceRow,
        status: InstanceStatus,
        message: str = "",
        *,
        pid: int | None = None,
        exit_status: int | None = None,
        expected: str | None = None,
    ) -> bool:
        """Compare-and-set inside the caller's transaction; records one event if it changed."""
        values = {
            InstanceRow.status: status.value,
            InstanceRow.status_message: message,
            InstanceRow.last_activity: utcnow(),
        }
        if status.is_live:
            if pid is not None:
                values[InstanceRow.pid] = pid
        else:
            values[InstanceRow.pid] = None
            values[InstanceRow.exit_status] = exit_status
            values[InstanceRow.pending_prompt] = None
        updated = (
            InstanceRow.update(values)
            .where(InstanceRow.id == row.id, InstanceRow.status == (expected or row.status))
            .execute()
        )
        if not updated:
            return False
        if row.worktree_id:
            WorktreeRow.update(status="ACTIVE" if status.is_live else "IDLE").where(
                WorktreeRow.id == row.worktree_id
            ).execute()
        level = Level.ERROR if status is InstanceStatus.ERROR else Level.INFO
        text = f"instance {row.id} {status.value}" + (f": {message}" if message else "")
        self.events.add(
            EventKind.INSTANCE_STATUS,
            text,
            level=level,
            instance_id=row.id,
            task_id=row.task_id,
            data={"status": status.value, "previous": row.status, "pid": pid},
        )
        return True

    # -- starting ----------------------------------------------------------------------

    def start(
        self,
        repo: Path,
        *,
        task_id: int | None = None,
        branch: str | None = None,
        base: str | None = None,
        command: list[str] | None = None,
        layout: str | None = None,
        prompt: str | None = None,
    ) -> Instance:
        """Start an agent in a new worktree and tmux session. Rolls back fully on failure."""
        from cc_orchestrator.core.git.repository import find_repo, validate_branch_name

        self.tmux.require()
        plan = resolve_layout(layout or self.settings.default_layout, self.settings.custom_layouts)
        argv = list(command) if command else self.settings.agent_argv
        repo = find_repo(repo)
        task = self.tasks.get(task_id) if task_id is not None else None
        if task is not None and prompt is None:
            prompt = task_prompt(task.title, task.description)

        instance_id = self.store.read(new_instance_id)
        branch = validate_branch_name(repo, branch or _default_branch(instance_id, task))
        row = self.store.write(lambda: self._reserve(instance_id, repo, branch, argv, plan.name, task_id, prompt))
        created_worktree = None
        try:
            worktree = self.worktrees.create(repo, branch, base, instance_id=instance_id)
            created_worktree = worktree.id
            self.store.write(
                lambda: InstanceRow.update(worktree_id=worktree.id, worktree_path=worktree.path)
                .where(InstanceRow.id == instance_id)
                .execute()
            )
            env = {"CC_ORCHESTRATOR_INSTANCE_ID": instance_id}
            pane = self.tmux.create_session(row.tmux_session, worktree.path, argv, plan, env)

            def running() -> None:
                current = InstanceRow.get_by_id(instance_id)
                if current.status == InstanceStatus.STARTING.value:
                    self._set_status(current, InstanceStatus.RUNNING, pid=pane.pid)
                InstanceRow.update(starter_pid=None).where(InstanceRow.id == instance_id).execute()

            self.store.write(running)
        except BaseException as exc:
            self._roll_back(instance_id, row.tmux_session, created_worktree, task_id, exc)
            raise
        return self.get(instance_id, refresh=False)

    def _reserve(self, instance_id, repo, branch, argv, layout, task_id, prompt) -> InstanceRow:
        limit = self.settings.max_instances
        if live_count() >= limit:
            raise Conflict(
                f"all {limit} instance slots are in use; stop an instance or raise max_instances"
            )
        now = utcnow()
        row = InstanceRow.create(
            id=instance_id,
            task=task_id,
            worktree_path="",
            tmux_session=session_name(instance_id),
            status=InstanceStatus.STARTING.value,
            repo=str(repo),
            branch=branch,
            agent_command=json.dumps(argv),
            layout=layout,
            starter_pid=os.getpid(),
            pending_prompt=prompt,
            created_at=now,
            last_activity=now,
        )
        if task_id is not None:
            self.tasks.assign(task_id, instance_id)
        return row

    def _roll_back(self, instance_id, session, worktree_id, task_id, exc) -> None:
        """Undo what this start made: the session, the rows, then the brand-new worktree."""
        try:
            if self.tmux.snapshot().get(session) is not None:
                self.tmux.kill_session(session)
        except Exception:
            pass

        def undo() -> None:
            InstanceRow.delete().where(InstanceRow.id == instance_id).execute()
            if task_id is not None:
                self.tasks.set_status(task_id, TaskStatus.PENDING)

        try:
            self.store.write(undo)
            if worktree_id is not None:  # after the row: a live instance would protect it
                self.worktrees.remove(worktree_id, force=True)
            reason = str(exc) or type(exc).__name__
            self.events.log(f"could not start an instance: {reason}", level=Level.ERROR)
        except Exception:
            pass  # the original error is what the user needs to see

    # -- prompts -----------------------------------------------------------------------

    def deliver_when_ready(self, ref: str, timeout: float | None = None) -> bool:
        """Wait for the agent to be ready, then paste its pending prompt. False if not yet."""
        row = self.store.read(lambda: find_row(ref))
        if not row.pending_prompt:
            return True
        wait = self.settings.prompt_ready_timeout if timeout is None else timeout
        if not readiness.wait_until_ready(self.tmux, row.tmux_session, wait):
            return False
        return self._deliver_pending(row.id)

    def _deliver_pending(self, instance_id: str) -> bool:
        """Take the pending prompt (compare-and-set, so one process sends it) and paste it."""

        def take() -> InstanceRow | None:
            row = InstanceRow.get_by_id(instance_id)
            if not row.pending_prompt:
                return None
            InstanceRow.update(pending_prompt=None).where(InstanceRow.id == instance_id).execute()
            return row

        row = self.store.write(take)
        if row is None:
            return False
        try:
            self.tmux.send_text(row.tmux_session, row.pending_prompt)
        except Exception:
            self.store.write(
                lambda: InstanceRow.update(pending_prompt=row.pending_prompt)
                .where(InstanceRow.id == instance_id)
                .execute()
            )
            raise

        def delivered() -> None:
            self.events.add(
                EventKind.LOG_MESSAGE,
                f"prompt delivered to instance {instance_id}",
                instance_id=instance_id,
                task_id=row.task_id,
                data={"text": row.pending_prompt[:500]},
            )
            if row.task_id is not None:
                task = self.tasks.get(row.task_id)
                if task.status is TaskStatus.ASSIGNED:
                    self.tasks.set_status(row.task_id, TaskStatus.IN_PROGRESS, instance_id=instance_id)

        self.store.write(delivered)
        return True

    def send(self, ref: str, text: str, enter: bool = True) -> Instance:
        """Paste text into a live agent (then Enter)."""
        if not text.strip():
            raise InvalidInput("nothing to send: the text is empty")
        instance = self._live(ref)
        self.tmux.send_text(instance.tmux_session, text, enter=enter)
        self.events.log(
            f"sent {len(text)} characters to instance {instance.id}",
            instance_id=instance.id,
            data={"text": text[:500]},
        )
        return instance

    def _live(self, ref: str) -> Instance:
        instance = self.get(ref)
        if not instance.status.is_live:
            raise Conflict(f"instance {instance.id} is {instance.status.value}; start or restart it first")
        return instance

    def attach_argv(self, ref: str, inside_tmux: bool = False) -> list[str]:
        instance = self.get(ref)
        if self.tmux.snapshot().get(instance.tmux_session) is None:
            raise Conflict(f"instance {instance.id} has no tmux session ({instance.status.value})")
        if inside_tmux:
            return self.tmux.switch_argv(instance.tmux_session)
        return self.tmux.attach_argv(instance.tmux_session)

    # -- stopping ----------------------------------------------------------------------

    def stop(self, ref: str, remove_worktree: bool = False, force: bool = False) -> Instance:
        """End the agent's whole process tree, kill its session, mark it STOPPED.

        The worktree and branch stay unless `remove_worktree`; a worktree with unsaved work is
        then refused before anything is stopped (unless `force`).
        """
        panes = self.refresh()
        row = self.store.read(lambda: find_row(ref))
        if row.status == InstanceStatus.STOPPED.value:
            raise Conflict(f"instance {row.id} is already stopped")
        if remove_worktree and row.worktree_id:
            self.worktrees.check_removable(row.worktree_id, force=force, ignore_instance=row.id)
        pane = panes.get(row.tmux_session)
        if pane is not None and pane.pid and not pane.dead:
            terminate_tree(pane.pid, self.settings.stop_timeout)
        if pane is not None:
            try:
                self.tmux.kill_session(row.tmux_session)
            except NotFound:
                pass

        def stopped() -> None:
            current = InstanceRow.get_by_id(row.id)
            message = current.status_message if current.status == "ERROR" else "stopped by user"
            self._set_status(current, InstanceStatus.STOPPED, message, exit_status=current.exit_status)
            if current.task_id is not None:
                task = self.tasks.get(current.task_id)
                if task.status is TaskStatus.ASSIGNED:
                    self.tasks.set_status(current.task_id, TaskStatus.PENDING)

        self.store.write(stopped)
        if remove_worktree and row.worktree_id:
            self.worktrees.remove(row.worktree_id, force=force)
        return self.get(row.id, refresh=False)

    def wait_for(self, ref: str, predicate: Callable[[Instance], bool], timeout: float) -> Instance:
        """Refresh until `predicate(instance)` holds or `timeout` passes; the last state."""
        deadline = time.monotonic() + timeout
        instance = self.get(ref)
        while not predicate(instance) and time.monotonic() < deadline:
            time.sleep(0.1)
            instance = self.get(ref)
        return instance


def _default_branch(instance_id: str, task) -> str:
    if task is None:
        return f"cco/{instance_id}"
    words = "".join(c if c.isalnum() else "-" for c in task.title.lower()).split("-")
    slug = "-".join(w for w in words if w)[:40].strip("-")
    return f"cco/task-{task.id}-{slug}" if slug else f"cco/task-{task.id}"


def _epoch(value) -> float:
    from datetime import UTC

    return value.replace(tzinfo=UTC).timestamp() if value else 0.0


def _from_epoch(seconds: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
