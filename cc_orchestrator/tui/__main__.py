"""`python -m cc_orchestrator.tui [--repo PATH]`: the dashboard without the CLI in front."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from cc_orchestrator.errors import OrchestratorError
    from cc_orchestrator.tui.app import run

    parser = argparse.ArgumentParser(prog="python -m cc_orchestrator.tui")
    parser.add_argument("--repo", help="the git repository new instances start in")
    args = parser.parse_args(argv)
    try:
        run(args.repo)
    except OrchestratorError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
