"""The files whose changes drive `Live`, watched with watchdog (inotify on Linux).

One observer, three folders: the hook spools (and tmux's events file beside them), the agents'
pane logs, and the database's folder (its WAL file changes on every commit of any process).
The handlers only post what changed to `Live`'s signals; all work happens on its thread.
"""

from __future__ import annotations

from pathlib import Path

from cc_orchestrator.core.private import private_folder
from cc_orchestrator.core.tmux.service import EVENTS_FILE


def spool_owner(path: Path) -> str | None:
    """The instance a spool file belongs to (`abc123.jsonl`, `abc123.2.jsonl`), if any."""
    if path.suffix != ".jsonl":
        return None
    return path.name.split(".")[0] or None


def watch(spools: Path, pane_logs: Path, database: Path, signals):
    """Start watching; returns the running observer (stop and join it)."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    wal = database.name + "-wal"

    class Spools(FileSystemEventHandler):
        def on_modified(self, event) -> None:
            path = Path(str(event.src_path))
            if path.name == EVENTS_FILE:
                signals.tmux_event()
            elif (owner := spool_owner(path)) is not None:
                signals.hook(owner)

        on_created = on_modified

    class PaneLogs(FileSystemEventHandler):
        def on_modified(self, event) -> None:
            path = Path(str(event.src_path))
            if path.suffix == ".log":
                signals.output(path.stem)

    class Database(FileSystemEventHandler):
        def on_modified(self, event) -> None:
            if Path(str(event.src_path)).name == wal:
                signals.store_changed()

    for folder in (spools, pane_logs):
        private_folder(folder)
    observer = Observer()
    observer.schedule(Spools(), str(spools), recursive=False)
    observer.schedule(PaneLogs(), str(pane_logs), recursive=False)
    observer.schedule(Database(), str(database.parent), recursive=False)
    observer.daemon = True
    observer.start()
    return observer
