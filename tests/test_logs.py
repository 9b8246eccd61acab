"""Pane logs: ANSI stripping, copy-truncate rotation, tail and follow, and a real pipe-pane."""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path

import pytest

from cc_orchestrator.core.ansi import display_lines, strip_ansi
from cc_orchestrator.core.logs import PaneLogs
from tests.helpers import retry_until, tmux


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("\x1b[31mred\x1b[0m plain", "red plain"),
        ("\x1b[1;38;5;208mbold\x1b[m", "bold"),
        ("\x1b[?2004h\x1b[?25lprompt\x1b[?25h", "prompt"),
        ("\x1b[2J\x1b[H\x1b[10;20Hmoved\x1b[K", "moved"),
        ("\x1b]0;my title\x07after", "after"),
        ("\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1b(Bcharset\x1b)0", "charset"),
        ("\x1b=keypad\x1b>", "keypad"),
        ("\x1b7saved\x1b8\x1bM", "saved"),
        ("\x1bP1$r0m\x1b\\dcs", "dcs"),
        ("bell\x07 back\x08 nul\x00 del\x7f", "bell back nul del"),
        ("tab\tkept\nnewline kept", "tab\tkept\nnewline kept"),
        ("progress 10%\rprogress 20%", "progress 20%"),
        ("line one\r\nline two\r\n", "line one\nline two\n"),
        ("a\rb\rc\r\nnext", "c\nnext"),
        ("overwritten\r", "overwritten"),
        ("lone escape \x1b", "lone escape "),
    ],
)
def test_strip_ansi(raw, plain):
    assert strip_ansi(raw) == plain


def test_display_lines_trims_and_collapses_blank_runs():
    raw = "\x1b[32mone\x1b[0m   \r\n" + "\r\n" * 6 + "two\t\n\n\nthree\n"
    assert display_lines(raw) == ["one", "", "", "two", "", "", "three"]
    assert display_lines("") == []
    assert display_lines("no newline") == ["no newline"]


def test_pipe_command_quotes_the_path_and_creates_the_folder(tmp_path):
    folder = tmp_path / "it's logs"
    logs = PaneLogs(folder)
    command = logs.pipe_command("abc")
    assert command == "cat >> " + shlex.quote(str(folder / "abc.log"))
    assert shlex.split(command) == ["cat", ">>", str(logs.path("abc"))]
    assert folder.is_dir()


def test_tail_of_a_real_pane_shows_plain_text(tmp_path, tmux_socket):
    logs = PaneLogs(tmp_path / "logs")
    script = r'sleep 0.5; printf "\033[31mred\033[0m\n"; echo plain; sleep 30'
    tmux(tmux_socket, "new-session", "-d", "-s", "agent", "-x", "80", "-y", "20", "sh", "-c", script)
    tmux(tmux_socket, "pipe-pane", "-o", "-t", "=agent:", logs.pipe_command("i1"))
    shown = retry_until(lambda: (lines := logs.tail("i1")) and "plain" in lines and lines)
    assert "red" in shown
    assert not any("\x1b" in line for line in shown)


def _write(path: Path, text: str) -> None:
    with open(path, "a") as fh:
        fh.write(text)


def test_rotate_caps_size_shifts_backups_and_the_writer_keeps_appending(tmp_path):
    logs = PaneLogs(tmp_path, max_bytes=100, backups=2)
    log = logs.path("i1")
    writer = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)  # as `cat >>` holds it
    try:
        assert logs.rotate("i1") is False
        for generation in "abc":
            os.write(writer, (generation * 20 + "\n").encode() * 6)
            assert logs.rotate("i1") is True
            assert log.stat().st_size == 0
        os.write(writer, b"after\n")
    finally:
        os.close(writer)
    assert log.read_text() == "after\n"  # no hole of NULs: O_APPEND writes at the new end
    assert Path(f"{log}.1").read_text().startswith("c" * 20)
    assert Path(f"{log}.2").read_text().startswith("b" * 20)
    assert not Path(f"{log}.3").exists()
    assert logs.rotate("i1") is False  # under the cap
    assert logs.rotate("missing") is False


def test_rotate_all_counts_rotated_logs(tmp_path):
    logs = PaneLogs(tmp_path / "logs", max_bytes=10)
    assert logs.rotate_all() == 0  # no folder yet
    logs.pipe_command("x")  # makes the folder, and x's (empty, private) log
    _write(logs.path("big"), "x" * 50 + "\n")
    _write(logs.path("small"), "ok\n")
    assert logs.rotate_all() == 1
    logs.remove("big")
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["small.log", "x.log"]


def test_tail_reads_the_end_and_reaches_into_the_backup(tmp_path):
    logs = PaneLogs(tmp_path, max_bytes=1000)
    _write(logs.path("i1"), "".join(f"\x1b[1mline {n}\x1b[0m\n" for n in range(20_000)))
    assert logs.tail("i1", 3) == ["line 19997", "line 19998", "line 19999"]
    assert logs.rotate("i1")
    _write(logs.path("i1"), "fresh 1\nfresh 2\n")
    assert logs.tail("i1", 4) == ["line 19998", "line 19999", "fresh 1", "fresh 2"]
    assert logs.tail("i1", 2) == ["fresh 1", "fresh 2"]
    assert logs.tail("missing") == []


def test_follow_yields_new_lines_and_survives_rotation(tmp_path):
    logs = PaneLogs(tmp_path, max_bytes=10)
    log = logs.path("i1")
    _write(log, "old line\n")
    deadline = time.monotonic() + 10
    batches = logs.follow("i1", poll=0.01, stop=lambda: time.monotonic() > deadline)
    _write(log, "\x1b[33mfirst\x1b[0m\nsecond\nhalf")
    assert next(batches) == ["first", "second"]  # not the old line, not the partial one
    _write(log, " done\n")
    assert next(batches) == ["half done"]
    _write(log, "before rotation\n")
    assert logs.rotate("i1")  # written since the last poll: now only in the backup
    _write(log, "after\n")
    assert next(batches) == ["before rotation", "after"]
    _write(log, "more\n")
    assert next(batches) == ["more"]


def test_follow_ends_when_stop_says_so(tmp_path):
    logs = PaneLogs(tmp_path)
    assert list(logs.follow("none", poll=0.01, stop=lambda: True)) == []
