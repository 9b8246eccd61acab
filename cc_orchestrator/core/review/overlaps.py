"""Overlaps: which active worktrees of a repository change the same files, and which no longer merge.

For each worktree with a live instance (not merged), what it changed against its merge base,
committed and not, and whether its branch still merges into its base's current tip; for each
pair whose commits change the same files, whether the two branches merge with each other
(`git merge-tree --write-tree`, which touches no working tree). The results live in the
`worktree_changes` table, so every process (CLI, TUI, serve) reads them without git, and the
first change of each conflict becomes one WARNING event, whichever process saw it.

Cost: git runs only for what moved. A worktree's fingerprint needs no process:
- its HEAD commit and its base's tip, read from git's files (`git/refs.py`; git is asked only
  for an unusual layout or a base named like `main~2`);
- a proxy for "its uncommitted files changed": the stamp of its index (git writes it on add,
  commit, checkout, stash), its instance's status (an agent's turn ending is when its edits
  settle), and, while the agent works, its pane-output clock rounded to RECHECK_SECONDS.
The trade-off: an edit made with no sign (a person typing in the folder of an idle agent, with
no `git add`) is seen at the next sign, or with `update(force=True)` (`worktrees overlaps
--fresh`); a busy agent's edits are seen within RECHECK_SECONDS, and no idle one costs a
process. Walking the files (what would see every edit) costs as much as `git status` itself.

What moved costs: a new commit, 3 git calls (diff against the merge base, status, merge-tree
with the base) plus one merge-tree per other worktree whose commits share files with it; a
base that moved, 2 calls per worktree of it (diff, merge-tree); uncommitted edits alone, 1
(status). Nothing moved: no process, and no store read when the fingerprints are as last seen.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.git import refs, reports
from cc_orchestrator.core.models import EventKind, Instance, InstanceStatus, Level, Overlap, Worktree, listed, to_json
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import WorktreeChangeRow

RECHECK_SECONDS = 60.0  # a working agent's uncommitted files are read again at most this often
_WORKING = (InstanceStatus.STARTING, InstanceStatus.RUNNING)


@dataclass(frozen=True)
class Fingerprint:
    head: str
    base: str
    dirty: str

    def text(self) -> str:
        return json.dumps({"head": self.head, "base": self.base, "dirty": self.dirty}, sort_keys=True)


@dataclass
class Changes:
    """One worktree's row, as stored or as computed."""

    worktree_id: str
    repo: str
    fingerprint: Fingerprint
    committed: tuple[str, ...] = ()
    uncommitted: tuple[str, ...] = ()
    base_conflicts: tuple[str, ...] = ()
    pairs: dict[str, dict] = field(default_factory=dict)  # greater worktree id -> {"key", "files"}

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted({*self.committed, *self.uncommitted}))

    def values(self) -> dict:
        return {
            "repo": self.repo,
            "fingerprint": self.fingerprint.text(),
            "files": json.dumps(self.files),
            "committed": json.dumps(self.committed),
            "uncommitted": json.dumps(self.uncommitted),
            "base_conflicts": json.dumps(self.base_conflicts),
            "pair_conflicts": json.dumps(self.pairs, sort_keys=True),
        }

    @classmethod
    def of(cls, row: WorktreeChangeRow) -> Changes:
        try:
            printed = json.loads(row.fingerprint or "{}")
            fingerprint = Fingerprint(printed.get("head", ""), printed.get("base", ""), printed.get("dirty", ""))
        except (ValueError, AttributeError):
            fingerprint = Fingerprint("", "", "")
        return cls(
            row.worktree_id,
            row.repo,
            fingerprint,
            tuple(_list(row.committed)),
            tuple(_list(row.uncommitted)),
            tuple(_list(row.base_conflicts)),
            _dict(row.pair_conflicts),
        )


class Overlaps:
    """Compute what moved (`update`), and read what is stored (`current`)."""

    def __init__(self, store: Store, events: EventLog) -> None:
        self.store = store
        self.events = events
        self._seen: dict[str, str] | None = None  # worktree id -> its fingerprint as stored when last looked

    def current(self, repo: Path | str | None = None) -> list[Overlap]:
        """The overlaps as stored, of every repository or one: no git."""
        from cc_orchestrator.core.git.worktrees import stored_worktrees
        from cc_orchestrator.core.instances.rows import to_instance
        from cc_orchestrator.core.store.tables import InstanceRow

        def read() -> list[Overlap]:
            instances = [to_instance(r) for r in InstanceRow.select()]
            return stored_overlaps(stored_worktrees(self.store), instances)

        found = self.store.read_consistent(read)
        return [o for o in found if repo is None or o.repo == str(repo)]

    def update(
        self,
        force: bool = False,
        worktrees: Iterable[Worktree] | None = None,
        instances: Iterable[Instance] | None = None,
    ) -> int:
        """Recompute the worktrees whose fingerprint moved (all with `force`) and the pairs they
        are in; store the results and an event per new overlap. `worktrees` and `instances`: as
        the caller last read them (Live's snapshot), else read from the store. Returns the git
        processes it ran."""
        spent = [0]

        def git(cwd: str, *args: str) -> tuple[int, str, str]:
            spent[0] += 1
            return reports.git(Path(cwd), *args)

        if worktrees is None or instances is None:
            worktrees, instances = self._stored()
        current = active(worktrees, instances)
        printed = {w.id: fingerprint(w, i, git) for w, i in current}
        if not force and {k: v.text() for k, v in printed.items() if v is not None} == self._seen:
            return spent[0]
        stored = self.store.read(lambda: {r.worktree_id: Changes.of(r) for r in WorktreeChangeRow.select()})
        results: dict[str, Changes] = {}
        for worktree, _ in current:
            fresh, old = printed[worktree.id], stored.get(worktree.id)
            if fresh is None:  # git does not know it as a worktree now: leave it out
                continue
            if old is not None and not force and old.fingerprint == fresh:
                results[worktree.id] = dataclasses.replace(old)  # its pairs may change; `stored` stays as read
            else:
                results[worktree.id] = changes(worktree, fresh, None if force else old, git)
        pair_conflicts(results, force, git)
        self._store(results, stored)
        self._seen = {k: v.fingerprint.text() for k, v in results.items()}
        return spent[0]

    def _stored(self) -> tuple[list[Worktree], list[Instance]]:
        from cc_orchestrator.core.git.worktrees import stored_worktrees
        from cc_orchestrator.core.instances.rows import to_instance
        from cc_orchestrator.core.store.tables import InstanceRow

        def read():
            return stored_worktrees(self.store), [to_instance(r) for r in InstanceRow.select()]

        return self.store.read_consistent(read)

    def _store(self, results: dict[str, Changes], seen: dict[str, Changes]) -> None:
        """Write what differs from what this process read. Another process may have written
        since: the rows are compared again inside the write transaction, and the events come
        from the overlaps stored before and after it, so each is said once."""
        if seen == results:
            return

        def write() -> None:
            from cc_orchestrator.core.git.worktrees import stored_worktrees

            worktrees = {w.id: w for w in stored_worktrees(self.store)}
            rows = {r.worktree_id: r for r in WorktreeChangeRow.select()}
            before = overlaps_of([Changes.of(r) for r in rows.values()], worktrees)
            gone = [k for k in rows if k not in results]
            if gone:
                WorktreeChangeRow.delete().where(WorktreeChangeRow.worktree_id.in_(gone)).execute()
            now = utcnow()
            for key, result in results.items():
                row = rows.get(key)
                if row is not None and Changes.of(row) == result:
                    continue
                values = {**result.values(), "computed_at": now}
                if row is None:
                    WorktreeChangeRow.insert(worktree_id=key, **values).execute()
                else:
                    WorktreeChangeRow.update(values).where(WorktreeChangeRow.worktree_id == key).execute()
            for level, message, overlap in news(before, overlaps_of(list(results.values()), worktrees)):
                self.events.add(
                    EventKind.WORKTREE_UPDATE,
                    message,
                    level=level,
                    instance_id=overlap.instance_ids[0],
                    worktree_id=overlap.worktree_ids[0],
                    data={"overlap": to_json(overlap)},
                )

        self.store.write(write)


# -- which worktrees, and their fingerprints (no process) -------------------------------------


def active(worktrees: Iterable[Worktree], instances: Iterable[Instance]) -> list[tuple[Worktree, Instance]]:
    """Worktrees a live instance works in, not merged, whose folder is there; by id."""
    live = {i.id: i for i in instances if i.status.is_live}
    found = [
        (w, live[w.instance_id])
        for w in worktrees
        if w.instance_id in live and w.merged_at is None and w.exists and Path(w.path).is_dir()
    ]
    return sorted(found, key=lambda pair: pair[0].id)


def fingerprint(worktree: Worktree, instance: Instance, git) -> Fingerprint | None:
    """HEAD, the base's tip and the dirty-set proxy, from the files; git only for the unusual.
    None: no HEAD (git no longer knows the folder as a worktree)."""
    where = refs.layout(worktree.path)
    head = refs.head(where) if where else None
    base = refs.resolve(where, worktree.base_branch) if where else None
    if head is None:
        status, out, _ = git(worktree.path, "rev-parse", "--verify", "--quiet", "HEAD")
        head = out.strip() if status == 0 else None
    if base is None and worktree.base_branch and not worktree.base_branch.startswith("-"):
        status, out, _ = git(worktree.path, "rev-parse", "--verify", "--quiet", f"{worktree.base_branch}^{{commit}}")
        base = out.strip() if status == 0 else ""
    if not head:
        return None
    stamp = refs.index_stamp(where) if where else "0:0"
    working = ""
    if instance.status in _WORKING:  # output while it works: look again once per RECHECK_SECONDS
        working = str(int(instance.last_activity.timestamp() // RECHECK_SECONDS))
    return Fingerprint(head, base or "", f"{stamp} {instance.status.value} {working}".strip())


# -- what moved, asked of git -------------------------------------------------------------------


def changes(worktree: Worktree, fresh: Fingerprint, old: Changes | None, git) -> Changes:
    """A worktree's changes under its new fingerprint, reusing what `old` knew that still holds:
    its commits' files and conflicts with the base (same HEAD and base), its uncommitted files
    (same HEAD and dirty-set proxy: a base that moved changes nothing in the folder)."""
    same_commits = old is not None and (old.fingerprint.head, old.fingerprint.base) == (fresh.head, fresh.base)
    if same_commits:
        committed, base_conflicts = old.committed, old.base_conflicts
    else:
        committed = _committed(worktree.path, fresh, git)
        base_conflicts = _merge(worktree.path, fresh.base, fresh.head, git) if committed and fresh.base else ()
    if old is not None and (old.fingerprint.head, old.fingerprint.dirty) == (fresh.head, fresh.dirty):
        uncommitted = old.uncommitted
    else:
        status, out, _ = git(worktree.path, "status", "--porcelain=v2", "-z", "--untracked-files=all")
        uncommitted = tuple(sorted(set(reports.parse_status(out)[2]))) if status == 0 else ()
    pairs = dict(old.pairs) if old is not None else {}  # checks of two HEADs that did not move still hold
    return Changes(worktree.id, worktree.repo, fresh, committed, uncommitted, base_conflicts, pairs)


def _committed(path: str, fresh: Fingerprint, git) -> tuple[str, ...]:
    """Files the branch's commits changed since it left its base (the merge base)."""
    if not fresh.base or fresh.base == fresh.head:
        return ()
    status, out, _ = git(path, "diff", "--name-only", "-z", "--no-renames", f"{fresh.base}...{fresh.head}", "--")
    return tuple(sorted({f for f in out.split("\0") if f})) if status == 0 else ()


def _merge(path: str, ours: str, theirs: str, git) -> tuple[str, ...]:
    """The files where merging `theirs` into `ours` conflicts: `git merge-tree --write-tree`
    (exit 1 on conflicts), which writes objects but touches no working tree or index."""
    status, out, _ = git(path, "merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", ours, theirs)
    if status != 1:
        return ()  # 0: merges cleanly; anything else: git could not say (unrelated histories, ...)
    return tuple(sorted({f for f in out.split("\0")[1:] if f}))


def pair_conflicts(results: dict[str, Changes], force: bool, git) -> None:
    """For each pair of one repository whose commits change a file in common, the files where
    their branches conflict; asked again only when either HEAD moved."""
    by_repo: dict[str, list[Changes]] = defaultdict(list)
    for result in results.values():
        by_repo[result.repo].append(result)
    for group in by_repo.values():
        for first, second in itertools.combinations(sorted(group, key=lambda c: c.worktree_id), 2):
            old = first.pairs.get(second.worktree_id)
            key = f"{first.fingerprint.head}:{second.fingerprint.head}"
            if not set(first.committed) & set(second.committed):
                continue
            if old is not None and old.get("key") == key and not force:
                continue
            files = _merge(first.repo, first.fingerprint.head, second.fingerprint.head, git)
            first.pairs = {**first.pairs, second.worktree_id: {"key": key, "files": list(files)}}
        for result in group:  # pairs that no longer share committed files, or whose worktree left
            mates = {c.worktree_id: c for c in group}
            kept = {
                k: v
                for k, v in result.pairs.items()
                if k in mates
                and set(result.committed) & set(mates[k].committed)
                and v.get("key") == f"{result.fingerprint.head}:{mates[k].fingerprint.head}"
            }
            if kept != result.pairs:
                result.pairs = kept


# -- overlaps from the rows (no git) ------------------------------------------------------------


def stored_overlaps(worktrees: Iterable[Worktree], instances: Iterable[Instance]) -> list[Overlap]:
    """The stored overlaps of the worktrees that are active now (inside the caller's read)."""
    current = {w.id: w for w, _ in active(worktrees, instances)}
    if not current:
        return []
    rows = WorktreeChangeRow.select().where(WorktreeChangeRow.worktree_id.in_(list(current)))
    return overlaps_of([Changes.of(r) for r in rows], current)


def overlaps_of(results: list[Changes], worktrees: dict[str, Worktree]) -> list[Overlap]:
    """Conflicts first, then shared files; a pair whose conflict check is out of date (a HEAD
    moved since) shows its shared files only."""
    found: list[Overlap] = []
    known = sorted((r for r in results if r.worktree_id in worktrees), key=lambda r: r.worktree_id)
    for result in known:
        w = worktrees[result.worktree_id]
        if result.base_conflicts:
            found.append(
                Overlap(
                    (w.id,),
                    (w.instance_id,),
                    result.base_conflicts,
                    True,
                    result.base_conflicts,
                    w.repo,
                    (w.branch,),
                    w.base_branch,
                )
            )
    for first, second in itertools.combinations(known, 2):
        if first.repo != second.repo:
            continue
        shared = tuple(sorted(set(first.files) & set(second.files)))
        check = first.pairs.get(second.worktree_id) or {}
        fresh = check.get("key") == f"{first.fingerprint.head}:{second.fingerprint.head}"
        conflicts = tuple(check.get("files", ())) if fresh else ()
        if not shared and not conflicts:
            continue
        a, b = worktrees[first.worktree_id], worktrees[second.worktree_id]
        found.append(
            Overlap(
                (a.id, b.id),
                (a.instance_id, b.instance_id),
                shared,
                bool(conflicts),
                conflicts,
                a.repo,
                (a.branch, b.branch),
            )
        )
    return sorted(found, key=lambda o: (not o.conflicts, o.worktree_ids))


def news(before: list[Overlap], after: list[Overlap]) -> list[tuple[Level, str, Overlap]]:
    """What to say about the change: a WARNING for each conflict that appeared (or gained a
    file), an INFO for each pair that started sharing files."""
    known = {o.worktree_ids: o for o in before}
    said = []
    for overlap in after:
        old = known.get(overlap.worktree_ids)
        if overlap.conflicts:
            new = set(overlap.conflict_files) - set(old.conflict_files if old is not None and old.conflicts else ())
            if new:
                said.append((Level.WARNING, _conflict_message(overlap), overlap))
        elif old is None:
            said.append((Level.INFO, f"{_both(overlap)} both change {listed(overlap.files)}", overlap))
    return said


def _conflict_message(overlap: Overlap) -> str:
    files = listed(overlap.conflict_files)
    if overlap.base:
        branch = overlap.branches[0] if overlap.branches else ""
        return f"{_both(overlap)} ({branch}) no longer merges into {overlap.base}: conflict in {files}"
    return f"{_both(overlap)} conflict in {files}"


def _both(overlap: Overlap) -> str:
    names = [i or f"worktree {w}" for i, w in zip(overlap.instance_ids, overlap.worktree_ids, strict=True)]
    return f"instance {names[0]}" if len(names) == 1 else f"instances {names[0]} and {names[1]}"


def _list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _dict(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
