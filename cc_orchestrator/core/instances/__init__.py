"""Agent instances: a worktree, a tmux session and the agent running in it."""


def __getattr__(name: str):
    # lazy, so reading rows (instances.rows) does not import the settings and pydantic
    if name == "InstanceService":
        from cc_orchestrator.core.instances.service import InstanceService

        return InstanceService
    raise AttributeError(name)


__all__ = ["InstanceService"]
