"""What tmux lists about our sessions and panes: the formats asked for, and their lines read
into plain objects (one `list-panes -a` call for every pane, never session by session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cc_orchestrator.core.models import TmuxSession

SESSION_PREFIX = "cc-orchestrator-"
ROLE_OPTION = "@cco-role"
MARKER_OPTION = "@cco-marker"
SEP = "\x1f"
PANE_FORMAT = SEP.join(
    [
        "#{session_name}",
        "#{pane_id}",
        "#{pane_pid}",
        "#{pane_dead}",
        "#{pane_dead_status}",
        "#{pane_dead_signal}",
        "#{window_activity}",
        "#{" + ROLE_OPTION + "}",
        "#{" + MARKER_OPTION + "}",
        "#{pane_current_path}",  # last: a folder's name may hold anything, SEP included
    ]
)
SESSION_FORMAT = SEP.join(
    [
        "#{session_name}",
        "#{session_windows}",
        "#{session_attached}",
        "#{session_created}",
        "#{" + MARKER_OPTION + "}",
    ]
)
NO_SERVER = (
    "no server running",
    "error connecting to",
    "no sessions",
    "server exited unexpectedly",
    "lost server",
    # A server whose last session was just killed answers `list-panes -a` this way while it exits.
    "no current target",
)


@dataclass(frozen=True)
class PaneState:
    """The agent pane of one of our sessions, as tmux sees it now."""

    session: str
    pane_id: str
    pid: int | None
    dead: bool
    exit_status: int | None
    exit_signal: int | None
    activity: float  # epoch seconds of the window's last output
    folder: str = ""  # where the agent works (its foreground process's current folder)


def session_name(instance_id: str) -> str:
    return f"{SESSION_PREFIX}{instance_id}"


def instance_id_of(name: str) -> str | None:
    return name[len(SESSION_PREFIX) :] if name.startswith(SESSION_PREFIX) else None


def _int(text: str) -> int | None:
    return int(text) if text.strip().lstrip("-").isdigit() else None


def no_server(stderr: list[str]) -> bool:
    """Whether tmux failed only because no server (or no session) is there to list."""
    return any(s in " ".join(stderr) for s in NO_SERVER)


def read_panes(lines: list[str], marker: str) -> dict[str, PaneState]:
    """The agent panes of our sessions (name prefix, and our marker) among `PANE_FORMAT` lines."""
    panes: dict[str, PaneState] = {}
    for line in lines:
        fields = line.split(SEP, 9)
        if len(fields) != 10:
            continue
        name, pane_id, pid, dead, status, signal, activity, role, found_marker, folder = fields
        if role != "agent" or found_marker != marker or not name.startswith(SESSION_PREFIX):
            continue
        panes[name] = PaneState(
            session=name,
            pane_id=pane_id,
            pid=_int(pid),
            dead=dead == "1",
            exit_status=_int(status),
            exit_signal=_int(signal),
            activity=float(activity or 0),
            folder=folder,
        )
    return panes


def read_sessions(lines: list[str], marker: str, live_instance_ids: set[str] | None) -> list[TmuxSession]:
    """Every session among `SESSION_FORMAT` lines, marked ours or not, and orphan when ours but
    not among `live_instance_ids`."""
    found = []
    for line in lines:
        fields = line.split(SEP)
        if len(fields) != 5:
            continue
        name, windows, attached, created, found_marker = fields
        ours = name.startswith(SESSION_PREFIX) and found_marker == marker
        instance_id = instance_id_of(name) if ours else None
        orphan = ours and live_instance_ids is not None and instance_id not in live_instance_ids
        found.append(
            TmuxSession(
                name=name,
                instance_id=instance_id,
                windows=int(windows or 0),
                attached=(attached or "0") != "0",
                created_at=datetime.fromtimestamp(int(created), UTC) if created else None,
                ours=ours,
                orphan=orphan,
            )
        )
    return found
