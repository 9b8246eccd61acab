"""The REST API: one router per resource, all over the same core services as the CLI and TUI.

Endpoints are plain `def` functions: FastAPI runs them in its worker threads, so tmux, git and
SQLite calls never block the event loop.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.security import HTTPBearer

from cc_orchestrator.web.api import config, events, instances, integrations, meta, overlaps, tasks, worktrees

# Documents the Bearer scheme in /docs (the check itself is security.Guard's).
bearer = HTTPBearer(auto_error=False, description="the token printed by `cc-orchestrator serve`")


def include(app: FastAPI) -> None:
    for module in (instances, tasks, integrations, worktrees, overlaps, config, events, meta):
        app.include_router(module.router, dependencies=[Depends(bearer)])
