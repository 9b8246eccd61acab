"""`python -m cc_orchestrator.web [--host H] [--port P]`: the server without the CLI, for tests
and scripts. `cc-orchestrator serve` is the command for users."""

from __future__ import annotations

import argparse
import sys

from cc_orchestrator.errors import OrchestratorError
from cc_orchestrator.web.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cc_orchestrator.web")
    parser.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default: the web_port setting; 0: any)")
    args = parser.parse_args()
    try:
        serve(args.host or "127.0.0.1", args.port, allow_remote=args.host is not None)
    except OrchestratorError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
