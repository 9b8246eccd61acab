"""Errors a user can act on.

Every failure that reaches a face is one of these: the CLI prints its message as one line,
the web server maps its kind to an HTTP status. Messages never contain secrets.
"""


def message_of(exc: BaseException) -> str:
    """One line for the user: an OrchestratorError's own message; for anything else (a bug) its
    type and first line, at most 300 characters."""
    message = getattr(exc, "message", None)
    return message or f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


class OrchestratorError(Exception):
    """Base class: a message meant for the user, one line, no traceback."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(OrchestratorError):
    """The request itself is wrong: a bad status, a bad branch name, a cycle."""

    http_status = 422


class NotFound(OrchestratorError):
    """No instance, task, worktree or session by that id."""

    http_status = 404


class Conflict(OrchestratorError):
    """The request is valid but the current state forbids it (full slots, dirty worktree...)."""

    http_status = 409


class MissingDependency(OrchestratorError):
    """A program we drive (git, tmux) is not installed."""

    http_status = 503


class NotARepository(OrchestratorError):
    """The folder is not inside a git repository."""

    http_status = 422


class StoreError(OrchestratorError):
    """The database cannot be used: corrupt, read-only, newer schema, or busy for too long."""

    http_status = 503


class ExternalError(OrchestratorError):
    """git or tmux refused an operation; the message carries their reason."""

    http_status = 502


class IntegrationError(OrchestratorError):
    """GitHub, Jira or Slack refused or could not be reached; the message says what to fix.
    What can be settled here (no worktree, no remote, no token) is a Conflict instead."""

    http_status = 502


class HostUnreachable(ExternalError):
    """A remote host did not answer over ssh, or refused us (host key, authentication)."""

    http_status = 504
