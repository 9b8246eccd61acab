"""Opening the SQLite file: pragmas, migrations, and errors a user can read.

The TUI, the web server, hook ingesters and CLI commands share one file. WAL lets readers run
beside a writer; every write transaction is BEGIN IMMEDIATE, so two writers queue on the busy
timeout instead of failing on a lock upgrade; and `write` retries the rare busy error that is
left, so "database is locked" never reaches a user.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import peewee as pw

from cc_orchestrator.core.private import keep_private, private_folder
from cc_orchestrator.core.store import migrations
from cc_orchestrator.core.store.tables import database_proxy
from cc_orchestrator.errors import StoreError

BUSY_TIMEOUT_MS = 30_000  # SQLite's busy handler is not fair: a writer can wait behind bursts
PRAGMAS = {
    # first: it takes effect only on a file without tables yet (older ones: space.vacuum)
    "auto_vacuum": "incremental",
    "journal_mode": "wal",
    "busy_timeout": BUSY_TIMEOUT_MS,
    "foreign_keys": 1,
    "synchronous": "normal",
}

T = TypeVar("T")


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def explain(exc: BaseException, path: Path) -> StoreError:
    """Turn an SQLite failure into one readable line."""
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text or "disk image" in text:
        return StoreError(f"database {path} is damaged or not a cc-orchestrator database ({exc})")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"database {path} is read-only: cannot save changes")
    if "unable to open" in text:
        return StoreError(f"cannot open database {path}: check that its folder is writable")
    if _is_busy(exc):
        return StoreError(f"database {path} stayed busy too long; try again")
    return StoreError(f"database {path}: {exc}")


# Peewee binds tables to one database object per process (through `database_proxy`), so every
# Store of one file shares one SqliteDatabase, which keeps a connection per thread.
_OPEN: dict[str, pw.SqliteDatabase] = {}
_LOCK = threading.Lock()


def _database(path: Path) -> pw.SqliteDatabase:
    key = str(path.resolve())
    with _LOCK:
        if key not in _OPEN:
            _OPEN[key] = pw.SqliteDatabase(
                key,
                pragmas=PRAGMAS,
                timeout=BUSY_TIMEOUT_MS / 1000,
                lock_type="IMMEDIATE",
                check_same_thread=False,
            )
        return _OPEN[key]


class Store:
    """One database file. Thread-safe: Peewee keeps one connection per thread.

    A process works with one data dir at a time; opening a Store of another file (tests do)
    points the tables at that file from then on.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            private_folder(self.path.parent)
        except OSError as exc:
            raise StoreError(f"cannot create data folder {self.path.parent}: {exc.strerror}") from None
        self.db = _database(self.path)
        database_proxy.initialize(self.db)
        with self.errors():
            self.db.connect(reuse_if_open=True)
            migrations.migrate(self.db)
        for part in (
            self.path,
            self.path.with_name(self.path.name + "-wal"),
            self.path.with_name(self.path.name + "-shm"),
        ):
            if part.exists():  # SQLite gives -wal and -shm the database file's mode
                keep_private(part)

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Translate SQLite errors raised inside the block into StoreError."""
        try:
            yield
        except (pw.OperationalError, pw.DatabaseError, sqlite3.DatabaseError) as exc:
            raise explain(exc, self.path) from None

    def write(self, fn: Callable[[], T], attempts: int = 5) -> T:
        """Run `fn` in one IMMEDIATE transaction, retrying when the file stays busy."""
        for attempt in range(attempts):
            try:
                with self.db.atomic():
                    return fn()
            except pw.OperationalError as exc:
                if not _is_busy(exc) or attempt == attempts - 1:
                    raise explain(exc, self.path) from None
                time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))  # jitter breaks lockstep
            except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
                raise explain(exc, self.path) from None
        raise AssertionError("unreachable")

    def read(self, fn: Callable[[], T]) -> T:
        """Run a query function, translating errors (reads never wait for writers in WAL)."""
        with self.errors():
            return fn()

    def read_consistent(self, fn: Callable[[], T]) -> T:
        """Run several queries as of one moment: a deferred transaction, whose first read
        fixes the snapshot WAL shows it (writers are neither blocked nor seen meanwhile)."""
        with self.errors():
            if self.db.in_transaction():
                return fn()
            with self.db.transaction("DEFERRED"):
                return fn()

    def data_version(self) -> int:
        """Changes when another connection (any process) has committed since our last look."""
        with self.errors():
            return self.db.execute_sql("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        """Close this thread's connection (other threads and Stores of the file keep theirs)."""
        if not self.db.is_closed():
            self.db.close()
