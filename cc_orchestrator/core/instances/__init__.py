"""Agent instances: a worktree, a tmux session and the agent running in it."""

from cc_orchestrator.core.instances.service import InstanceService

__all__ = ["InstanceService"]
