"""A remote host's refresh in one round trip: one fixed shell script, sent with its arguments
through the host's ssh connection, returns in one go

- the batched `tmux list-panes -a -F ...` (every pane of every session, as locally);
- the /proc figures of each pane's process tree (CPU ticks, resident pages, processes), summed
  there by one awk over /proc/*/stat;
- the new bytes of each hook spool and pane log, read from the offsets we hold (one `wc -c`
  for all of them, then a read only for those that grew).

About five processes run there per refresh, whatever the number of agents. Sections are framed
by a random boundary; a chunk's header gives its length, so no byte of an agent's output can end
it early.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from cc_orchestrator.core.tmux.listing import PANE_FORMAT, PaneState, no_server, read_panes

CHUNK_MAX = 512 * 1024  # bytes of one file per refresh; the rest comes with the next one
TICKS_PER_SECOND = 100  # Linux's USER_HZ, the unit of /proc/PID/stat's CPU times
PAGE_BYTES = 4096

# $1 boundary, $2 tmux socket name ("" for the default server), $3 the pane format, $4 the most
# bytes of one file; then "KIND ID PATH OFFSET" for each spool and log.
SCRIPT = r"""
b=$1 sock=$2 fmt=$3 cap=$4; shift 4
t() { if [ -n "$sock" ]; then tmux -L "$sock" "$@"; else tmux "$@"; fi; }
printf '%s panes\n' "$b"
t list-panes -a -F "$fmt" 2>&1
printf '%s status %s\n' "$b" "$?"
printf '%s proc\n' "$b"
roots=$(t list-panes -a -F '#{pane_pid}' 2>/dev/null)
if [ -n "$roots" ] && [ -r /proc/self/stat ]; then
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$roots" '
    { pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
      parent[pid] = f[2]; cpu[pid] = f[12] + f[13]; rss[pid] = f[22] }
    END {
      for (p in parent) kids[parent[p]] = kids[parent[p]] " " p
      n = split(roots, r, /[ \n]+/)
      for (i = 1; i <= n; i++) {
        if (!(r[i] in parent)) continue
        top = 0; stack[++top] = r[i]; c = 0; m = 0; k = 0
        while (top > 0) {
          p = stack[top--]; c += cpu[p]; m += rss[p]; k++
          nk = split(kids[p], ks, " "); for (j = 1; j <= nk; j++) stack[++top] = ks[j]
        }
        print r[i], c, m, k
      }
    }'
fi
list=""
while [ $# -ge 4 ]; do
  [ -f "$3" ] && list="$list$1 $2 $4 $3
"
  shift 4
done
if [ -n "$list" ]; then
  set --
  while IFS=' ' read -r kind id off path; do [ -n "$path" ] && set -- "$@" "$path"; done <<EOF
$list
EOF
  wc -c -- "$@" 2>/dev/null | while read -r n f; do
    while IFS=' ' read -r kind id off path; do
      if [ -n "$path" ] && [ "$path" = "$f" ] && [ "$n" -gt "$off" ]; then
        len=$((n - off)); [ "$len" -gt "$cap" ] && len=$cap
        printf '%s chunk %s %s %s %s\n' "$b" "$kind" "$id" "$off" "$len"
        tail -c +$((off + 1)) "$f" | head -c "$len"
        printf '\n'
      fi
    done <<EOF
$list
EOF
  done
fi
printf '%s end\n' "$b"
"""


@dataclass(frozen=True)
class Chunk:
    kind: str  # "spool" or "log"
    instance_id: str
    offset: int  # where in the remote file it starts
    data: bytes


@dataclass
class Batch:
    """What one round trip to a host found."""

    panes: dict[str, PaneState] = field(default_factory=dict)
    tmux_error: str = ""  # tmux failed for another reason than having no server
    proc: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # pane pid -> (ticks, pages, processes)
    chunks: list[Chunk] = field(default_factory=list)
    seconds: float = 0.0  # the round trip
    complete: bool = False  # the script's last line arrived


def argv(socket_name: str | None, files: list[tuple[str, str, str, int]]) -> tuple[str, list[str]]:
    """The boundary and the remote command: `files` is (kind, instance id, path, offset)."""
    boundary = f"cco-{secrets.token_hex(12)}"
    args = ["sh", "-c", SCRIPT, "sh", boundary, socket_name or "", PANE_FORMAT, str(CHUNK_MAX)]
    for kind, instance_id, path, offset in files:
        args += [kind, instance_id, path, str(offset)]
    return boundary, args


def parse(output: bytes, boundary: str, marker: str) -> Batch:
    """The script's output, section by section."""
    batch = Batch()
    mark = boundary.encode() + b" "
    position, section, pane_lines, status = 0, "", [], 0
    while position < len(output):
        end = output.find(b"\n", position)
        end = len(output) if end < 0 else end
        line = output[position:end]
        position = end + 1
        if not line.startswith(mark):
            if section == "panes":
                pane_lines.append(line.decode("utf-8", "replace"))
            elif section == "proc":
                _proc_line(batch, line)
            continue
        words = line[len(mark) :].decode("utf-8", "replace").split(" ")
        section = words[0]
        if section == "status":
            status = int(words[1]) if words[1:] and words[1].isdigit() else 1
        elif section == "chunk" and len(words) == 5:
            kind, instance_id, offset, length = words[1], words[2], int(words[3]), int(words[4])
            batch.chunks.append(Chunk(kind, instance_id, offset, output[position : position + length]))
            position += length + 1  # and the newline after it
        elif section == "end":
            batch.complete = True
    if status == 0:
        batch.panes = read_panes(pane_lines, marker)
    elif not no_server(pane_lines):
        batch.tmux_error = (pane_lines or ["tmux failed"])[0]
    return batch


def _proc_line(batch: Batch, line: bytes) -> None:
    words = line.split()
    if len(words) == 4 and all(w.isdigit() for w in words):
        root, ticks, pages, processes = (int(w) for w in words)
        batch.proc[root] = (ticks, pages, processes)
