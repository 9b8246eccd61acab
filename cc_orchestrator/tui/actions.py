"""What the user asks for, done through the services in worker threads.

Panes and screens post `Pane.Requested(action, target)`; `request_<action>` answers it. A
refused operation (OrchestratorError) becomes a one-line error toast, never a traceback.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from cc_orchestrator.errors import OrchestratorError
from cc_orchestrator.tui import jump
from cc_orchestrator.tui.live import Loaded
from cc_orchestrator.tui.widgets.pane import Pane

if TYPE_CHECKING:
    from cc_orchestrator.core.models import WorktreeReport
    from cc_orchestrator.tui.app import OrchestratorApp
    from cc_orchestrator.tui.screens.details import InstanceDetail
    from cc_orchestrator.tui.screens.task_form import TaskForm

    _Base = OrchestratorApp
else:
    _Base = object


class Requests(_Base):
    def on_pane_requested(self, message: Pane.Requested) -> None:
        handler = getattr(self, "request_" + message.action.replace(".", "_"), None)
        if handler is not None:
            handler(message.target, message.value)

    def call_service(
        self,
        label: str,
        call: Callable[[], Any],
        done: Callable[[Any], str | None] | None = None,
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """Run `call` in a worker; then `done(result)` (a toast text) or `failed(reason)`."""
        self.run_worker(
            partial(self._call, label, call, done, failed), thread=True, group="actions", exit_on_error=False
        )

    def _call(self, label, call, done, failed) -> None:
        try:
            result = call()
        except OrchestratorError as exc:
            self.post_message(Loaded(self._service_failed, label, exc.message, failed))
        except Exception as exc:  # a bug or a crashed tool: still one line, and keep going
            self.post_message(Loaded(self._service_failed, label, f"{type(exc).__name__}: {exc}", failed))
        else:
            self.post_message(Loaded(self._service_done, result, done))

    def _service_done(self, result: Any, done: Callable[[Any], str | None] | None) -> None:
        text = done(result) if done is not None else None
        if text:
            self.notify(text, timeout=3)
        self.poll_now()

    def _service_failed(self, label: str, reason: str, failed: Callable[[str], None] | None) -> None:
        if failed is not None:
            failed(reason)
        else:
            self.notify(reason, title=f"{label} refused", severity="error")
        self.poll_now()

    # -- instances -----------------------------------------------------------------------

    def request_instances_jump(self, instance_id: str, _: Any) -> None:
        self.run_worker(partial(self._jump, instance_id), thread=True, group="jump", exit_on_error=False)

    def _jump(self, instance_id: str) -> None:
        inside = self.orch.tmux.holds_client()
        try:
            argv = self.orch.instances.attach_argv(instance_id)
        except OrchestratorError as exc:
            self.post_message(Loaded(self._service_failed, "jump", exc.message, None))
            return
        if not inside:
            self.post_message(Loaded(self._attach, argv))
        elif error := jump.run_switch(argv):
            self.post_message(Loaded(self._service_failed, "jump", error, None))

    def _attach(self, argv: list[str]) -> None:
        """Hand the terminal to `tmux attach`; detaching returns here, to the same place."""
        from textual.app import SuspendNotSupported

        try:
            with self.suspend():
                jump.run_attached(argv)
        except SuspendNotSupported:
            self.notify(f"cannot hand over this terminal; run: {shlex.join(argv)}", severity="warning")
        self.poll_now()

    def request_instances_details(self, instance_id: str, _: Any) -> None:
        from cc_orchestrator.tui.screens.details import InstanceDetail

        self.push_screen(InstanceDetail(instance_id, self.snapshot, self.clock()))

    def request_instances_load_detail(self, instance_id: str, _: Any) -> None:
        from cc_orchestrator.tui.screens.details import InstanceDetail

        """The detail view is up: load its screen, diff and history."""
        if isinstance(self.screen, InstanceDetail) and self.screen.instance_id == instance_id:
            self._load_detail(self.screen, history=True)

    def request_tasks_load_history(self, task_id: int, _: Any) -> None:
        """A task's detail view is up: load the task's own history in a worker."""
        from cc_orchestrator.tui.screens.details import TaskDetail

        screen = self.screen
        if isinstance(screen, TaskDetail) and screen.task_id == task_id:
            self.run_worker(partial(self._task_history, screen), thread=True, group="detail", exit_on_error=False)

    def _task_history(self, screen) -> None:
        try:
            events = self.poller.task_events(screen.task_id)
        except Exception as exc:
            self.post_message(Loaded(partial(self.notify, severity="warning"), getattr(exc, "message", str(exc))))
            return
        self.post_message(Loaded(screen.show_history, events, self.clock()))

    def _load_detail(self, screen: InstanceDetail, history: bool = False) -> None:
        self.run_worker(partial(self._detail_worker, screen, history), thread=True, group="detail", exit_on_error=False)

    def _detail_worker(self, screen: InstanceDetail, history: bool) -> None:
        """Screen text, report and diff, and (once) the instance's older events."""
        poller, instance_id = self.poller, screen.instance_id
        try:
            if history:
                self.post_message(Loaded(screen.show_history, poller.instance_events(instance_id), self.clock()))
            instance = self.snapshot.instance(instance_id)
            wid = instance.worktree_id if instance else None
            report = poller.reports([wid]).get(wid) if wid else None
            self.post_message(Loaded(screen.show_diff, report, poller.diff(wid) if report else None))
            self.post_message(Loaded(screen.show_screen, poller.screen(instance_id)))
        except Exception as exc:
            self.post_message(Loaded(partial(self.notify, severity="warning"), getattr(exc, "message", str(exc))))
        self.post_message(Loaded(self._detail_again, screen))

    def _detail_again(self, screen: InstanceDetail) -> None:
        """Keep the agent's screen live while the detail view is open."""
        if self.polling and screen.is_attached and screen in self.screen_stack:
            self.set_timer(self.interval, partial(self._screen_again, screen))

    def _screen_again(self, screen: InstanceDetail) -> None:
        if screen in self.screen_stack:
            self.run_worker(partial(self._screen_worker, screen), thread=True, group="detail", exit_on_error=False)

    def _screen_worker(self, screen: InstanceDetail) -> None:
        try:
            self.post_message(Loaded(screen.show_screen, self.poller.screen(screen.instance_id)))
        except Exception:
            pass  # the session ended; the header says why
        self.post_message(Loaded(self._detail_again, screen))

    def request_instances_reload(self, instance_id: str, _: Any) -> None:
        from cc_orchestrator.tui.screens.details import InstanceDetail

        if isinstance(self.screen, InstanceDetail):
            self._load_detail(self.screen)

    def request_instances_prompt(self, instance_id: str, _: Any) -> None:
        from cc_orchestrator.tui.screens.modals import PromptScreen

        def send(text: str | None) -> None:
            if text:
                self.call_service(
                    "send",
                    lambda: self.orch.instances.send(instance_id, text),
                    lambda _: f"sent to instance {instance_id}",
                )

        self.push_screen(PromptScreen(instance_id), send)

    def request_instances_approve(self, instance_id: str, _: Any) -> None:
        self.call_service(
            "approve", lambda: self.orch.instances.approve(instance_id), lambda _: f"approved for {instance_id}"
        )

    def request_instances_reject(self, instance_id: str, _: Any) -> None:
        self.call_service(
            "reject", lambda: self.orch.instances.reject(instance_id), lambda _: f"rejected for {instance_id}"
        )

    def request_instances_interrupt(self, instance_id: str, _: Any) -> None:
        self.call_service(
            "interrupt", lambda: self.orch.instances.interrupt(instance_id), lambda _: f"interrupted {instance_id}"
        )

    def request_instances_restart(self, instance_id: str, _: Any) -> None:
        self.call_service(
            "restart", lambda: self.orch.instances.restart(instance_id), lambda _: f"restarted {instance_id}"
        )

    def request_instances_stop(self, instance_id: str, _: Any) -> None:
        from cc_orchestrator.tui.screens.modals import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(
                    "stop", lambda: self.orch.instances.stop(instance_id), lambda _: f"stopped {instance_id}"
                )

        body = "The agent and its processes end. Its worktree and branch stay, so no work is lost."
        self.push_screen(ConfirmScreen(f"Stop instance {instance_id}?", body, yes="Stop"), answered)

    # -- tasks ---------------------------------------------------------------------------

    def request_tasks_new(self, _: Any, __: Any) -> None:
        from cc_orchestrator.tui.screens.task_form import TaskForm

        self.push_screen(TaskForm(None, {t.id for t in self.snapshot.tasks}, self.repo))

    def request_tasks_edit(self, task_id: int, _: Any) -> None:
        from cc_orchestrator.tui.screens.task_form import TaskForm

        task = self.snapshot.task(task_id)
        if task is not None:
            self.push_screen(TaskForm(task, {t.id for t in self.snapshot.tasks}, self.repo))

    def on_task_form_submitted(self, message: TaskForm.Submitted) -> None:
        draft, task, form = message.draft, message.task, message.form
        tasks = self.orch.tasks
        if task is None:
            call = partial(
                tasks.add, draft.title, draft.description, draft.priority, draft.dependencies, repo=self.repo
            )
            done = lambda new: f"task {new.id} added"  # noqa: E731
        else:
            old, new = set(task.dependencies), set(draft.dependencies)
            call = partial(
                tasks.update,
                task.id,
                title=draft.title,
                description=draft.description,
                priority=draft.priority,
                add_dependencies=new - old,
                remove_dependencies=old - new,
            )
            done = lambda changed: f"task {changed.id} saved"  # noqa: E731
        self.call_service("save task", call, lambda result: (form.saved(), done(result))[1], form.failed)

    def request_tasks_delete(self, task_id: int, _: Any) -> None:
        from cc_orchestrator.tui.screens.details import TaskDetail
        from cc_orchestrator.tui.screens.modals import ConfirmScreen

        task = self.snapshot.task(task_id)
        title = task.title if task else ""

        def answered(yes: bool | None) -> None:
            if yes:
                if isinstance(self.screen, TaskDetail):
                    self.pop_screen()
                self.call_service(
                    "delete task", lambda: self.orch.tasks.remove(task_id), lambda _: f"task {task_id} deleted"
                )

        body = f"#{task_id} {title}\nIts dependency links go too. Instances and worktrees are not touched."
        self.push_screen(ConfirmScreen(f"Delete task {task_id}?", body, yes="Delete", danger=True), answered)

    def request_tasks_start(self, task_id: int, _: Any) -> None:
        self.notify(f"starting an instance for task {task_id}...", timeout=2)
        self.call_service(
            "start",
            lambda: self.orch.assign(task_id, self.repo, wait=False),
            lambda instance: f"instance {instance.id} started for task {task_id}",
        )

    def request_tasks_move(self, task_id: int, status: Any) -> None:
        self.call_service(
            "move",
            lambda: self.orch.tasks.update(task_id, status=status),
            lambda task: f"task {task.id} is {task.status.value}",
        )

    def request_tasks_details(self, task_id: int, _: Any) -> None:
        from cc_orchestrator.tui.screens.details import TaskDetail

        self.push_screen(TaskDetail(task_id, self.snapshot, self.clock()))

    # -- worktrees -----------------------------------------------------------------------

    def request_worktrees_inspect(self, worktree_id: str | None, _: Any) -> None:
        ids = [worktree_id] if worktree_id else [w.id for w in self.snapshot.worktrees]
        self.inspect(ids)
        self.notify(f"asking git about {len(ids)} worktree{'s' if len(ids) != 1 else ''}", timeout=2)

    def request_worktrees_remove(self, worktree_id: str, _: Any) -> None:
        self.call_service("remove worktree", lambda: self.orch.worktrees.inspect(worktree_id), self._confirm_removal)

    def _confirm_removal(self, report: WorktreeReport) -> None:
        from cc_orchestrator.tui.screens.modals import ConfirmScreen

        wt, files, commits = report.worktree, report.uncommitted_files, report.unpushed_commits
        lines = [f"{wt.branch} at {wt.path}"]
        if wt.instance_id:
            lines.append(f"Instance {wt.instance_id} works here; stop it first or removal is refused.")
        if files:
            lines.append(f"\nLost: {len(files)} uncommitted file(s):")
            lines += [f"  {f}" for f in files[:8]] + ([f"  ... and {len(files) - 8} more"] if len(files) > 8 else [])
        if commits:
            lines.append(f"\nLost: {len(commits)} commit(s) on neither {wt.base_branch} nor a remote:")
            lines += [f"  {c}" for c in commits[:8]] + (
                [f"  ... and {len(commits) - 8} more"] if len(commits) > 8 else []
            )
        if not files and not commits:
            lines.append("\nNothing would be lost: no uncommitted files, every commit is on the base or a remote.")
        force = bool(files or commits)

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(
                    "remove worktree",
                    lambda: self.orch.worktrees.remove(wt.id, force=force),
                    lambda _: f"worktree {wt.id} removed",
                )

        title = f"Remove worktree {wt.id}" + (" and lose work?" if force else "?")
        self.push_screen(ConfirmScreen(title, "\n".join(lines), yes="Remove", danger=force), answered)
