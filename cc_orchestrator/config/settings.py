"""Configuration: defaults, the TOML file, values set with `config set`, and the environment.

Precedence, highest first: explicit arguments, CC_ORCHESTRATOR_* environment variables,
values stored with `config set` (the database's configurations table, shared by every face),
the TOML file in the user's config dir, the defaults below.

Secrets (tokens, webhook URLs) come only from the environment or the system keyring: they are
`SecretStr`, ignored if found in the TOML file, refused by `config set`, and never printed.
"""

from __future__ import annotations

import contextvars
import shlex
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cc_orchestrator.config import paths

SECRET_FIELDS = frozenset({"github_token", "jira_token", "slack_webhook_url"})
# Settings that locate the database itself cannot be stored inside it.
LOCATION_FIELDS = frozenset({"data_dir"})

# Issue labels that set a task's priority (lower case; the highest one found wins).
DEFAULT_LABEL_PRIORITIES = {
    "p0": "HIGH",
    "p1": "HIGH",
    "priority: high": "HIGH",
    "priority:high": "HIGH",
    "high": "HIGH",
    "urgent": "HIGH",
    "critical": "HIGH",
    "p2": "MEDIUM",
    "priority: medium": "MEDIUM",
    "p3": "LOW",
    "p4": "LOW",
    "priority: low": "LOW",
    "priority:low": "LOW",
    "low": "LOW",
}
# The Jira status each task status moves an imported issue to ("" or absent: leave it).
DEFAULT_JIRA_STATUSES = {"in_progress": "In Progress", "review": "In Review", "done": "Done"}
# Ignored files that always count as work when a worktree is removed (dotenv files, keys and
# certificates, files marked secret or local), even where they would look like a build output.
DEFAULT_PROTECT = (".env*", "*.pem", "*.key", "*.secret", "*.local", "*.local.*")

_STORED: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("stored", default=None)


class WindowSpec(BaseModel):
    """One window of a custom tmux layout: a name and one command per pane ("" is a shell)."""

    name: str
    panes: list[str] = Field(default_factory=lambda: [""])
    layout: str = "tiled"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=paths.ENV_PREFIX, extra="ignore", validate_default=True)

    data_dir: Path = Field(default_factory=paths.default_data_dir)
    worktree_root: Path | None = None  # default: <data_dir>/worktrees
    tmux_socket: str | None = None  # None: the user's normal tmux server
    agent_command: str | None = None  # a program to run by default; its name picks the profile
    default_agent: str = "claude"
    agents: dict[str, dict[str, Any]] = Field(default_factory=dict)  # [agents.NAME] tables
    trust_worktrees: bool = False  # answer an agent's folder-trust dialog for worktrees we made
    hung_after_seconds: int = Field(default=900, ge=10)  # RUNNING with no output this long
    auto_restart: bool = False
    max_restarts: int = Field(default=3, ge=0)
    max_memory_mb: float | None = Field(default=None, gt=0)
    max_cpu_percent: float | None = Field(default=None, gt=0)
    stop_on_resource_limit: bool = False
    log_max_bytes: int = Field(default=5_000_000, ge=10_000)
    # events older than this are deleted (each instance's and task's latest kept), and so are the
    # pane logs and hook spools of instances gone or stopped this long; 0 keeps everything
    events_keep_days: int = Field(default=30, ge=0, le=36_500)
    keymap: dict[str, str] = Field(default_factory=dict)  # TUI binding id -> keys ("ctrl+k,K")
    bell: bool = False  # ring the terminal bell with the TUI's notifications
    default_layout: str = "default"
    custom_layouts: dict[str, list[WindowSpec]] = Field(default_factory=dict)
    max_instances: int = Field(default=5, ge=1, le=500)
    auto_assign: bool = False
    stop_timeout: float = Field(default=5.0, gt=0, le=300)
    prompt_ready_timeout: float = Field(default=30.0, gt=0, le=600)
    stale_after_days: int = Field(default=7, ge=1)
    # Globs naming ignored files that removing a worktree must never delete without --force,
    # matched against each ignored path's name and its path in the worktree.
    protect: list[str] = Field(default_factory=lambda: list(DEFAULT_PROTECT))
    # The review loop. A finished turn's work is checked before a person sees it: the checks
    # command per repository path ("*": every repository; a repository's own
    # .cc-orchestrator.toml [review] checks wins; neither: detected from the project's files).
    review_checks: dict[str, str] = Field(default_factory=dict)
    review_commit: Literal["auto", "ask-agent", "never"] = "auto"  # the agent's leftovers once checks pass
    review_max_rounds: int = Field(default=3, ge=1, le=50)  # failed runs before a person is asked
    review_timeout: float = Field(default=900.0, gt=0, le=86_400)  # seconds one checks run may take
    review_auto_merge: bool = False  # passed checks go straight into the merge queue
    review_merge: Literal["merge", "squash", "rebase"] = "merge"  # how `tasks merge` merges by default
    cleanup_merged: bool = False  # a merged task's instance is stopped and its worktree removed
    # Remote hosts (`hosts add`): ssh reads this config file instead of ~/.ssh/config (ssh -F)
    ssh_config: Path | None = None
    ssh_connect_timeout: float = Field(default=10.0, gt=0, le=300)  # seconds for a connection to a host
    web_port: int = Field(default=8080, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Integrations. Tokens and the webhook URL are secrets: environment or keyring only.
    github_api_url: str = "https://api.github.com"  # GitHub Enterprise: https://HOST/api/v3
    github_remote: str = "origin"  # where a task's branch is pushed
    github_pull_requests: bool = True  # push and open a pull request when a GitHub task reaches REVIEW
    github_draft: bool = False
    github_on_done: Literal["none", "comment", "close"] = "none"  # what a DONE task does to its issue
    github_label_priorities: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_LABEL_PRIORITIES))
    jira_url: str | None = None  # https://SITE.atlassian.net
    jira_email: str | None = None  # with jira_token: Jira Cloud; without: a Data Center bearer token
    jira_statuses: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_JIRA_STATUSES))
    slack_on_waiting: bool = True
    slack_on_error: bool = True
    slack_on_finished: bool = True
    http_timeout: float = Field(default=10.0, gt=0, le=300)
    http_retries: int = Field(default=3, ge=0, le=10)
    http_max_wait: float = Field(default=60.0, ge=0, le=3600)  # longest rate-limit wait

    github_token: SecretStr | None = None
    jira_token: SecretStr | None = None
    slack_webhook_url: SecretStr | None = None

    @field_validator("jira_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("github_api_url", "jira_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
            raise ValueError("must be an http(s) URL without credentials in it")
        return value.strip().rstrip("/")

    @field_validator("github_label_priorities")
    @classmethod
    def _priorities(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"HIGH", "MEDIUM", "LOW"}
        cleaned = {str(k).strip().lower(): str(v).strip().upper() for k, v in value.items()}
        if bad := sorted(v for v in cleaned.values() if v not in allowed):
            raise ValueError(f"priority {bad[0]!r} is not HIGH, MEDIUM or LOW")
        return cleaned

    @field_validator("jira_statuses")
    @classmethod
    def _task_statuses(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"pending", "assigned", "in_progress", "review", "done"}
        cleaned = {str(k).strip().lower(): str(v).strip() for k, v in value.items()}
        if bad := sorted(k for k in cleaned if k not in allowed):
            raise ValueError(f"{bad[0]!r} is not a task status (pending, assigned, in_progress, review, done)")
        return cleaned

    @field_validator("agents")
    @classmethod
    def _profiles_build(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Every [agents.NAME] table must make a profile, or every command would fail later."""
        from pydantic import ValidationError

        from cc_orchestrator.config.agents import resolve_profiles

        for name, table in value.items():
            if not isinstance(table, dict):
                raise ValueError(f"agents.{name} must be a table of profile fields")
            try:
                resolve_profiles({name: table})
            except ValidationError as exc:
                error = exc.errors()[0]
                where = ".".join(str(p) for p in error.get("loc", ()))
                raise ValueError(
                    f"agents.{name}.{where}: {error.get('msg', '').removeprefix('Value error, ')}"
                ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("agent_command")
    @classmethod
    def _command_parses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            if not shlex.split(value):
                raise ValueError("agent_command must name a program")
        except ValueError as exc:
            raise ValueError(f"agent_command cannot be split like a shell would: {exc}") from None
        return value

    @field_validator("tmux_socket")
    @classmethod
    def _socket_name(cls, value: str | None) -> str | None:
        return paths.socket_name(value)

    @property
    def profiles(self):
        """Every agent profile by name, built-ins merged with the user's `agents` tables."""
        from cc_orchestrator.config.agents import resolve_profiles

        return resolve_profiles(self.agents)

    def profile(self, name: str | None = None, command: list[str] | None = None):
        """The profile to start an agent with: `name` if given (run as `command`, if given);
        else the profile of `command`'s program, or of `agent_command`'s; else `default_agent`."""
        from cc_orchestrator.config.agents import profile_for_program
        from cc_orchestrator.errors import InvalidInput

        profiles = self.profiles
        if name:
            wanted = name.strip().lower()
            if wanted not in profiles:
                raise InvalidInput(f"unknown agent {wanted!r}: choose one of {', '.join(profiles)}")
            chosen = profiles[wanted]
            if command:
                return chosen.model_copy(update={"command": shlex.join(command), "args": []})
            if not chosen.command and self.agent_command:  # generic runs agent_command
                return chosen.model_copy(update={"command": self.agent_command})
            return chosen
        if command:
            return profile_for_program(profiles, command)
        if self.agent_command:
            return profile_for_program(profiles, shlex.split(self.agent_command))
        return self.profile(self.default_agent)

    @property
    def worktrees_dir(self) -> Path:
        return (self.worktree_root or self.data_dir / "worktrees").expanduser()

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _StoredSource(settings_cls),
            _TomlSource(settings_cls),
            _KeyringSource(settings_cls),
        )


class _StoredSource(PydanticBaseSettingsSource):
    """Values saved with `config set` (passed in by `load_settings`)."""

    def get_field_value(self, field, field_name):  # pragma: no cover - unused by __call__
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in (_STORED.get() or {}).items() if k not in SECRET_FIELDS}


class _TomlSource(PydanticBaseSettingsSource):
    """The user's TOML file, minus any secret someone put there."""

    def get_field_value(self, field, field_name):  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        data = paths.read_config_file()
        return {k: v for k, v in data.items() if k not in SECRET_FIELDS}


class _KeyringSource(PydanticBaseSettingsSource):
    """Secrets from the system keyring, when the optional `keyring` package is installed."""

    def get_field_value(self, field, field_name):  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        try:
            import keyring  # optional
        except ImportError:
            return {}
        found: dict[str, Any] = {}
        for name in SECRET_FIELDS:
            try:
                value = keyring.get_password(paths.APP_NAME, name)
            except Exception:  # a locked or absent keyring backend is not an error
                return found
            if value:
                found[name] = value
        return found


def load_settings(stored: dict[str, Any] | None = None, **explicit: Any) -> Settings:
    """Build the effective settings; `stored` holds the database's `config set` values."""
    token = _STORED.set(dict(stored or {}))
    try:
        return Settings(**explicit)
    finally:
        _STORED.reset(token)


def describe_sources(stored: dict[str, Any]) -> dict[str, str]:
    """Where each setting's effective value comes from: env, stored, file or default."""
    file_values = paths.read_config_file()
    origin: dict[str, str] = {}
    for name in Settings.model_fields:
        if paths.env(name) is not None:
            origin[name] = "env"
        elif name in stored and name not in SECRET_FIELDS:
            origin[name] = "stored"
        elif name in file_values and name not in SECRET_FIELDS:
            origin[name] = "file"
        else:
            origin[name] = "default"
    return origin
