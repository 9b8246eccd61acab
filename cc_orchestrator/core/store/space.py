"""Giving the file system back the pages that deleted rows leave free.

New databases are made with `auto_vacuum = INCREMENTAL` (a pragma of every connection, see
database.PRAGMAS), so free pages can be returned a few at a time, each step a short write
transaction. A database made before that keeps `auto_vacuum = NONE` until one full `VACUUM`
rewrites it, which holds the write lock for as long as it takes to copy the whole file.
"""

from __future__ import annotations

import dataclasses
import os
import random
import time

from cc_orchestrator.core.store.database import Store, _is_busy, explain

INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL (0 is NONE, 1 FULL)


@dataclasses.dataclass(frozen=True)
class Space:
    page_size: int
    page_count: int
    free_pages: int
    auto_vacuum: int
    file_bytes: int  # the database file itself
    wal_bytes: int  # its write-ahead log beside it

    @property
    def incremental(self) -> bool:
        return self.auto_vacuum == INCREMENTAL


def _bytes(path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def space(store: Store) -> Space:
    """How big the file is and how much of it is free pages."""

    def pragma(name: str) -> int:
        return store.db.execute_sql(f"PRAGMA {name}").fetchone()[0]

    with store.errors():
        values = [pragma(n) for n in ("page_size", "page_count", "freelist_count", "auto_vacuum")]
    wal = store.path.with_name(store.path.name + "-wal")
    return Space(*values, file_bytes=_bytes(store.path), wal_bytes=_bytes(wal))


def _script(store: Store, sql: str, attempts: int = 5) -> None:
    """Run statements with sqlite3's executescript, which steps each one to its end (a plain
    execute of `PRAGMA incremental_vacuum(N)` frees a single page), retrying when busy."""
    conn = store.db.connection()
    for attempt in range(attempts):
        try:
            conn.executescript(sql)
            return
        except Exception as exc:
            if conn.in_transaction:  # the script stopped half way, inside its BEGIN
                conn.execute("ROLLBACK")
            if not _is_busy(exc) or attempt == attempts - 1:
                raise explain(exc, store.path) from None
            time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))


def reclaim(store: Store, pages: int) -> None:
    """Return up to `pages` free pages to the file system in one short write transaction."""
    _script(store, f"BEGIN IMMEDIATE; PRAGMA incremental_vacuum({int(pages)}); COMMIT;")


def vacuum(store: Store) -> None:
    """Rewrite the whole file (and switch it to incremental auto-vacuum): other writers wait."""
    _script(store, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")


def checkpoint(store: Store) -> None:
    """Copy the log into the file without waiting for anyone, so a shrink shows on disk now."""
    with store.errors():
        store.db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
