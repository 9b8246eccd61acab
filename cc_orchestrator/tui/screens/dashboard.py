"""The main screen: a summary line, the four panes, and the footer of the focused pane's keys.

The panes show the view and post what the user asks for, one message class per request; the
handlers here answer through the action objects, whose workers belong to this screen.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.reactive import reactive
from textual.screen import Screen

from cc_orchestrator.tui.actions.instances import InstanceActions
from cc_orchestrator.tui.actions.tasks import TaskActions
from cc_orchestrator.tui.actions.worktrees import WorktreeActions
from cc_orchestrator.tui.services import Services
from cc_orchestrator.tui.view import View, watch_view
from cc_orchestrator.tui.widgets.instances import InstancesPane
from cc_orchestrator.tui.widgets.key_bar import KeyBar
from cc_orchestrator.tui.widgets.log_view import LogPane
from cc_orchestrator.tui.widgets.pane import Pane
from cc_orchestrator.tui.widgets.summary import Summary
from cc_orchestrator.tui.widgets.task_board import TaskBoard
from cc_orchestrator.tui.widgets.worktree_map import WorktreeMap


class Dashboard(Screen):
    warning: reactive[str] = reactive("")  # one line in the summary, e.g. an untested agent version

    BINDINGS = [
        Binding("tab", "pane(1)", "Next pane", id="dashboard.next_pane", show=False),
        Binding("shift+tab", "pane(-1)", "Previous pane", id="dashboard.previous_pane", show=False),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__(id="dashboard")
        self.services = services
        self.view = View(repo=services.repo)
        self.instances = InstancesPane(services.clock)
        self.tasks = TaskBoard()
        self.worktrees = WorktreeMap(services.reads, gap=services.report_gap)
        self.logs = LogPane(services.reads)
        self.instance_actions = InstanceActions(self, services)
        self.task_actions = TaskActions(self, services)
        self.worktree_actions = WorktreeActions(self, services)

    @property
    def panes(self) -> list[Pane]:
        return [self.instances, self.tasks, self.worktrees, self.logs]

    def compose(self) -> ComposeResult:
        yield Summary().data_bind(Dashboard.warning)
        with Grid(id="panes"):
            yield from self.panes
        yield KeyBar()

    def on_mount(self) -> None:
        self.instances.focus_main()
        watch_view(self, self._show)

    def _show(self, view: View) -> None:
        self.view, now = view, self.services.clock()
        titles, remote = {t.id: t.title for t in view.tasks}, tuple(h.name for h in view.hosts if not h.is_local)
        self.instances.show(view.instances, titles, now, view.overlaps_by_instance(), remote)
        self.tasks.show(view.tasks)
        self.worktrees.show(view)
        self.logs.show_events(view.events, now)
        self.query_one(Summary).view = view

    def focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        return node

    def action_pane(self, step: int) -> None:
        current = self.focused_pane()
        index = self.panes.index(current) if current in self.panes else -step
        self.panes[(index + step) % len(self.panes)].focus_main()

    def _instance_detail(self, instance_id: str) -> None:
        from cc_orchestrator.tui.screens.instance_detail import InstanceDetail  # not needed for the first frame

        self.app.push_screen(InstanceDetail(instance_id, self.services))

    # -- the instances pane ------------------------------------------------------------------

    @on(InstancesPane.Highlighted)
    def _instance_highlighted(self, message: InstancesPane.Highlighted) -> None:
        self.logs.instance_id = message.instance_id

    @on(InstancesPane.JumpRequested)
    def _instance_jump(self, message: InstancesPane.JumpRequested) -> None:
        self.instance_actions.jump(message.instance)

    @on(InstancesPane.DetailsRequested)
    def _instance_details(self, message: InstancesPane.DetailsRequested) -> None:
        self._instance_detail(message.instance.id)

    @on(InstancesPane.PromptRequested)
    def _instance_prompt(self, message: InstancesPane.PromptRequested) -> None:
        self.instance_actions.prompt(message.instance)

    @on(InstancesPane.ApproveRequested)
    def _instance_approve(self, message: InstancesPane.ApproveRequested) -> None:
        self.instance_actions.approve(message.instance)

    @on(InstancesPane.RejectRequested)
    def _instance_reject(self, message: InstancesPane.RejectRequested) -> None:
        self.instance_actions.reject(message.instance)

    @on(InstancesPane.InterruptRequested)
    def _instance_interrupt(self, message: InstancesPane.InterruptRequested) -> None:
        self.instance_actions.interrupt(message.instance)

    @on(InstancesPane.StopRequested)
    def _instance_stop(self, message: InstancesPane.StopRequested) -> None:
        self.instance_actions.stop(message.instance)

    @on(InstancesPane.RestartRequested)
    def _instance_restart(self, message: InstancesPane.RestartRequested) -> None:
        self.instance_actions.restart(message.instance)

    # -- the task board ------------------------------------------------------------------------

    @on(TaskBoard.NewRequested)
    def _task_new(self, message: TaskBoard.NewRequested) -> None:
        self.task_actions.new({t.id for t in self.view.tasks})

    @on(TaskBoard.ImportRequested)
    def _task_import(self, message: TaskBoard.ImportRequested) -> None:
        self.task_actions.import_tasks()

    @on(TaskBoard.DetailsRequested)
    def _task_details(self, message: TaskBoard.DetailsRequested) -> None:
        from cc_orchestrator.tui.screens.task_detail import TaskDetail  # not needed for the first frame

        self.app.push_screen(TaskDetail(message.task.id, self.services))

    @on(TaskBoard.EditRequested)
    def _task_edit(self, message: TaskBoard.EditRequested) -> None:
        self.task_actions.edit(message.task, {t.id for t in self.view.tasks})

    @on(TaskBoard.DeleteRequested)
    def _task_delete(self, message: TaskBoard.DeleteRequested) -> None:
        self.task_actions.delete(message.task)

    @on(TaskBoard.StartRequested)
    def _task_start(self, message: TaskBoard.StartRequested) -> None:
        self.task_actions.start(message.task)

    @on(TaskBoard.MoveRequested)
    def _task_move(self, message: TaskBoard.MoveRequested) -> None:
        self.task_actions.move(message.task, message.status)

    @on(TaskBoard.OpenLinkRequested)
    def _task_open_link(self, message: TaskBoard.OpenLinkRequested) -> None:
        self.task_actions.open_link(message.task)

    @on(TaskBoard.PullRequestRequested)
    def _task_pull_request(self, message: TaskBoard.PullRequestRequested) -> None:
        self.task_actions.pull_request(message.task)

    @on(TaskBoard.MergeRequested)
    def _task_merge(self, message: TaskBoard.MergeRequested) -> None:
        self.task_actions.merge(message.task)

    # -- the worktree map -----------------------------------------------------------------------

    @on(WorktreeMap.OwnerRequested)
    def _worktree_owner(self, message: WorktreeMap.OwnerRequested) -> None:
        self._instance_detail(message.instance_id)

    @on(WorktreeMap.RemoveRequested)
    def _worktree_remove(self, message: WorktreeMap.RemoveRequested) -> None:
        self.worktree_actions.remove(message.worktree)
