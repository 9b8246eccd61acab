"""`serve`: the headless mode, a thin wrapper over web.server.serve."""

from __future__ import annotations

import click


@click.command(name="serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1; anything else prints a warning).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: the web_port setting).")
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in a browser.")
def command(host, port, open_browser) -> None:
    """Serve the REST + WebSocket API and the browser dashboard (Ctrl-C stops it; agents keep running)."""
    from cc_orchestrator.web.server import serve

    serve(host or "127.0.0.1", port, allow_remote=host is not None, open_browser=open_browser)
