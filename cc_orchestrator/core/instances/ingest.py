"""Hook spools into the store: agent events become instance states and log lines.

Any process may ingest (the TUI and the server on a watchdog event, a CLI command before it
reads state). Each spool is read from the offset stored with its instance, inside one
IMMEDIATE transaction, so two ingesters never apply the same line twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from cc_orchestrator.core.agents import codex
from cc_orchestrator.core.events import EventLog
from cc_orchestrator.core.instances.status import set_status
from cc_orchestrator.core.models import EventKind, InstanceStatus, Level
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import InstanceRow

TOOL_EVENTS = ("UserPromptSubmit", "PreToolUse", "PostToolUse")
TOKEN_EVENTS = ("PostToolUse", "Stop", "SessionEnd")


def state_for(payload: dict) -> tuple[InstanceStatus, str] | None:
    """The issue's mapping of Claude Code hook events to instance states."""
    event = payload.get("hook_event_name")
    if event in TOOL_EVENTS:
        return InstanceStatus.RUNNING, ""
    if event == "Notification":
        kind = payload.get("notification_type")
        if kind == "permission_prompt":
            return InstanceStatus.WAITING_INPUT, payload.get("message") or "permission requested"
        if kind == "idle_prompt":
            return InstanceStatus.IDLE, ""
        return None
    if event in ("Stop", "SessionStart"):
        return InstanceStatus.IDLE, ""
    # Only a user's own exit: a session ended by a signal ("other": tmux killed, a reboot) is
    # the process's to report, as "session lost", so that `instances recover` resumes it.
    if event == "SessionEnd" and payload.get("reason") in ("prompt_input_exit", "logout"):
        return InstanceStatus.STOPPED, "the agent ended its session"
    return None


def describe(payload: dict) -> str | None:
    """A line for the instance's log, or None for events not worth one."""
    event = payload.get("hook_event_name")
    if event == "UserPromptSubmit":
        return f"prompt: {_short(payload.get('prompt'))}"
    if event == "PreToolUse":
        target = payload.get("tool_input") or {}
        detail = target.get("file_path") or target.get("command") or ""
        return f"tool {payload.get('tool_name')}: {_short(detail)}".rstrip(": ")
    if event == "Notification":
        return f"notification: {payload.get('message')}"
    if event == "Stop":
        return f"turn ended: {_short(payload.get('last_assistant_message'))}"
    if event in ("SessionStart", "SessionEnd"):
        return f"{event} ({payload.get('source') or payload.get('reason') or ''})"
    return None


def _here(row: InstanceRow) -> bool:
    """Whether the instance runs on this machine (its files are ours to read)."""
    return not row.host or row.host == "local"


def _short(text, width: int = 200) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


class SpoolIngester:
    def __init__(
        self, store: Store, events: EventLog, spool_dir: Path, codex_home: Callable[[InstanceRow], Path] | None = None
    ) -> None:
        self.store = store
        self.events = events
        self.spool_dir = Path(spool_dir)
        self.codex_home = codex_home or (lambda row: codex.codex_home({}))

    def mirror(self, instance_id: str) -> Path:
        """Where a remote instance's transcript is copied (`remote_refresh`), byte for byte."""
        return self.spool_dir / "remote" / f"{instance_id}.transcript.jsonl"

    def _transcript(self, row: InstanceRow) -> str | Path:
        """The transcript to count tokens in: the agent's own here, our copy of a remote one."""
        return row.transcript_path if _here(row) else self.mirror(row.id)

    def path(self, instance_id: str, run: int = 0) -> Path:
        """The spool of one run of an instance's agent (a restart is a new run, with a spool of
        its own: the hooks of the run that ended may still write to the old one)."""
        return self.spool_dir / (f"{instance_id}.jsonl" if run == 0 else f"{instance_id}.{run}.jsonl")

    def pending(self) -> list[str]:
        """Instances whose spool has grown past what was ingested (one stat each, one query)."""
        try:
            sizes = {e.name[:-6]: e.stat().st_size for e in os.scandir(self.spool_dir) if e.name.endswith(".jsonl")}
        except FileNotFoundError:
            return []
        if not sizes:
            return []
        ids = list({name.split(".")[0] for name in sizes})
        rows = self.store.read(
            lambda: list(
                InstanceRow.select(InstanceRow.id, InstanceRow.spool_offset, InstanceRow.restarts).where(
                    InstanceRow.id.in_(ids)
                )
            )
        )
        return [r.id for r in rows if sizes.get(self.path(r.id, r.restarts).stem, 0) > r.spool_offset]

    def ingest(self, instance_ids: list[str] | None = None) -> int:
        """Apply every new spool line; returns how many payloads were applied."""
        applied = 0
        for instance_id in instance_ids if instance_ids is not None else self.pending():
            applied += self.store.write(lambda i=instance_id: self._ingest_one(i))
        return applied

    def _ingest_one(self, instance_id: str) -> int:
        row = InstanceRow.get_or_none(InstanceRow.id == instance_id)
        if row is None:
            return 0
        try:
            with self.path(instance_id, row.restarts).open("rb") as fh:
                fh.seek(row.spool_offset)
                chunk = fh.read()
        except FileNotFoundError:
            return 0
        return self._apply_bytes(row, chunk)

    def ingest_chunk(self, instance_id: str, offset: int, chunk: bytes) -> int:
        """Apply bytes read elsewhere (a remote host's spool) from `offset`, inside the caller's
        write transaction; nothing when another process applied them first."""
        row = InstanceRow.get_or_none(InstanceRow.id == instance_id)
        if row is None or row.spool_offset != offset:
            return 0
        return self._apply_bytes(row, chunk)

    def _apply_bytes(self, row: InstanceRow, chunk: bytes) -> int:
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
        if not complete:
            return 0
        count = 0
        for line in complete.splitlines():
            try:
                payload = json.loads(line)
            except ValueError:
                continue
            if isinstance(payload, dict):
                self._apply(row, payload)
                count += 1
        InstanceRow.update(spool_offset=row.spool_offset + len(complete)).where(InstanceRow.id == row.id).execute()
        return count

    def _apply(self, row: InstanceRow, payload: dict) -> None:
        if codex.is_notification(payload):
            self._apply_codex(row, payload)
            return
        if payload.get("session_id") and payload.get("session_id") != row.session_id:
            row.session_id = payload["session_id"]
            InstanceRow.update(session_id=row.session_id).where(InstanceRow.id == row.id).execute()
        if payload.get("transcript_path") and payload["transcript_path"] != row.transcript_path:
            row.transcript_path = payload["transcript_path"]
            InstanceRow.update(transcript_path=row.transcript_path).where(InstanceRow.id == row.id).execute()
        line = describe(payload)
        if line:
            self.events.add(
                EventKind.LOG_MESSAGE,
                line,
                level=Level.INFO,
                instance_id=row.id,
                task_id=row.task_id,
                data={"hook": payload.get("hook_event_name")},
            )
        state = state_for(payload)
        current = InstanceStatus(row.status)
        if state is not None and current.is_live and current is not InstanceStatus.STARTING:
            status, message = state
            if status is not current or (status is InstanceStatus.WAITING_INPUT and message != row.waiting_for):
                waiting = message if status is InstanceStatus.WAITING_INPUT else ""
                set_status(self.events, row, status, "" if waiting else message, waiting_for=waiting, source="hook")
        if payload.get("hook_event_name") in TOKEN_EVENTS and row.transcript_path:
            self._count_tokens(row)

    def _apply_codex(self, row: InstanceRow, payload: dict) -> None:
        """A Codex turn ended: IDLE, and the session it belongs to (not its title side thread)."""
        thread = str(payload.get("thread-id") or "")
        if row.session_id and thread != row.session_id:
            return
        rollout = codex.find_rollout(self.codex_home(row), thread)
        if rollout is None:
            return
        if thread != row.session_id or str(rollout) != row.transcript_path:
            row.session_id, row.transcript_path = thread, str(rollout)
            InstanceRow.update(session_id=thread, transcript_path=str(rollout)).where(
                InstanceRow.id == row.id
            ).execute()
        self.events.add(
            EventKind.LOG_MESSAGE,
            codex.describe(payload),
            level=Level.INFO,
            instance_id=row.id,
            task_id=row.task_id,
            data={"hook": codex.TURN_COMPLETE},
        )
        current = InstanceStatus(row.status)
        if current.is_live and current is not InstanceStatus.STARTING and current is not InstanceStatus.IDLE:
            set_status(self.events, row, InstanceStatus.IDLE, source="hook")
        self._count_tokens(row)

    def recount_transcripts(self, rows: list[InstanceRow]) -> None:
        """Count tokens written after the last hook (Claude Code may write its final reply to the
        transcript after the Stop hook ran): one stat per instance, a read only when it grew."""
        import os

        grown = []
        for row in rows:
            try:
                if row.transcript_path and os.stat(self._transcript(row)).st_size > row.transcript_offset:
                    grown.append(row.id)
            except OSError:
                continue
        for instance_id in grown:
            self.store.write(lambda i=instance_id: self._count_tokens(InstanceRow.get_by_id(i)))

    def _count_tokens(self, row: InstanceRow) -> None:
        from cc_orchestrator.core.agents.transcript import TranscriptUsage, read_usage

        since = TranscriptUsage(row.transcript_offset, row.last_message_id, row.tokens_in, row.tokens_out, row.model)
        reader = codex.read_usage if codex.is_rollout(row.transcript_path) else read_usage
        usage = reader(self._transcript(row), since)
        if usage != since:
            InstanceRow.update(
                transcript_offset=usage.offset,
                last_message_id=usage.last_message_id,
                tokens_in=usage.input_tokens,
                tokens_out=usage.output_tokens,
                model=usage.model,
            ).where(InstanceRow.id == row.id).execute()
            row.tokens_in, row.tokens_out = usage.input_tokens, usage.output_tokens
            row.transcript_offset, row.last_message_id, row.model = usage.offset, usage.last_message_id, usage.model
