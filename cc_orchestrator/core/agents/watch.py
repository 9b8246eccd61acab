"""Watching hook spools with watchdog, so a hook's event reaches the store in milliseconds.

The TUI and the server run one watcher; a CLI command instead ingests what is pending before
it reads state. The callback runs on watchdog's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path


class SpoolWatcher:
    def __init__(self, ingester, on_change: Callable[[list[str]], None] | None = None) -> None:
        self.ingester = ingester
        self.on_change = on_change
        self._observer = None
        self._lock = threading.Lock()

    def start(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                path = Path(str(event.src_path))
                if path.suffix == ".jsonl" and not event.is_directory:
                    watcher.changed(path.stem)

        spool = Path(self.ingester.spool_dir)
        spool.mkdir(parents=True, exist_ok=True)
        self._observer = Observer()
        self._observer.schedule(Handler(), str(spool), recursive=False)
        self._observer.daemon = True
        self._observer.start()

    def changed(self, instance_id: str) -> None:
        with self._lock:  # one ingest at a time in this process; the store serialises processes
            if self.ingester.ingest([instance_id]) and self.on_change is not None:
                self.on_change([instance_id])

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
