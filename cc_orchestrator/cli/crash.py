"""Unexpected failures: one line for the user, the traceback to a log file for a bug report."""

from __future__ import annotations

import traceback
from datetime import datetime


def report(exc: BaseException) -> str:
    from cc_orchestrator.config import paths

    summary = f"unexpected {type(exc).__name__}: {exc}".splitlines()[0][:300]
    try:
        from cc_orchestrator.core.private import private_file

        log = private_file(paths.data_dir() / "logs" / "cli-errors.log")
        with log.open("a") as fh:
            fh.write(f"--- {datetime.now().isoformat()}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return f"{summary} (details in {log})"
    except OSError:
        return summary
