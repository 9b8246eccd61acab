"""Where things live, resolved without importing pydantic.

`tasks list` must start in well under 150 ms, and pydantic-settings alone costs about 100 ms
to import. The data dir is all such a command needs, so it is resolved here (environment,
then the TOML file, then the platform default); `Settings` uses the same functions.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

APP_NAME = "cc-orchestrator"
ENV_PREFIX = "CC_ORCHESTRATOR_"
DATABASE_NAME = "orchestrator.db"


def env(name: str) -> str | None:
    """The value of CC_ORCHESTRATOR_<NAME>, or None when unset or empty."""
    value = os.environ.get(ENV_PREFIX + name.upper())
    return value or None


def config_file() -> Path:
    """The user's TOML file (CC_ORCHESTRATOR_CONFIG_FILE overrides its place)."""
    explicit = env("config_file")
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


@lru_cache(maxsize=8)
def _read_toml(path: Path, mtime: float) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def read_config_file(path: Path | None = None) -> dict:
    """The TOML file's table, or {} when it does not exist. Bad TOML raises ValueError."""
    path = path or config_file()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    try:
        return flattened(_read_toml(path, mtime))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path} is not valid TOML: {exc}") from None


SECTIONS = ("review",)  # `[review] max_rounds = 5` is the setting review_max_rounds


def flattened(table: dict) -> dict:
    """The config file's values by setting name: a `[review]` table's keys get its prefix."""
    values = {k: v for k, v in table.items() if not (k in SECTIONS and isinstance(v, dict))}
    for section in SECTIONS:
        if isinstance(table.get(section), dict):
            values.update({f"{section}_{k}": v for k, v in table[section].items()})
    return values


def default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


def data_dir() -> Path:
    """Where the database, logs and (by default) worktrees live."""
    explicit = env("data_dir") or read_config_file().get("data_dir")
    return Path(explicit).expanduser() if explicit else default_data_dir()


def socket_name(value: str | None) -> str | None:
    """A valid `tmux_socket` (a name for `tmux -L`), or None for the user's default server."""
    if value and ("/" in value or value.startswith(".")):
        raise ValueError("tmux_socket is a socket name (tmux -L NAME), not a path")
    return value or None


def database_path(base: Path | None = None) -> Path:
    return (base or data_dir()) / DATABASE_NAME
