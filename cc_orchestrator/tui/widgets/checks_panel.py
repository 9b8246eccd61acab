"""A task's checks in its detail view: which command checks it and where that came from, each
run on record, and the last lines of the newest failure with the path of its whole log."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from cc_orchestrator.core.models import CheckRun
from cc_orchestrator.tui.checks import newest_failure, run_line


class ChecksPanel(Vertical):
    def __init__(self) -> None:
        super().__init__(id="task-checks")
        self.border_title = "Checks"
        self.runs: list[CheckRun] = []

    def compose(self) -> ComposeResult:
        yield Static("(reading)", id="checks-runs")
        tail = RichLog(id="checks-tail", wrap=False, max_lines=200)
        tail.display = False
        yield tail

    def show(self, command: str, runs: list[CheckRun], now: datetime) -> None:
        """`command`: what checks the task and where it came from (`Checks.describe()`)."""
        self.runs = runs
        text = Text.assemble(("command ", "dim"), command, "\n")
        for run in reversed(runs):  # newest first
            text.append_text(run_line(run, now))
            text.append("\n")
        if not runs:
            text.append("no runs yet: the gate runs the checks when an agent's turn ends with new work\n", "dim")
        failure = newest_failure(runs)
        if failure is not None:
            text.append(
                f"\nthe last lines of run #{failure.id}, the newest failure (whole log: {failure.log_path}):", "dim"
            )
        text.rstrip()
        self.query_one("#checks-runs", Static).update(text)
        tail = self.query_one("#checks-tail", RichLog)
        tail.clear()
        tail.display = failure is not None
        if failure is not None:
            tail.write(Text(failure.tail or "(no output)", no_wrap=True))
            tail.scroll_end(animate=False)
