"""At most one line per kind of trouble every few seconds, and a count of the rest.

When the process runs out of file descriptors, asyncio logs a traceback for every failed
accept() (Python 3.11 logs one per pending connection, not once), and every background task
that opens the database logs its own: hundreds of megabytes of stderr in seconds, at full CPU.
`StormFilter` lets the first line of each kind through, then one every `interval` seconds with
the number held back ("(3,120 more like it)"); a line about running out of descriptors loses
its traceback. At most `budget` lines of any kind pass in one interval.
"""

from __future__ import annotations

import errno
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_FD_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE})
_MAX_KINDS = 1000


class StormFilter(logging.Filter):
    def __init__(self, interval: float = 10.0, budget: int = 50, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.budget = budget
        self.clock = clock
        self._last: dict[tuple, float] = {}  # kind -> when a line of it last passed
        self._held: dict[tuple, int] = {}  # kind -> lines held back since
        self._window = (0.0, 0)  # (start, lines passed in it)
        self._lock = threading.Lock()  # records come from the event loop and worker threads

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            return self._let_through(record)

    def _let_through(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        fd_trouble = _out_of_descriptors(record)
        kind = ("fd",) if fd_trouble else (record.name, record.levelno, _first_line(record))
        last = self._last.get(kind)
        start, passed = self._window
        if now - start >= self.interval:
            start, passed = now, 0
        if (last is not None and now - last < self.interval) or passed >= self.budget:
            self._held[kind] = self._held.get(kind, 0) + 1
            self._window = (start, passed)
            return False
        self._window = (start, passed + 1)
        self._last.pop(kind, None)
        self._last[kind] = now  # re-inserted: the oldest kinds are the first forgotten
        while len(self._last) > _MAX_KINDS:
            self._held.pop(next(iter(self._last)), None)
            self._last.pop(next(iter(self._last)))
        message = _first_line(record) if fd_trouble else record.getMessage()
        if fd_trouble:  # the traceback says nothing new; the reason does
            message = f"{message}: {fd_trouble}"
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        if held := self._held.pop(kind, 0):
            message = f"{message} ({held:,} more like it in the last {self.interval:g} s)"
        record.msg, record.args = message, None
        return True


def _first_line(record: logging.LogRecord) -> str:
    return record.getMessage().split("\n", 1)[0][:200]


def _out_of_descriptors(record: logging.LogRecord) -> str:
    """The reason when this record is about running out of file descriptors, else ""."""
    exc = record.exc_info[1] if record.exc_info else None
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in _FD_ERRNOS:
            return exc.strerror or "too many open files"
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return "too many open files" if "Too many open files" in record.getMessage() else ""


@contextmanager
def quiet_storms(logger: str = "uvicorn") -> Iterator[StormFilter]:
    """While inside, every handler of `logger` (uvicorn's stderr handler, configured by then)
    passes its records through one StormFilter, and loggers without a handler of their own
    (asyncio's) write through those same handlers, filters and format instead of Python's
    bare last resort."""
    storm = StormFilter()
    handlers = list(logging.getLogger(logger).handlers) or [logging.StreamHandler(sys.stderr)]
    root = logging.getLogger()
    borrowed = [] if root.handlers else handlers
    for handler in handlers:
        handler.addFilter(storm)
    for handler in borrowed:
        root.addHandler(handler)
    try:
        yield storm
    finally:
        for handler in borrowed:
            root.removeHandler(handler)
        for handler in handlers:
            handler.removeFilter(storm)
