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
        from cc_orchestrator.core.git.repository import find_repo

        return find_repo(self.repo_option or Path.cwd())

    def repo_if_any(self) -> Path | None:
        from cc_orchestrator.errors import NotARepository

        try:
            return self.repo()
        except NotARepository:
            if self.repo_option:
                raise
            return None

    def close(self) -> None:
        if "orchestrator" in self.__dict__:
            self.orchestrator.close()


pass_context = click.make_pass_decorator(CliContext)
