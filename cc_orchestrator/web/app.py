"""The FastAPI application: the REST API, /ws, the dashboard, and the loops behind them.

Three background loops share one Orchestrator with the requests:
- the event hub reads the event table every 100 ms and pushes to WebSocket clients;
- the tick (ingest, refresh, health checks, auto-assign) runs every second, in a thread;
- the spool watcher (watchdog) ingests agent hooks as they are written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cc_orchestrator import __version__
from cc_orchestrator.web import api, errors, pages, security, ws
from cc_orchestrator.web.api.deps import Services
from cc_orchestrator.web.board import InstanceBoard
from cc_orchestrator.web.events import EventHub
from cc_orchestrator.web.follow import LogFollowers
from cc_orchestrator.web.origins import LOOPBACK_HOSTS
from cc_orchestrator.web.throttle import Throttle

log = logging.getLogger(__name__)

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
    tick_interval: float = 1.0,
    event_interval: float = 0.1,
) -> FastAPI:
    """The app for `orchestrator`, guarded by `token`; the caller owns (and closes) the
    orchestrator. `allowed_hosts`: Host header names accepted (any port)."""
    credentials = security.Credentials(token)
    throttle = Throttle()
    board = InstanceBoard(orchestrator)
    hub = EventHub(orchestrator, board, interval=event_interval)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await hub.start()
        app.state.followers = LogFollowers(orchestrator.instances.logs, hub)
        tasks = [
            asyncio.create_task(hub.run(), name="event-hub"),
            asyncio.create_task(_tick_forever(board, hub, tick_interval), name="tick"),
        ]
        watcher = _watch_spools(orchestrator, hub)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=5)
            if watcher is not None:
                watcher.stop()
            app.state.followers.close()

    app = FastAPI(
        title="cc-orchestrator",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from the package: no CDN, so it works offline
        redoc_url=None,
        redirect_slashes=False,  # a redirect is no answer for an API client
    )
    app.state.services = Services(orchestrator, board, hub, default_repo)
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


async def _tick_forever(board: InstanceBoard, hub: EventHub, interval: float) -> None:
    while True:
        try:
            instances = await asyncio.to_thread(board.tick)
            live = [i for i in instances if i.status.is_live]
            if live:
                hub.publish(_metrics(live))
            hub.poke()
        except asyncio.CancelledError:
            raise
        except Exception:  # tmux gone for a moment, database busy: try again next round
            log.exception("tick failed")
        await asyncio.sleep(interval)


def _metrics(instances) -> dict:
    return {
        "type": "metrics",
        "timestamp": datetime.now(UTC).isoformat(),
        "instances": {
            i.id: {
                "status": i.status.value,
                "cpu_percent": i.resource_usage.cpu_percent,
                "memory_mb": i.resource_usage.memory_mb,
                "processes": i.resource_usage.processes,
            }
            for i in instances
        },
    }


def _watch_spools(orchestrator, hub: EventHub):
    try:
        return orchestrator.watch_spools(on_change=lambda ids: hub.poke())
    except Exception as exc:  # e.g. out of inotify watches: the tick still ingests each second
        log.warning("not watching hook spools (%s); hooks are read once a second instead", exc)
        return None
