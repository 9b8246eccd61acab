"""Settings stored with `config set` (the configurations table), shared by every face."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.models import EventKind
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import ConfigurationRow
from cc_orchestrator.errors import InvalidInput


@dataclass(frozen=True)
class ConfigEntry:
    key: str
    value: Any  # secrets are shown as "set" / None, never their value
    source: str  # env, stored, file, default
    secret: bool = False


class ConfigService:
    def __init__(self, store: Store, events: EventLog, explicit: dict[str, Any] | None = None) -> None:
        self.store = store
        self.events = events
        self.explicit = dict(explicit or {})

    def stored(self) -> dict[str, Any]:
        rows = self.store.read(lambda: list(ConfigurationRow.select()))
        return {r.key: json.loads(r.value) for r in rows}

    def stamp(self) -> tuple[int, Any]:
        """Changes whenever a value is set or unset, by any process: (rows, newest change)."""
        from peewee import fn

        return self.store.read(
            lambda: ConfigurationRow.select(
                fn.COUNT(ConfigurationRow.key), fn.MAX(ConfigurationRow.updated_at)
            ).tuples()[0]
        )

    def raw(self, name: str) -> Any:
        """One setting's value as given, from the first source that has it (explicit, env,
        stored, file), without building `Settings`: pydantic costs 100+ ms, which a command
        that needs only `tmux_socket` should not pay. None when no source sets it."""
        if name in self.explicit:
            return self.explicit[name]
        from cc_orchestrator.config import paths

        for value in (paths.env(name), self.stored().get(name), paths.read_config_file().get(name)):
            if value is not None:
                return value
        return None

    def effective(self, stored: dict[str, Any] | None = None):
        from pydantic import ValidationError

        from cc_orchestrator.config.settings import load_settings

        stored = self.stored() if stored is None else stored
        try:
            return load_settings(stored, **self.explicit)
        except ValidationError as exc:
            key = str((exc.errors()[0].get("loc") or ("",))[0])
            hint = ""
            if key in stored:
                hint = f" (stored with `config set`: `cc-orchestrator config unset {key}` removes it)"
            raise InvalidInput(_first_error(exc) + hint) from None

    def entries(self) -> list[ConfigEntry]:
        from cc_orchestrator.config.settings import SECRET_FIELDS, describe_sources

        stored = self.stored()
        settings = self.effective(stored)
        sources = describe_sources(stored)
        plain = settings.model_dump(mode="json", exclude=set(SECRET_FIELDS))
        result = []
        for key in type(settings).model_fields:
            secret = key in SECRET_FIELDS
            value = ("set" if getattr(settings, key) is not None else None) if secret else plain[key]
            result.append(ConfigEntry(key, value, sources[key], secret))
        return result

    def get(self, key: str) -> ConfigEntry:
        wanted = setting_name(key)
        for entry in self.entries():
            if entry.key == wanted:
                return entry
        raise InvalidInput(f"unknown setting {key!r}; see `config show`")

    def set(self, key: str, value: str) -> ConfigEntry:
        """Validate and store a value (text, read as JSON when it parses); secrets and the data
        dir are refused with the reason."""
        return self.set_many({key: _parse(value)})[0]

    def set_many(self, values: dict[str, Any]) -> list[ConfigEntry]:
        """Validate every value, alone and together with the rest, then store them all in one
        transaction: one invalid value stores none. Values are JSON values (`5`, `true`, maps)."""
        checked = {setting_name(key): self._checked(setting_name(key), value) for key, value in values.items()}
        self.effective({**self.stored(), **checked})  # they must fit with the rest

        def save() -> None:
            for key, value in checked.items():
                ConfigurationRow.replace(key=key, value=json.dumps(value), updated_at=utcnow()).execute()
                self.events.add(EventKind.LOG_MESSAGE, f"setting {key} changed", data={"key": key})

        self.store.write(save)
        return [self.get(key) for key in checked]

    def _checked(self, key: str, value: Any) -> Any:
        from pydantic import ValidationError

        from cc_orchestrator.config.settings import LOCATION_FIELDS, SECRET_FIELDS, Settings

        if key not in Settings.model_fields:
            raise InvalidInput(f"unknown setting {key!r}; see `config show`")
        if key in SECRET_FIELDS:
            env = "CC_ORCHESTRATOR_" + key.upper()
            raise InvalidInput(f"{key} is a secret: set {env} or store it in the system keyring")
        if key in LOCATION_FIELDS:
            raise InvalidInput(f"{key} locates the database: set it in the config file or CC_ORCHESTRATOR_DATA_DIR")
        try:  # this field alone, without the environment or other sources
            return Settings.model_validate({key: value}).model_dump(mode="json")[key]
        except ValidationError as exc:
            raise InvalidInput(_first_error(exc)) from None

    def unset(self, key: str) -> None:
        key = setting_name(key)
        self.store.write(lambda: ConfigurationRow.delete().where(ConfigurationRow.key == key).execute())


def setting_name(key: str) -> str:
    """The one spelling of a setting's name: `Max-Instances` is `max_instances`, and
    `review.max_rounds` (a `[review]` table in the config file) is `review_max_rounds`."""
    return str(key).strip().lower().replace("-", "_").replace(".", "_")


def _parse(value: str) -> Any:
    """`5` -> 5, `true` -> True, JSON objects and lists as such; anything else is a string."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _first_error(exc) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ())) or "setting"
    return f"invalid {where}: {error.get('msg', 'invalid value').removeprefix('Value error, ')}"  # our own words
