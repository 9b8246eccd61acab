"""What `serve` logs: uvicorn's lines and ours, at the `log_level` setting, and never a credential.

uvicorn hands its "uvicorn.error" logger to the websockets library, which at DEBUG writes each
handshake's request line and headers: a `?token=` query, the session cookie, an Authorization
header. So every record that reaches a handler passes through `Redact`, which replaces the token
and the cookie values made from it (as sent, or percent-encoded) wherever they appear.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

HIDDEN = "[redacted]"


class Redact(logging.Filter):
    """Replaces each secret in a record's message and traceback; keeps the record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""), quote_plus(secret))}
        self.secrets = sorted(forms, key=len, reverse=True)  # the longest first: no half-replaced value

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self._hide(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._hide(record.exc_text)
        return True

    def _hide(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        return text


def log_config(level: str, secrets: Iterable[str]) -> dict[str, Any]:
    """uvicorn's own logging configuration, with `Redact` on every handler and our loggers
    (`cc_orchestrator.*`) written beside uvicorn's at `level` (DEBUG, INFO, WARNING, ERROR)."""
    import uvicorn.config

    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": Redact, "secrets": list(secrets)}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["loggers"]["cc_orchestrator"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config
