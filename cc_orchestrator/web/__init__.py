"""Headless mode: a REST + WebSocket API and a browser dashboard over the core services.

`server.serve()` runs it; `app.create_app()` builds the FastAPI app; `security` guards every
request. Like the CLI and the TUI, this face only calls the services in `cc_orchestrator.core`.
"""
