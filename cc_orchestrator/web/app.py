"""The FastAPI application: the REST API, /ws, the dashboard, and the feed behind them.

One core `Live` runs for the server's lifespan (`web/feed.py`): it pushes a snapshot whenever
a hook, an agent's output, tmux or the database changes, and its sweep runs the health checks,
auto-assign and the integrations. WebSocket messages, the CPU/memory history and the instance
list that requests read all come from those snapshots; no request or client polls, and the
sweep (every 5 s) is the only clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cc_orchestrator import __version__
from cc_orchestrator.web import api, errors, pages, security, ws
from cc_orchestrator.web.api.deps import Services
from cc_orchestrator.web.feed import Feed
from cc_orchestrator.web.follow import LogFollowers
from cc_orchestrator.web.origins import LOOPBACK_HOSTS
from cc_orchestrator.web.throttle import Throttle

DESCRIPTION = """\
The REST API of cc-orchestrator's headless mode, over the same services as the CLI and TUI.

Every request needs the token printed by `cc-orchestrator serve`: send
`Authorization: Bearer <token>`. Lists take `limit` and `offset` and answer
`{"items": [...], "total": N, "limit": ..., "offset": ...}`. Errors answer
`{"error": {"code": "...", "message": "..."}}` with a 4xx status, or 502 when GitHub, Jira
or a `git push` refused (the message, one line, says what to fix).

Live events: a WebSocket at `/ws` (same token) sends `instance_status`, `task_update`,
`worktree_update`, `log_message` and `metrics` messages; send
`{"type": "subscribe", "instance_id": "..."}` to follow one instance's screen output.
"""


def create_app(
    orchestrator,
    token: str,
    *,
    allowed_hosts: Iterable[str] = LOOPBACK_HOSTS,
    default_repo: Path | None = None,
    cors_origins: Iterable[str] = (),
    sweep: float | None = None,
) -> FastAPI:
    """The app for `orchestrator`, guarded by `token`; the caller owns (and closes) the
    orchestrator. `allowed_hosts`: Host header names accepted (any port). `sweep`: seconds
    between Live's safety sweeps (CPU/memory samples, health checks), default 5."""
    credentials = security.Credentials(token)
    throttle = Throttle()
    feed = Feed(orchestrator, sweep=sweep)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await feed.start()
        app.state.followers = LogFollowers(orchestrator.instances.logs, feed.clients)
        try:
            yield
        finally:
            app.state.followers.close()
            await asyncio.to_thread(feed.stop)

    app = FastAPI(
        title="cc-orchestrator",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from the package: no CDN, so it works offline
        redoc_url=None,
        redirect_slashes=False,  # a redirect is no answer for an API client
    )
    app.state.services = Services(orchestrator, feed, default_repo)
    app.state.credentials = credentials
    app.state.throttle = throttle
    errors.install(app)
    api.include(app)
    app.include_router(ws.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        from fastapi.openapi.docs import get_swagger_ui_html

        vendor = "/static/vendor/swagger-ui"
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="cc-orchestrator API",
            swagger_js_url=f"{vendor}/swagger-ui-bundle.js",
            swagger_css_url=f"{vendor}/swagger-ui.css",
            swagger_favicon_url=f"{vendor}/favicon-32x32.png",
        )

    origins = list(cors_origins)
    if origins:  # off unless configured; never with cookies, so only Bearer scripts benefit
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
        )
    # outermost: nothing answers before the Host check, nor before the token check but a
    # CORS preflight (when CORS is on), which carries no credentials by design
    guard = security.Guard(app.router, credentials, allowed_hosts, throttle, cors=bool(origins))
    app.state.guard = guard
    app.add_middleware(_GuardMiddleware, guard=guard)
    return app


class _GuardMiddleware:
    """Adapts the shared `security.Guard` instance to Starlette's middleware stack."""

    def __init__(self, app, guard: security.Guard) -> None:
        guard.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send) -> None:
        await self.guard(scope, receive, send)
