#!/usr/bin/env python3
"""A small interactive stand-in for a coding agent, used by the tests and benchmarks.

It prints a ready prompt, reads lines, works for a while when asked, and asks for permission,
so the orchestrator's services can be exercised end to end without a model.

Lines it understands:
  work SECONDS        print a working line ("... esc to interrupt"), sleep, print "done"
  ask FILE            ask "Do you want to create FILE?" with numbered choices; 1/y creates it
  write FILE [TEXT]   create FILE in the current folder
  exit [STATUS]       exit with STATUS (default 0)
  anything else       echoed back as "received: LINE"
Options: --exit-at-once STATUS, --exit-after SECONDS, --ready-delay SECONDS, --spawn-child (a child process that
must die with the agent), --ignore-term (ignore SIGTERM, to test the KILL escalation).
"""

import argparse
import os
import signal
import subprocess
import sys
import time

PROMPT = "\u276f "  # the same glyph Claude Code's idle prompt starts with


def ask(path: str) -> None:
    print(f"Do you want to create {path}?")
    print("  1. Yes")
    print("  2. No")
    answer = sys.stdin.readline().strip().lower()
    if answer in ("1", "y", "yes"):
        with open(path, "w") as fh:
            fh.write("created by fake agent\n")
        print(f"created {path}")
    else:
        print(f"skipped {path}")


def handle(line: str) -> None:
    words = line.split()
    if not words:
        return
    if words[0] == "work":
        seconds = float(words[1]) if len(words) > 1 else 1.0
        print("* Working... (esc to interrupt)", flush=True)
        time.sleep(seconds)
        print("done")
    elif words[0] == "ask" and len(words) > 1:
        ask(words[1])
    elif words[0] == "write" and len(words) > 1:
        with open(words[1], "w") as fh:
            fh.write(" ".join(words[2:]) + "\n")
        print(f"wrote {words[1]}")
    elif words[0] == "exit":
        sys.exit(int(words[1]) if len(words) > 1 else 0)
    else:
        print(f"received: {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exit-at-once", type=int, default=None)
    parser.add_argument("--exit-after", type=float, default=None, help="exit 0 after SECONDS")
    parser.add_argument("--ready-delay", type=float, default=0.0)
    parser.add_argument("--spawn-child", action="store_true")
    parser.add_argument("--ignore-term", action="store_true")
    args = parser.parse_args()
    if args.exit_at_once is not None:
        sys.exit(args.exit_at_once)
    if args.exit_after is not None:
        time.sleep(args.exit_after)
        sys.exit(0)
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.spawn_child:
        subprocess.Popen(["sleep", "1000"], start_new_session=False)
    time.sleep(args.ready_delay)
    print(f"fake-agent ready in {os.path.basename(os.getcwd())}")
    while True:
        print(PROMPT, end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        handle(line.rstrip("\n"))


if __name__ == "__main__":
    main()
