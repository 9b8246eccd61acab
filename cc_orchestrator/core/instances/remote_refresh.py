"""The remote half of a refresh: each host's batch (one round trip, `hosts/batch.py`), then what
it brought applied here: new hook spool lines ingested as local ones are, new pane output
appended to the instance's log here (so `logs`, the TUI's log pane and the web's follow it as
they follow a local agent), and the panes handed to the refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cc_orchestrator.core.hosts.batch import Batch
from cc_orchestrator.core.private import private_file
from cc_orchestrator.core.store.tables import InstanceRow
from cc_orchestrator.core.tmux.service import PaneState

if TYPE_CHECKING:
    from cc_orchestrator.core.instances.service import InstanceService


def poll(service: InstanceService, rows: list[InstanceRow]) -> tuple[dict[str, PaneState], set[str]]:
    """The panes of the hosts that answered, and their names."""
    wanted: dict[str, list[tuple[str, str, int | str, int]]] = {}
    for row in rows:
        files = wanted.setdefault(row.host, [])
        if row.transcript_path:  # before the spool: a Stop hook then counts this batch's tokens
            mirror = service.ingester.mirror(row.id)
            files.append(("transcript", row.id, row.transcript_path, mirror.stat().st_size if mirror.exists() else 0))
        files.append(("spool", row.id, row.restarts, row.spool_offset))
        files.append(("log", row.id, 0, row.log_offset))
    answers = service.fleet.poll(wanted)
    if any(a.chunks for a in answers.values()):
        service.store.write(lambda: _apply(service, answers))
    panes: dict[str, PaneState] = {}
    for answer in answers.values():
        panes.update(answer.panes)
    return panes, set(answers)


def _apply(service: InstanceService, answers: dict[str, Batch]) -> None:
    for answer in answers.values():
        for chunk in answer.chunks:
            if chunk.kind == "spool":
                service.ingester.ingest_chunk(chunk.instance_id, chunk.offset, chunk.data)
            elif chunk.kind == "log":
                _append_log(service, chunk.instance_id, chunk.offset, chunk.data)
            elif chunk.kind == "transcript":
                _mirror(service.ingester.mirror(chunk.instance_id), chunk.offset, chunk.data)


def _mirror(path, offset: int, data: bytes) -> None:
    """A remote transcript copied here byte for byte (so its offsets are the remote file's),
    where the token counter reads it."""
    private_file(path)
    with path.open("ab") as copy:
        if copy.tell() == offset:
            copy.write(data)


def _append_log(service: InstanceService, instance_id: str, offset: int, data: bytes) -> None:
    """Output the agent wrote there, added to its log here once (the offset says where we are)."""
    row = InstanceRow.get_or_none(InstanceRow.id == instance_id)
    if row is None or row.log_offset != offset:
        return
    path = service.logs.path(instance_id)
    private_file(path)
    with path.open("ab") as log:
        log.write(data)
    InstanceRow.update(log_offset=offset + len(data)).where(InstanceRow.id == instance_id).execute()
