"""Keeping an agent's screen or output up to date while a view shows it: the loop of a thread
worker, which Textual cancels when the view that started it closes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.worker import get_current_worker

T = TypeVar("T")
EVERY = 0.5  # seconds between looks at the output log's size (a stat)
_NEVER = object()


def follow(mark: Callable[[], object], read: Callable[[], T], deliver: Callable[[T], object]) -> None:
    """`deliver(read())` now and whenever `mark()` changes, until the worker is cancelled."""
    worker = get_current_worker()
    seen = _NEVER
    while not worker.is_cancelled:
        now = mark()
        if now != seen:
            seen = now
            text = read()
            if worker.is_cancelled:
                return
            deliver(text)
        if worker.cancelled_event.wait(EVERY):
            return
