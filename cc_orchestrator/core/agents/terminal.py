"""Is the agent waiting for a line of input? The kernel knows, without any screen pattern.

A program at a line prompt (`read`, `input()`, most REPLs) is blocked in `read()` on its
terminal, or, with a line editor such as readline, waits for the terminal alone in `select`.
/proc tells us exactly that: the terminal's foreground process group (`tpgid` in
/proc/PID/stat), and for each process of that group the system call it is blocked in
(/proc/PID/syscall: its number and first argument, a file descriptor or a count) and what
that descriptor is (/proc/PID/fd/N). Where /proc/PID/syscall may not be read (Yama's
ptrace_scope=1 hides it from other processes of the same user), the kernel function it sleeps
in (/proc/PID/wchan) is the fallback; that one is ambiguous (a socket read sleeps in
`wait_woken` too), so a process that holds a socket then counts as "cannot tell".

Full-screen TUIs (Claude Code, Codex) wait on the terminal and on their own timers and
sockets together, whether they are working or idle: for them this never says "reading", and
patterns and hooks decide.
"""

from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING

from cc_orchestrator.core.processes import process_tree

if TYPE_CHECKING:
    from cc_orchestrator.config.agents import AgentProfile

# System call numbers as /proc/PID/syscall shows them, by architecture: reads (read, readv,
# pread64, preadv), waits on a set of descriptors below a count (select, pselect6) and epoll.
_SYSCALLS = {
    "x86_64": ({0, 19, 17, 295}, {23, 270}, {232, 281, 441}),
    "aarch64": ({63, 65, 67, 69}, {72}, {22, 441}),
}
_READS, _SELECTS, _EPOLLS = _SYSCALLS.get(platform.machine().replace("arm64", "aarch64"), (set(), set(), set()))
_TTY_WCHAN = {"n_tty_read", "wait_woken"}


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (field 3, the state, comes first)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            text = fh.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _read(path: str) -> str | None:
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return None


def _is_tty(pid: int, fd: int, tty_nr: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}/fd/{fd}").st_rdev == tty_nr
    except OSError:
        return False


def _holds_socket(pid: int) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:") for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return True  # cannot look: assume the worst


def _epoll_only_tty(pid: int, epoll_fd: int, tty_nr: int) -> bool:
    """An epoll set that watches the terminal and nothing else (fdinfo lists `tfd:` targets)."""
    text = _read(f"/proc/{pid}/fdinfo/{epoll_fd}") or ""
    targets = {int(line.split()[1]) for line in text.splitlines() if line.startswith("tfd:")}
    return bool(targets) and all(_is_tty(pid, fd, tty_nr) for fd in targets)


def _blocked_on_tty(pid: int, tty_nr: int) -> bool | None:
    """Whether `pid` (its main thread) is blocked reading the terminal; None if unknowable."""
    syscall = _read(f"/proc/{pid}/syscall")
    if syscall:
        if syscall == "running":
            return False
        fields = syscall.split()
        if not fields[0].isdigit() or len(fields) < 2:
            return False  # "-1 ..." (blocked outside a system call)
        number, first = int(fields[0]), int(fields[1], 16)
        if number in _READS:
            return _is_tty(pid, first, tty_nr)
        if number in _SELECTS:  # a line editor (readline) waits in select(1, {0}) before reading
            return first == 1 and _is_tty(pid, 0, tty_nr)
        if number in _EPOLLS:
            return _epoll_only_tty(pid, first, tty_nr)
        return False
    stat = _stat(pid)
    wchan = _read(f"/proc/{pid}/wchan")
    if stat is None or wchan is None:
        return None
    if stat[0] != "S" or wchan not in _TTY_WCHAN:
        return False
    if not _is_tty(pid, 0, tty_nr) or _holds_socket(pid):
        return None
    return True


def reading_terminal(pane_pid: int | None) -> bool | None:
    """True when the pane's foreground process is blocked reading its terminal, False when it
    is doing anything else, None when /proc cannot tell (not Linux, or not permitted)."""
    if not pane_pid or not _READS:
        return None
    stat = _stat(pane_pid)
    if stat is None:
        return None
    tty_nr, tpgid = int(stat[4]), int(stat[5])
    if tty_nr == 0 or tpgid <= 0:
        return False
    answers = []
    for member in process_tree(pane_pid):
        fields = _stat(member)
        if fields is not None and int(fields[2]) == tpgid:
            answers.append(_blocked_on_tty(member, tty_nr))
    if any(a is True for a in answers):
        return True
    return None if any(a is None for a in answers) else False


def ready_by_terminal(profile: AgentProfile, pane_pid: int | None) -> bool | None:
    """The kernel's word on an agent at a line prompt: True (ready for its next line) when it is
    blocked reading its terminal, False (busy) when it is not. None when /proc cannot tell, or
    when its profile says reading proves nothing (`tty_ready` False: a full-screen TUI)."""
    return reading_terminal(pane_pid) if profile.tty_ready else None
