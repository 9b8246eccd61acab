"""Usage limits: "You've hit your limit · resets 3pm" -> the next 3 pm, in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TIME = re.compile(r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?", re.IGNORECASE)
_ZONE = re.compile(r"\(([A-Za-z_]+/[A-Za-z_/]+|UTC)\)")


def parse_reset(text: str, now: datetime | None = None) -> datetime | None:
    """The next moment matching the agent's words, as naive UTC; None if it cannot be read.

    The time is local (or in the zone the agent names in parentheses). If it has passed
    today, it is tomorrow's.
    """
    match = _TIME.search(text or "")
    if match is None:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = (match["ampm"] or "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    zone = _zone(text)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    candidate = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local_now:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC).replace(tzinfo=None)


def _zone(text: str):
    named = _ZONE.search(text)
    if named:
        try:
            return ZoneInfo(named.group(1))
        except ZoneInfoNotFoundError:
            pass
    return datetime.now().astimezone().tzinfo
