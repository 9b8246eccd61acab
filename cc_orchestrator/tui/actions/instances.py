"""Actions on an instance: jump into its pane, send a prompt, answer its dialog, stop it..."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from cc_orchestrator.core.models import LOCAL_HOST
from cc_orchestrator.errors import OrchestratorError
from cc_orchestrator.tui import jump

if TYPE_CHECKING:
    from textual.screen import Screen

    from cc_orchestrator.core.models import Instance
    from cc_orchestrator.tui.services import Services


class InstanceActions:
    def __init__(self, owner: Screen, services: Services) -> None:
        self.owner = owner
        self.services = services

    def jump(self, instance: Instance) -> None:
        """Inside the agents' tmux server, switch the client; else suspend the app and attach.
        An instance on a remote host runs in that machine's tmux: always suspend, and `ssh -t`."""
        remote = instance.host != LOCAL_HOST
        self.owner.run_worker(lambda: self._jump(instance.id, remote), thread=True, group="jump", exit_on_error=False)

    def _jump(self, instance_id: str, remote: bool) -> None:
        orch = self.services.orch
        try:
            argv = orch.instances.attach_argv(instance_id)
        except OrchestratorError as exc:
            self.owner.call_later(self._refused, exc.message)
            return
        if remote or not orch.tmux.holds_client():
            self.owner.call_later(self._attach, argv)
        elif error := jump.run_switch(argv):
            self.owner.call_later(self._refused, error)
        self.services.kick()

    def _refused(self, reason: str) -> None:
        self.owner.notify(reason, title="jump refused", severity="error")

    def _attach(self, argv: list[str]) -> None:
        """Hand the terminal to `tmux attach` (or `ssh -t ... tmux attach`); detaching returns
        here, to the same place."""
        from textual.app import SuspendNotSupported

        try:
            with self.owner.app.suspend():
                jump.run_attached(argv)
        except SuspendNotSupported:
            self.owner.notify(f"cannot hand over this terminal; run: {shlex.join(argv)}", severity="warning")
        self.services.kick()

    def prompt(self, instance: Instance) -> None:
        from cc_orchestrator.tui.dialogs.modals import PromptScreen

        def send(text: str | None) -> None:
            if text:
                self.services.call(
                    self.owner,
                    "send",
                    lambda: self.services.orch.instances.send(instance.id, text),
                    lambda _: f"sent to instance {instance.id}",
                )

        self.owner.app.push_screen(PromptScreen(instance.id), send)

    def approve(self, instance: Instance) -> None:
        instances = self.services.orch.instances
        self._call("approve", lambda: instances.approve(instance.id), f"approved for {instance.id}")

    def reject(self, instance: Instance) -> None:
        instances = self.services.orch.instances
        self._call("reject", lambda: instances.reject(instance.id), f"rejected for {instance.id}")

    def interrupt(self, instance: Instance) -> None:
        instances = self.services.orch.instances
        self._call("interrupt", lambda: instances.interrupt(instance.id), f"interrupted {instance.id}")

    def restart(self, instance: Instance) -> None:
        instances = self.services.orch.instances
        self._call("restart", lambda: instances.restart(instance.id), f"restarted {instance.id}")

    def stop(self, instance: Instance) -> None:
        from cc_orchestrator.tui.dialogs.modals import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                instances = self.services.orch.instances
                self._call("stop", lambda: instances.stop(instance.id), f"stopped {instance.id}")

        body = "The agent and its processes end. Its worktree and branch stay, so no work is lost."
        self.owner.app.push_screen(ConfirmScreen(f"Stop instance {instance.id}?", body, yes="Stop"), answered)

    def _call(self, label: str, call, done: str) -> None:
        self.services.call(self.owner, label, call, lambda _: done)
