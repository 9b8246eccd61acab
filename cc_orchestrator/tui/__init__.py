"""The full-screen dashboard: a thin Textual face over `core.Orchestrator`.

Nothing here talks to tmux, git or SQLite: the core's `Live` pushes snapshots (`feed.py`), and
every other read or change goes through the services in worker threads (`reads.py`, `actions/`).
"""
