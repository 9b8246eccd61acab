"""Short, fixed-width renderings of ages, sizes and counts for table cells."""

from __future__ import annotations

from datetime import datetime


def ago(then: datetime | None, now: datetime) -> str:
    """ "<1m", "12m", "3h", "2d": coarse on purpose, so a cell (and its table) repaints rarely."""
    if then is None:
        return "-"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def ago_changes_in(then: datetime | None, now: datetime) -> float | None:
    """Seconds until `ago(then, now)` reads otherwise ("<1m" -> "1m" -> "2m" ... "1h"); None
    for no time at all."""
    if then is None:
        return None
    seconds = max(0.0, (now - then).total_seconds())
    unit = 60 if seconds < 3600 else 3600 if seconds < 86400 else 86400
    return unit - seconds % unit


def count(n: int) -> str:
    """Token counts: 950, 12.3k, 4.1M."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def memory(mb: float) -> str:
    if mb <= 0:
        return "-"
    return f"{mb:.0f}M" if mb < 1024 else f"{mb / 1024:.1f}G"


def cpu(percent: float) -> str:
    return f"{percent:.0f}%"


def clock_time(when: datetime, now: datetime) -> str:
    """HH:MM:SS in the clock's time zone (UTC under the tests' fixed clock)."""
    return when.astimezone(now.tzinfo).strftime("%H:%M:%S")
