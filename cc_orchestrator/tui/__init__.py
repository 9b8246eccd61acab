"""The full-screen dashboard: a thin Textual face over `core.Orchestrator`.

Nothing here talks to tmux, git or SQLite: every blocking call goes through `live.Poller`
(reads) or `actions.py` (changes), both run in worker threads.
"""
