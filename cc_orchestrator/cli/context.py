"""What every command shares: the --repo choice and one lazily opened Orchestrator."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import click


class CliContext:
    def __init__(self, repo: str | None) -> None:
        self.repo_option = repo

    @cached_property
    def orchestrator(self):
        from cc_orchestrator.core.orchestrator import Orchestrator

        return Orchestrator()

    def repo(self) -> Path:
        """The repository to act on: --repo, else the one containing the current folder."""
        from cc_orchestrator.core.orchestrator import Orchestrator

        return Orchestrator.repo(self.repo_option)

    def repo_if_any(self) -> Path | None:
        """The same, or None outside any repository when --repo was not given."""
        from cc_orchestrator.core.orchestrator import Orchestrator

        return Orchestrator.repo(self.repo_option, required=False)

    def host(self, name: str | None) -> str | None:
        """A --host NAME as the host's own name, checked before anything starts (None: not given)."""
        return self.orchestrator.hosts.get(name).name if name is not None else None

    def close(self) -> None:
        if "orchestrator" in self.__dict__:
            self.orchestrator.close()


def in_repo(path: str | None) -> str | None:
    """An --in-repo PATH as the repository it names (None: every repository)."""
    if path is None:
        return None
    from cc_orchestrator.core.orchestrator import Orchestrator

    return str(Orchestrator.repo(path))


pass_context = click.make_pass_decorator(CliContext)
