"""The review gate: an agent's finished turn is checked before a person sees it.

When an instance working on a task ends a turn (IDLE after RUNNING or WAITING_INPUT, as its
status events say) and its worktree holds new work, the repository's checks run in a window
of the instance's own tmux session (`checks`), so the user can jump in and watch; the output
also goes to `logs/checks/`. The window writes the exit status to a file when it ends, and
tmux's pane-died hook wakes the long-lived faces, which then finish the run:
- passed: the agent's leftovers are committed (`review_commit`), the task moves to REVIEW;
- failed: the failure is the agent's next prompt, and its next turn is checked again; after
  `review_max_rounds` failures in a row the instance asks a person ("checks failed 3 times").

Every step is a row or an event first. Turn ends are claimed through a cursor shared by all
processes (each handled once); a run is claimed by its RUNNING row (one per instance at once);
a run's side effects belong to the process whose `finish` changed the row. A run whose window
is gone without a status (tmux or the session died) is INTERRUPTED and the turn is checked
again; a turn end claimed by a process that died before acting is found by the scan a face
makes when it starts (`scan`).
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from cc_orchestrator.core.events import utcnow
from cc_orchestrator.core.instances.rows import is_local
from cc_orchestrator.core.models import ChecksState, CheckStatus, EventKind, InstanceStatus, Level, TaskStatus
from cc_orchestrator.core.review import runs, work
from cc_orchestrator.core.review.checks import Checks, resolve, tail
from cc_orchestrator.core.store.tables import CheckRunRow, InstanceRow, TaskRow
from cc_orchestrator.core.tmux.commands import THEN, format_safe
from cc_orchestrator.errors import OrchestratorError, message_of

CURSOR = "review"
WINDOW = "checks"
TURN_ENDS = (InstanceStatus.RUNNING.value, InstanceStatus.WAITING_INPUT.value)
OPEN_TURN_SECONDS = 120.0
PROMPTS = ("prompt delivered", "sent ")  # the events saying a prompt reached an agent
LOST_AFTER = 3.0  # seconds a run may lack both its status file and its window before it counts as lost

# The checks window: the command under timeout(1), its output shown and kept, its status
# written once it ends (via a temporary name, so a half-written status is never read).
SCRIPT = r"""
cmd=$1 log=$2 status=$3 limit=$4
printf '$ %s\n' "$cmd" | tee "$log"
{ timeout -k 10 "$limit" sh -c "$cmd" 2>&1; echo $? > "$status.part"; } | tee -a "$log"
mv "$status.part" "$status"
printf '\n[cc-orchestrator: checks exited with status %s]\n' "$(cat "$status")"
"""


class Gate:
    def __init__(self, orchestrator) -> None:
        self.orch = orchestrator
        self._activity: dict[str, float] = {}  # instance id -> screen activity when last scanned
        # instance id -> when a prompt reached it: a turn may end too fast to be seen working,
        # so each sweep looks at it until a run sees its work (or OPEN_TURN_SECONDS pass)
        self._open: dict[str, float] = {}

    @property
    def folder(self) -> Path:
        return self.orch.instances.logs.logs_dir / "checks"

    # -- a round -----------------------------------------------------------------------

    def step(self, sweep: bool = False) -> None:
        """Claim new turn ends and check them; finish the runs whose window ended. With
        `sweep`, also look at turns too quick to be seen working, and lost windows."""
        for instance_id in self._turns_ended():
            self._quietly(self.consider, instance_id)
        for row in self.orch.store.read(runs.running):
            if row.purpose == "gate":
                self._quietly(self.finish, row, sweep)
        if sweep:
            self.scan(changed_only=True)

    def scan(self, changed_only: bool = False) -> None:
        """Instances working on a task, idle, whose work no run has seen: checked now (a face
        starting after a crash; with `changed_only`, only those whose screen moved since)."""
        rows = self.orch.store.read(_idle_on_tasks)
        now = time.monotonic()
        self._open = {i: t for i, t in self._open.items() if now - t < OPEN_TURN_SECONDS}
        for row in rows:
            activity = row.screen_activity or 0.0
            if changed_only and self._activity.get(row.id) == activity and row.id not in self._open:
                continue
            self._activity[row.id] = activity
            self._quietly(self.consider, row.id, True)

    def _quietly(self, action, *args) -> None:
        try:
            action(*args)
        except OrchestratorError as exc:
            self.orch.events.log(f"review gate: {exc.message}", level=Level.WARNING)
        except Exception as exc:  # one instance's trouble never stops the others
            self.orch.events.log(f"review gate: {message_of(exc)}", level=Level.ERROR)

    def _turns_ended(self) -> list[str]:
        ended: list[str] = []
        for event in self.orch.events.claim(CURSOR, (EventKind.INSTANCE_STATUS, EventKind.LOG_MESSAGE)):
            if event.kind is EventKind.LOG_MESSAGE:
                if event.instance_id and event.message.startswith(PROMPTS):
                    self._open[event.instance_id] = time.monotonic()
                continue
            data = event.data or {}
            if data.get("status") == "IDLE" and data.get("previous") in TURN_ENDS and event.instance_id:
                if event.instance_id not in ended:
                    ended.append(event.instance_id)
        return ended

    # -- starting a run ----------------------------------------------------------------

    def consider(self, instance_id: str, scanning: bool = False) -> CheckRunRow | None:
        """Check this instance's turn if it works on a task, idles, and holds work no run saw."""
        orch = self.orch
        row = orch.store.read(lambda: InstanceRow.get_or_none(InstanceRow.id == instance_id))
        if row is None or row.task_id is None or row.status != InstanceStatus.IDLE.value or row.attention:
            return None
        if not is_local(row.host):  # its worktree is on another machine: no gate there yet
            return None
        task = orch.tasks.get(row.task_id)
        if task.status is not TaskStatus.IN_PROGRESS or not Path(row.worktree_path).is_dir():
            return None
        base = _base_of(orch, row)
        found = work.inspect(row.worktree_path, base)
        if not found.new:
            return None
        last = orch.store.read(lambda: _last_gate(task.id))
        if last is not None and last.tree == found.tree:
            if last.status == CheckStatus.PASSED.value:
                self.passed(last, found)  # this very work passed (committed since, or moved on late)
                return None
            if scanning and last.status != CheckStatus.INTERRUPTED.value:
                return None  # its failure was told to the agent already; a turn end checks again
        checks = resolve(row.repo or row.worktree_path, orch.settings.review_checks)
        if checks.command is None:
            return self._unchecked(row, task, found, checks)
        return self._start(row, task, found, checks)

    def _unchecked(self, row: InstanceRow, task, found: work.Work, checks: Checks) -> None:
        orch = self.orch
        orch.store.write(lambda: _set_checks(task.id, ChecksState.NO_CHECKS))
        orch.events.add(
            EventKind.TASK_UPDATE,
            f"task {task.id}: no checks for this repository ({checks.source}); moving on unchecked",
            task_id=task.id,
            instance_id=row.id,
            data={"checks": ChecksState.NO_CHECKS.value},
        )
        self._commit_and_review(row, task.id, found, checks.command)

    def _start(self, row: InstanceRow, task, found: work.Work, checks: Checks) -> CheckRunRow | None:
        orch = self.orch
        self.folder.mkdir(parents=True, exist_ok=True)

        def claim() -> CheckRunRow | None:
            if runs.running(row.id):
                return None  # never two at once for one instance
            run = runs.begin(
                task_id=task.id,
                instance_id=row.id,
                purpose="gate",
                checks=checks,
                folder=row.worktree_path,
                head=found.head,
                tree=found.tree,
                log_path="",
            )
            run.log_path = str(self.folder / f"{row.id}-{run.id}.log")
            run.save()
            _set_checks(task.id, ChecksState.RUNNING)
            return run

        run = orch.store.write(claim)
        if run is None:
            return None
        self._open.pop(row.id, None)
        status = self._status_path(run)
        status.unlink(missing_ok=True)
        try:
            window = self._open_window(row, run, status)
        except Exception as exc:
            why = message_of(exc)

            def undo() -> None:
                runs.finish(orch.events, run, None, CheckStatus.INTERRUPTED, f"the checks window did not open: {why}")
                _set_checks(task.id, ChecksState.NONE)

            orch.store.write(undo)
            raise
        orch.store.write(lambda: CheckRunRow.update(window=window).where(CheckRunRow.id == run.id).execute())
        orch.events.add(
            EventKind.TASK_UPDATE,
            f"task {task.id}: checks started in instance {row.id} ({checks.command})",
            task_id=task.id,
            instance_id=row.id,
            data={"checks": CheckStatus.RUNNING.value, "run": run.id, "source": checks.source},
        )
        return run

    def _open_window(self, row: InstanceRow, run: CheckRunRow, status: Path) -> str:
        tmux = self.orch.tmux
        session = row.tmux_session
        tmux.cmd("kill-window", "-t", f"={session}:{WINDOW}")  # the last run's, if still shown
        timeout = str(int(self.orch.settings.review_timeout))
        argv = ["sh", "-c", SCRIPT, "sh", run.command, run.log_path, str(status), timeout]
        out = tmux.run(
            "new-window",
            "-d",
            "-P",
            "-F",
            "#{window_id}",
            "-t",
            f"={session}:",
            "-n",
            WINDOW,
            "-c",
            format_safe(row.worktree_path),
            "--",
            shlex.join(argv),
            THEN,  # in the same tmux command: set before a quick run could end and close the window
            "set-option",
            "-w",
            "-t",
            f"={session}:={WINDOW}",
            "remain-on-exit",
            "on",
        )
        return out[0].strip() if out else ""

    def _status_path(self, run: CheckRunRow) -> Path:
        return self.folder / f"{run.instance_id}-{run.id}.status"

    # -- finishing a run ---------------------------------------------------------------

    def finish(self, run: CheckRunRow, sweep: bool = False) -> bool:
        """Finish the run if its window ended; True when this process did."""
        status_file = self._status_path(run)
        try:
            text = status_file.read_text().strip()
        except OSError:
            text = None
        if text is None:
            if sweep and self._lost(run) and not status_file.exists():  # (it may have ended just now)
                output = _read(run.log_path) + "\n[cc-orchestrator: the checks window went away before they ended]"
                if self.orch.store.write(
                    lambda: runs.finish(self.orch.events, run, None, CheckStatus.INTERRUPTED, output)
                ):
                    self.consider(run.instance_id)  # checked again, if the agent still idles
            return False
        code = int(text) if text.lstrip("-").isdigit() else -1
        state = CheckStatus.PASSED if code == 0 else CheckStatus.TIMED_OUT if code == 124 else CheckStatus.FAILED
        output = _read(run.log_path)
        if not self.orch.store.write(lambda: runs.finish(self.orch.events, run, code, state, output)):
            return False
        status_file.unlink(missing_ok=True)
        if state is CheckStatus.PASSED:
            self._after_pass(run)
        else:
            self._after_failure(run, code, output)
        return True

    def _lost(self, run: CheckRunRow) -> bool:
        if (utcnow() - run.started_at).total_seconds() < LOST_AFTER:
            return False
        if not run.window:
            return True
        result = self.orch.tmux.cmd("list-panes", "-t", run.window, "-F", "#{pane_dead}")
        # the window (or its session, or tmux) is gone, or it ended without writing its status
        return result.returncode != 0 or any(line.strip() == "1" for line in result.stdout)

    def _after_pass(self, run: CheckRunRow) -> None:
        row = self.orch.store.read(lambda: InstanceRow.get_or_none(InstanceRow.id == run.instance_id))
        if row is None or not Path(run.folder).is_dir():
            return
        found = work.inspect(run.folder, _base_of(self.orch, row))
        self.passed(run, found)

    def passed(self, run: CheckRunRow, found: work.Work) -> None:
        """The checks passed on `run.tree`: commit what the agent left and move the task on,
        unless the agent works again or the files changed since (its next turn is checked)."""
        orch = self.orch
        orch.store.write(lambda: _set_checks(run.task_id, ChecksState.PASSED))
        instance = orch.instances.get(run.instance_id)  # fresh: never commit while it works
        if instance.status is not InstanceStatus.IDLE or found.tree != run.tree:
            orch.events.log(
                f"task {run.task_id}: checks passed, but instance {run.instance_id} works on; "
                "its next turn is checked again",
                task_id=run.task_id,
                instance_id=run.instance_id,
            )
            return
        row = orch.store.read(lambda: InstanceRow.get_by_id(run.instance_id))
        self._commit_and_review(row, run.task_id, found, run.command, run)

    def _commit_and_review(self, row: InstanceRow, task_id: int, found: work.Work, command, run=None) -> None:
        orch = self.orch
        task = orch.tasks.get(task_id)
        mode = orch.settings.review_commit
        if found.dirty and mode == "ask-agent":
            orch.instances.send(
                row.id,
                "The checks passed. Commit your changes now, with a message that says what they do.",
            )
            return  # its next turn: the same tree, committed; the passed run covers it
        head = found.head
        if found.dirty and mode == "auto":
            label = f"task #{task.id}: {task.title}"
            checked = f"checks passed: {command}" if command else "no checks for this repository"
            head = work.commit_leftovers(row.worktree_path, f"{label}\n\nLeft uncommitted by the agent; {checked}.")
            orch.events.log(
                f"task {task.id}: committed the agent's leftovers as {head[:8]}",
                task_id=task.id,
                instance_id=row.id,
                data={"commit": head},
            )
        if run is not None and head != run.head:  # the same tree, now committed: the run covers it
            orch.store.write(lambda: CheckRunRow.update(head=head).where(CheckRunRow.id == run.id).execute())
        if orch.tasks.get(task_id).status is TaskStatus.IN_PROGRESS:
            orch.tasks.set_status(task_id, TaskStatus.REVIEW)

    def _after_failure(self, run: CheckRunRow, code: int, output: str) -> None:
        orch = self.orch
        failures = orch.store.read(lambda: runs.failures_in_a_row(run.task_id))
        limit = orch.settings.review_max_rounds
        if failures >= limit:
            question = f"checks failed {failures} times"
            orch.store.write(lambda: _give_up(run, question))
            orch.events.add(
                EventKind.INSTANCE_STATUS,
                f"instance {run.instance_id} WAITING_INPUT: {question}",
                level=Level.WARNING,
                instance_id=run.instance_id,
                task_id=run.task_id,
                data={"status": "WAITING_INPUT", "previous": "IDLE", "source": "review", "waiting_for": question},
            )
            return
        orch.store.write(lambda: _set_checks(run.task_id, ChecksState.FAILED))
        what = "timed out" if code == runs.TIMED_OUT else f"exited with status {code}"
        prompt = (
            f"The checks failed (round {failures} of {limit}): `{run.command}` {what}. "
            "Fix the cause so that they pass; the last lines of their output follow.\n\n"
            f"{tail(output)}"
        )
        orch.instances.send(run.instance_id, prompt)


# -- queries and writes (inside the store's transactions) ---------------------------------


def _idle_on_tasks() -> list[InstanceRow]:
    return list(
        InstanceRow.select()
        .join(TaskRow, on=(InstanceRow.task == TaskRow.id))
        .where(
            InstanceRow.status == InstanceStatus.IDLE.value,
            InstanceRow.attention.is_null(),
            TaskRow.status == TaskStatus.IN_PROGRESS.value,
        )
    )


def _last_gate(task_id: int) -> CheckRunRow | None:
    return (
        CheckRunRow.select()
        .where(CheckRunRow.task == task_id, CheckRunRow.purpose == "gate")
        .order_by(CheckRunRow.id.desc())
        .first()
    )


def _set_checks(task_id: int, state: ChecksState) -> None:
    TaskRow.update(checks=state.value).where(TaskRow.id == task_id).execute()


def _give_up(run: CheckRunRow, question: str) -> None:
    _set_checks(run.task_id, ChecksState.GAVE_UP)
    InstanceRow.update(attention=question).where(InstanceRow.id == run.instance_id).execute()


def _base_of(orch, row: InstanceRow) -> str:
    from cc_orchestrator.core.store.tables import WorktreeRow

    worktree = orch.store.read(lambda: WorktreeRow.get_or_none(WorktreeRow.id == row.worktree_id))
    return worktree.base_branch if worktree is not None else ""


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""
