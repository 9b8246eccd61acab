// The worktree map: worktrees grouped by repository, with the instance working in each.

import { $, h, toast } from "./dom.js";
import { del, get } from "./api.js";
import { marks } from "./overlaps.js";

export class WorktreeMap {
  constructor(root) {
    this.root = root;
    this.marks = new Map(); // worktree id -> its overlaps' lines
  }

  overlaps(list) {
    this.marks = marks(list, (o) => o.worktree_ids);
    if (this.page) this.render(this.page); // the rows drawn before the marks arrived get them
  }

  async load() {
    this.page = await get("/api/worktrees?limit=1000");
    this.render(this.page);
  }

  render(page) {
    const byRepo = new Map();
    for (const w of page.items) {
      if (!byRepo.has(w.repo)) byRepo.set(w.repo, []);
      byRepo.get(w.repo).push(w);
    }
    this.root.replaceChildren(
      ...[...byRepo].map(([repo, worktrees]) =>
        h("div", { class: "repo" }, h("h3", {}, repo), worktrees.map((w) => this.row(w))),
      ),
    );
    $("#no-worktrees").hidden = page.items.length > 0;
  }

  row(w) {
    return h(
      "div",
      { class: "worktree", dataset: { worktreeId: w.id, status: w.status } },
      h("span", { class: "id" }, w.id),
      h(
        "span",
        { class: "branch" },
        w.branch,
        h("small", {}, `from ${w.base_branch} · ${w.last_commit || "no commits"}`),
        ...(this.marks.get(w.id) || []).map((m) => h("small", { class: m.conflict ? "overlap conflict" : "overlap" }, `! ${m.text}`)),
      ),
      h("span", { class: "badge", dataset: { status: w.status } }, w.instance_id ? `${w.status} · ${w.instance_id}` : w.status),
      w.instance_id && w.status === "ACTIVE"
        ? h("span")
        : h("button", { class: "danger", onclick: () => this.remove(w.id) }, "Remove"),
    );
  }

  async remove(id) {
    if (!confirm(`Remove worktree ${id} and its branch?`)) return;
    try {
      await del(`/api/worktrees/${id}`);
    } catch (error) {
      if (error.status === 409 && confirm(`${error.message}\n\nRemove it anyway, losing that work?`)) {
        await del(`/api/worktrees/${id}?force=true`).catch((e) => toast(e.message, "error"));
      } else {
        toast(error.message, "error");
      }
    }
  }
}
