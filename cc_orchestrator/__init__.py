"""cc-orchestrator: run many coding agents side by side, each in its own worktree and tmux session."""

__version__ = "0.1.0"
