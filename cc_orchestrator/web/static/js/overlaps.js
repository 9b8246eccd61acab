// Overlaps (GET /api/overlaps): two worktrees changing the same files, or a branch that no
// longer merges. Each card and worktree row names the other side and the files.

function who(instanceId, worktreeId) {
  return instanceId ? `instance ${instanceId}` : `worktree ${worktreeId}`;
}

function listed(files, most = 3) {
  if (files.length <= most) return files.join(", ") || "-";
  return `${files.slice(0, most).join(", ")} and ${files.length - most} more`;
}

// One line from one worktree's side, as the core's Overlap.summary says it.
export function overlapText(o, worktreeId) {
  const index = o.worktree_ids[0] === worktreeId ? 1 : 0;
  const other = o.base ? `base ${o.base}` : who(o.instance_ids[index], o.worktree_ids[index]);
  return o.conflicts
    ? `CONFLICT with ${other} in ${listed(o.conflict_files)}`
    : `overlap with ${other}: ${listed(o.files)}`;
}

// key (an instance or worktree id) -> [{text, conflict}], conflicts first (the server's order).
export function marks(overlaps, keys) {
  const found = new Map();
  for (const o of overlaps) {
    keys(o).forEach((key, n) => {
      if (!key) return;
      if (!found.has(key)) found.set(key, []);
      found.get(key).push({ text: overlapText(o, o.worktree_ids[n]), conflict: o.conflicts });
    });
  }
  return found;
}
