"""The review gate in the TUI's words: a card's badge and tone, a check run's line, what the
task and instance detail views say about a task's runs."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cc_orchestrator.core.models import CheckRun, ChecksState, CheckStatus, Task, TaskStatus
from cc_orchestrator.tui import humanize

# a task's checks state on its card: words and style (single-width glyphs, not emoji)
BADGES = {
    ChecksState.RUNNING: ("⟳ checking", "cyan"),
    ChecksState.PASSED: ("✓ checks", "green"),
    ChecksState.FAILED: ("✗ checks failed", "bold yellow"),
    ChecksState.GAVE_UP: ("✗ checks gave up", "bold red"),
    ChecksState.NO_CHECKS: ("no checks", "dim"),
}
# a card's colour, as a component class of its column (the styles are in app.tcss)
TONES = {
    ChecksState.FAILED: "task-column--checks-failed",
    ChecksState.GAVE_UP: "task-column--checks-gave-up",
}
RUNS = {
    CheckStatus.RUNNING: ("running", "cyan"),
    CheckStatus.PASSED: ("passed", "green"),
    CheckStatus.FAILED: ("failed", "bold red"),
    CheckStatus.TIMED_OUT: ("timed out", "bold red"),
    CheckStatus.INTERRUPTED: ("interrupted", "yellow"),
}
FAILED = (CheckStatus.FAILED, CheckStatus.TIMED_OUT)


def badge(task: Task) -> tuple[str, str] | None:
    """The card's checks badge; a done task shows only a failure (every other one passed)."""
    if task.status is TaskStatus.DONE and task.checks not in TONES:
        return None
    return BADGES.get(task.checks)


def tone(task: Task) -> str | None:
    """The component class that colours the whole card: amber while the agent fixes a failure,
    red once the gate gave up and a person decides."""
    return TONES.get(task.checks)


def run_status(run: CheckRun) -> Text:
    words, style = RUNS[run.status]
    return Text.styled(words, style)


def run_line(run: CheckRun, now: datetime) -> Text:
    """ "#12  14:02:11 (3m ago)  failed     exit 1     12.3 s  gate": one run, aligned."""
    words, style = RUNS[run.status]
    exit_code = "-" if run.exit_code is None else str(run.exit_code)
    seconds = "-" if run.seconds is None else f"{run.seconds:.1f} s"
    return Text.assemble(
        (f"#{run.id:<4} ", "dim"),
        f"{humanize.clock_time(run.started_at, now)} ",
        (f"({humanize.ago(run.started_at, now)} ago)".ljust(10), "dim"),
        (f"{words:<12}", style),
        f"exit {exit_code:<4} ",
        f"{seconds:>9}  ",
        (run.purpose, "dim"),
    )


def newest_failure(runs: list[CheckRun]) -> CheckRun | None:
    return next((r for r in reversed(runs) if r.status in FAILED), None)


def latest_line(run: CheckRun, now: datetime) -> Text:
    """The instance view's line on its task's latest run, and where to watch the checks."""
    text = Text()
    text.append_text(run_status(run))
    text.append(f" {humanize.ago(run.started_at, now)} ago: {run.command}")
    if run.exit_code is not None:
        text.append(f", exit {run.exit_code}")
    if run.seconds is not None:
        text.append(f", {run.seconds:.1f} s")
    text.append("  (Enter jumps in: the checks run in the session's `checks` window)", "dim")
    return text
