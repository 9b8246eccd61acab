"""Growth over weeks: old events, and the files of instances long gone, are deleted.

Events older than `events_keep_days` go, except the newest of each instance and of each task
(every face can still say what last happened to them) and any the integrations' shared cursor
has not passed yet (the dispatcher has still to look at them). Pane logs and hook spools go
when their instance is gone, or stopped that long ago; never while tmux has a session for it.

Deletes run in small batches, each its own short write transaction with a pause after it, so
the other processes on the file never wait long. The pages freed then go back to the file
system a batch at a time (incremental vacuum) once enough are free to be worth moving.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path

from cc_orchestrator.core.events import utcnow
from cc_orchestrator.core.models import InstanceStatus, Level
from cc_orchestrator.core.store import space as store_space
from cc_orchestrator.core.store.tables import CursorRow, InstanceRow
from cc_orchestrator.errors import message_of

BATCH = 2000  # events per write transaction: a few milliseconds of holding the lock
PAUSE = 0.01  # between batches, so other writers get their turn (SQLite's busy wait is unfair)
RECLAIM_PAGES = 1024  # free pages returned per write transaction (4 MB at the usual page size)
WORTH_RECLAIMING = 0.10  # ... once this share of the file is free pages (and at least 1 MB)
CHEAP_VACUUM_BYTES = 16 * 1024 * 1024  # an older file this small is rewritten once, in passing
UNCLAIMED_GRACE = 3600.0  # a file with no instance row is left alone this long after its last write
OURS = re.compile(r"[0-9a-f]{6,32}")  # an instance id: a file named otherwise is not ours to delete
CURSOR = "integrations"  # the dispatcher's shared cursor (core/integrations/dispatch.py)
FIRST_AFTER = 600.0  # a long-lived face prunes this long after it starts (not while the user starts up) ...
EVERY = 3600.0  # ... and then this often


@dataclasses.dataclass(frozen=True)
class PruneReport:
    dry_run: bool
    keep_days: int
    events_removed: int  # (would be, in a dry run)
    events_held: int  # old, but the integrations have not looked at them yet
    files_removed: tuple[str, ...]  # pane logs and hook spools
    file_bytes_removed: int
    database_bytes_before: int
    database_bytes_after: int
    pages_reclaimed: int
    notes: tuple[str, ...] = ()

    @property
    def removed_anything(self) -> bool:
        return bool(self.events_removed or self.files_removed or self.pages_reclaimed)


def prune(orchestrator, *, dry_run: bool = False, vacuum: bool = False, stop: Callable[[], bool] | None = None):
    """Delete what `events_keep_days` says is old (nothing when it is 0); with `vacuum`, then
    rewrite the whole file (which also switches an older database to incremental vacuum).
    `stop` is asked between batches (a face that closes)."""
    stop = stop or (lambda: False)
    store, days = orchestrator.store, orchestrator.settings.events_keep_days
    before = store_space.space(store)
    removed, held, files, freed, reclaimed, notes = 0, 0, [], 0, 0, []
    if days > 0:
        cutoff = utcnow() - timedelta(days=days)
        removed, held = _prune_events(orchestrator.events, store, cutoff, dry_run, stop)
        files, freed, note = _prune_files(orchestrator, cutoff, dry_run)
        notes += [note] if note else []
    if not dry_run and not stop():
        reclaimed, note = _give_back(store, vacuum)
        notes += [note] if note else []
    after = store_space.space(store)
    return PruneReport(
        dry_run=dry_run,
        keep_days=days,
        events_removed=removed,
        events_held=held,
        files_removed=tuple(str(p) for p in files),
        file_bytes_removed=freed,
        database_bytes_before=before.file_bytes,
        database_bytes_after=after.file_bytes,
        pages_reclaimed=reclaimed,
        notes=tuple(notes),
    )


def _prune_events(events, store, cutoff, dry_run: bool, stop: Callable[[], bool]) -> tuple[int, int]:
    """(removed, held back for the integrations' cursor)."""

    def positions() -> tuple[int, int]:
        row = CursorRow.get_or_none(CursorRow.name == CURSOR)
        return (row.value if row is not None else None), events.latest_id()

    cursor, newest = store.read(positions)
    up_to = newest if cursor is None else min(cursor, newest)  # no cursor: nothing will be replayed
    keep = events.latest_of_each()  # newer events only make more of the old ones prunable
    removed, after = 0, 0
    while not stop():
        ids, done = events.older_than(cutoff, after, up_to, BATCH)
        if ids:
            after = ids[-1]
            doomed = [i for i in ids if i not in keep]
            removed += len(doomed) if dry_run else events.delete(doomed)
        if done:
            break
        if not dry_run:
            time.sleep(PAUSE)
    held, after, done = 0, up_to, up_to >= newest
    while not done and not stop():
        ids, done = events.older_than(cutoff, after, newest, BATCH)
        held, after = held + sum(i not in keep for i in ids), ids[-1] if ids else after
    return removed, held


def _prune_files(orchestrator, cutoff, dry_run: bool) -> tuple[list[Path], int, str]:
    """Pane logs, hook spools and check-run logs of instances gone, or stopped before `cutoff`;
    the merge queue's check logs older than it."""
    logs = orchestrator.instances.logs.files()  # the files first: a row is made before its files
    spools = _spools(orchestrator.instances.ingester.spool_dir)
    for owner, paths in _spools(orchestrator.instances.ingester.spool_dir / "remote").items():
        spools.setdefault(owner, []).extend(paths)  # remote transcripts copied here
    checks, merges = _check_logs(orchestrator.instances.logs.logs_dir / "checks")
    for owner, paths in checks.items():
        logs.setdefault(owner, []).extend(paths)
    try:
        sessions = set(orchestrator.tmux.panes())
    except Exception as exc:  # without tmux's word, no file is known to be unused
        return [], 0, f"pane logs and hook spools left alone: {getattr(exc, 'message', exc)}"
    from cc_orchestrator.core.tmux.service import session_name

    rows = orchestrator.store.read(
        lambda: {
            r.id: (r.status, r.last_activity)
            for r in InstanceRow.select(InstanceRow.id, InstanceRow.status, InstanceRow.last_activity)
        }
    )
    removed: list[Path] = []
    freed = 0
    now = time.time()
    for owner in sorted(set(logs) | set(spools)):
        if not OURS.fullmatch(owner) or session_name(owner) in sessions:
            continue
        row = rows.get(owner)
        if row is not None and (InstanceStatus(row[0]).is_live or row[1] >= cutoff):
            continue
        # without a row, a start in another process may not have committed it yet
        newer_than = now - UNCLAIMED_GRACE if row is None else None
        for path in logs.get(owner, []) + spools.get(owner, []):
            freed += _remove(path, newer_than, dry_run, removed)
    oldest = cutoff.timestamp() if cutoff.tzinfo else cutoff.replace(tzinfo=UTC).timestamp()
    for path in merges:
        freed += _remove(path, oldest, dry_run, removed)
    return removed, freed, ""


def _remove(path: Path, kept_from: float | None, dry_run: bool, removed: list[Path]) -> int:
    """Remove `path` unless it changed at or after `kept_from`; the bytes freed."""
    try:
        stat = path.stat()
        if kept_from is not None and stat.st_mtime >= kept_from:
            return 0
        if not dry_run:
            path.unlink()
    except FileNotFoundError:
        return 0
    removed.append(path)
    return stat.st_size


def _check_logs(folder: Path) -> tuple[dict[str, list[Path]], list[Path]]:
    """The review gate's run logs (`ID-RUN.log`, `ID-RUN.status`) by instance, and the merge
    queue's (`merge-...`), which belong to no instance."""
    by_instance: dict[str, list[Path]] = {}
    merges: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return by_instance, merges
    for entry in entries:
        if not entry.is_file():
            continue
        owner = entry.name.split("-")[0]
        if owner == "merge":
            merges.append(Path(entry.path))
        else:
            by_instance.setdefault(owner, []).append(Path(entry.path))
    return by_instance, merges


def _spools(folder: Path) -> dict[str, list[Path]]:
    """Hook spools (`ID.jsonl`, `ID.RUN.jsonl`) by instance; tmux's events file is not one."""
    found: dict[str, list[Path]] = {}
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.name.endswith(".jsonl") and entry.is_file():
            found.setdefault(entry.name.split(".")[0], []).append(Path(entry.path))
    return found


def _give_back(store, vacuum: bool) -> tuple[int, str]:
    """Return free pages to the file system; (pages returned, a note for the user)."""
    now = store_space.space(store)
    if vacuum or (not now.incremental and now.file_bytes <= CHEAP_VACUUM_BYTES):
        store_space.vacuum(store)
        after = store_space.space(store)
        return max(0, now.page_count - after.page_count), "" if vacuum else "switched to incremental vacuum"
    if not now.incremental:
        return 0, (
            "this database was made before incremental vacuum, so its free pages stay in the file; "
            "`cco maintenance prune --vacuum` rewrites it once (other processes wait meanwhile)"
        )
    worth = now.free_pages * now.page_size >= 1024 * 1024 and now.free_pages >= now.page_count * WORTH_RECLAIMING
    if not worth:
        return 0, ""
    reclaimed, free = 0, now.free_pages
    while free > 0:
        store_space.reclaim(store, RECLAIM_PAGES)
        left = store_space.space(store).free_pages
        if left >= free:  # others are freeing pages as fast: enough for now
            break
        reclaimed, free = reclaimed + free - left, left
        time.sleep(PAUSE)
    store_space.checkpoint(store)
    return reclaimed, ""


class Pruner:
    """`prune` in the background of a long-lived face (`Live`'s sweep calls `kick`): once
    FIRST_AFTER seconds after start, then every EVERY seconds, on a thread of its own."""

    def __init__(self, orchestrator, first_after: float = FIRST_AFTER, every: float = EVERY) -> None:
        self.orch = orchestrator
        self.every = every
        self.last: PruneReport | None = None
        self._next = time.monotonic() + first_after
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        if self._stopped.is_set() or time.monotonic() < self._next:
            return
        if self._thread is not None and self._thread.is_alive():
            return
        self._next = time.monotonic() + self.every
        self._thread = threading.Thread(target=self._run, name="cco-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        try:
            self.last = report = prune(self.orch, stop=self._stopped.is_set)
            if report.removed_anything:
                self.orch.events.log(describe(report))
        except Exception as exc:  # a failed prune must not end the face; it says so, and tries next time
            self.orch.events.log(f"pruning old events failed: {message_of(exc)}", level=Level.WARNING)
        finally:
            self.orch.store.close()  # this thread's connection


def describe(report: PruneReport) -> str:
    """One line for the events log and the command line."""
    verb = "would remove" if report.dry_run else "removed"
    text = (
        f"{verb} {report.events_removed} events older than {report.keep_days} days"
        f" and {len(report.files_removed)} files of instances gone ({_mb(report.file_bytes_removed)})"
    )
    if not report.dry_run:
        text += f"; database {_mb(report.database_bytes_before)} -> {_mb(report.database_bytes_after)}"
    return text


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
