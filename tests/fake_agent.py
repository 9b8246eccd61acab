#!/usr/bin/env python3
"""A small interactive stand-in for a coding agent, used by the tests and benchmarks.

It prints a ready prompt, reads lines, works for a while when asked, and asks for permission,
so the orchestrator's services can be exercised end to end without a model.

Lines it understands:
  work SECONDS        print a working line ("... esc to interrupt"), sleep, print "done"
  ask FILE            ask "Do you want to create FILE?" with numbered choices; 1/y creates it
  choose FILE [STYLE] the same question as a menu read with arrow keys and Enter, the cursor
                      starting on "No" (as Claude Code 2.1.332's trust dialog does); STYLE is
                      marker (❯, no numbers; digits ignored), highlight (reverse video only),
                      numbered (❯ and 1. 2. 3.), or stuck (ignores every key)
  write FILE [TEXT]   create FILE in the current folder
  commit MESSAGE      commit everything in the current folder (git add -A; git commit)
  The checks failed…  (the review gate's prompt) do what --on-checks-failed says, if anything
  exit [STATUS]       exit with STATUS (default 0)
  anything else       echoed back as "received: LINE"
Options: --prompt TEXT (the ready prompt, default "❯ "), --startup-choose FILE (a dialog before the first prompt),
--resume SESSION, --exit-at-once STATUS, --exit-after SECONDS,
--ready-delay SECONDS, --read-delay SECONDS (a pause between showing the prompt and reading
the line, as a slow REPL makes; nothing on the screen changes when it starts reading),
--on-checks-failed "LINE; LINE" (what a failure prompt makes it do), --one-turn (lines that
arrive together, as a pasted prompt does, are one turn: no prompt between them),
--spawn-child (a child process that must die with the agent), --ignore-term
(ignore SIGTERM, to test the KILL escalation).
"""

import argparse
import os
import select
import signal
import subprocess
import sys
import termios
import time
import tty

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


CHOICES = ["Yes, create it", "Yes, and don't ask again", "No, skip it"]
KEYS = {b"\x1b[A": -1, b"\x1bOA": -1, b"\x1b[B": 1, b"\x1bOB": 1}


def draw(cursor: int, style: str, redraw: bool) -> None:
    if redraw:
        sys.stdout.write(f"\x1b[{len(CHOICES)}A")
    for index, label in enumerate(CHOICES):
        chosen = index == cursor
        if style == "highlight":
            line = f"  \x1b[7m{label}\x1b[0m" if chosen else f"  {label}"
        elif style == "numbered":
            line = f"{'❯' if chosen else ' '} {index + 1}. {label}"
        else:
            line = f"{'❯' if chosen else ' '} {label}"
        sys.stdout.write("\r\x1b[2K" + line + "\n")
    sys.stdout.flush()


def choose(path: str, style: str = "marker") -> None:
    """A menu like Claude Code's: arrows move, Enter confirms, then the menu leaves the screen."""
    print(f"Do you want to create {path}?")
    cursor = len(CHOICES) - 1
    draw(cursor, style, redraw=False)
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        while True:
            key = os.read(fd, 16)
            if style == "stuck":
                continue
            if key in KEYS:
                cursor = max(0, min(len(CHOICES) - 1, cursor + KEYS[key]))
            elif style == "numbered" and key.strip().isdigit() and 1 <= int(key.strip()) <= len(CHOICES):
                cursor = int(key.strip()) - 1
                break
            elif key in (b"\r", b"\n"):
                break
            draw(cursor, style, redraw=True)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    sys.stdout.write(f"\x1b[{len(CHOICES) + 1}A\x1b[J")  # the dialog leaves the screen
    if CHOICES[cursor].startswith("Yes"):
        with open(path, "w") as fh:
            fh.write(f"created by fake agent ({CHOICES[cursor]})\n")
        print(f"created {path}")
    else:
        print(f"skipped {path}")


ON_CHECKS_FAILED: list[str] = []


def handle(line: str) -> None:
    words = line.split()
    if not words:
        return
    if line.startswith("The checks failed"):
        print("fixing what the checks found", flush=True)
        for action in ON_CHECKS_FAILED:
            handle(action)
        return
    if words[0] == "work":
        seconds = float(words[1]) if len(words) > 1 else 1.0
        print("* Working... (esc to interrupt)", flush=True)
        time.sleep(seconds)
        print("done")
    elif words[0] == "ask" and len(words) > 1:
        ask(words[1])
    elif words[0] == "choose" and len(words) > 1:
        choose(words[1], *words[2:3])
    elif words[0] == "write" and len(words) > 1:
        with open(words[1], "w") as fh:
            fh.write(" ".join(words[2:]) + "\n")
        print(f"wrote {words[1]}")
    elif words[0] == "commit" and len(words) > 1:
        identity = ["-c", "user.name=Fake Agent", "-c", "user.email=fake@agent.invalid"]
        subprocess.run(["git", "add", "-A"], check=True)
        subprocess.run(["git", *identity, "commit", "-q", "-m", " ".join(words[1:])], check=True)
        print(f"committed: {' '.join(words[1:])}")
    elif words[0] == "exit":
        sys.exit(int(words[1]) if len(words) > 1 else 0)
    else:
        print(f"received: {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", default=PROMPT)
    parser.add_argument("--startup-choose", metavar="FILE", help="ask `choose FILE` before the first prompt")
    parser.add_argument("--resume", metavar="SESSION", help="say which session it resumes")
    parser.add_argument("--exit-at-once", type=int, default=None)
    parser.add_argument("--exit-after", type=float, default=None, help="exit 0 after SECONDS")
    parser.add_argument("--ready-delay", type=float, default=0.0)
    parser.add_argument("--read-delay", type=float, default=0.0)
    parser.add_argument("--spawn-child", action="store_true")
    parser.add_argument("--ignore-term", action="store_true")
    parser.add_argument("--on-checks-failed", default="")
    parser.add_argument("--one-turn", action="store_true")
    args = parser.parse_args()
    ON_CHECKS_FAILED[:] = [a.strip() for a in args.on_checks_failed.split(";") if a.strip()]
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
    if args.resume:
        print(f"resuming session {args.resume}")
    if args.startup_choose:
        choose(args.startup_choose)
    print(f"fake-agent ready in {os.path.basename(os.getcwd())}")
    more = False
    while True:
        if not more:
            print(args.prompt, end="", flush=True)
            time.sleep(args.read_delay)
        line = sys.stdin.readline()
        if not line:
            break
        handle(line.rstrip("\n"))
        sys.stdout.flush()
        more = args.one_turn and bool(select.select([sys.stdin], [], [], 0.3)[0])


if __name__ == "__main__":
    main()
