// The task board: one column per status, each a page of the server's list (the board may
// hold thousands of tasks), reloaded when task events arrive.

import { $, clock, h, outLink, toast } from "./dom.js";
import { del, get, post, put } from "./api.js";

// TaskStatus in its order, one column each; tests/web/test_js_enums.py checks it against the API.
export const STATUSES = ["PENDING", "ASSIGNED", "IN_PROGRESS", "REVIEW", "DONE"];
const PAGE = 100;
// A task's checks state (ChecksState, "" aside) as its card's badge; tests/web/test_js_enums.py
// checks the names against the API.
const CHECKS = {
  running: "⟳ checking",
  passed: "✓ checks",
  failed: "✗ checks failed",
  gave_up: "✗ checks gave up",
  no_checks: "no checks",
};

export class TaskBoard {
  constructor(root) {
    this.root = root;
    this.columns = new Map();
    this.checksShown = new Set(); // tasks whose runs are unfolded: kept open across reloads
    for (const status of STATUSES) {
      const count = h("span", { class: "count" }, "0");
      const list = h("div", { class: "cards" });
      const more = h("div", { class: "more", hidden: true });
      const column = h(
        "div",
        { class: "column", dataset: { status } },
        h("h3", {}, status.replace("_", " "), count),
        list,
        more,
      );
      root.append(column);
      this.columns.set(status, { column, count, list, more });
    }
  }

  async load() {
    const pages = await Promise.all(
      STATUSES.map((s) => get(`/api/tasks?status=${s}&limit=${PAGE}`)),
    );
    STATUSES.forEach((status, n) => this.fillColumn(status, pages[n]));
  }

  fillColumn(status, page) {
    const { count, list, more } = this.columns.get(status);
    count.textContent = String(page.total);
    list.replaceChildren(...page.items.map((task) => this.card(task)));
    more.hidden = page.total <= page.items.length;
    more.textContent = `${page.total - page.items.length} more (oldest shown first)`;
  }

  card(task) {
    const move = h(
      "select",
      { "aria-label": `status of task ${task.id}`, onchange: (e) => this.move(task.id, e.target.value) },
      // ASSIGNED comes with an instance (Assign), never by hand: shown, not offered
      STATUSES.map((s) =>
        h("option", { value: s, selected: s === task.status, disabled: s === "ASSIGNED" }, s.replace("_", " ")),
      ),
    );
    const ready = task.status === "PENDING" && !task.blocked;
    return h(
      "div",
      { class: "task", dataset: { taskId: String(task.id), status: task.status, checks: task.checks } },
      h("div", { class: "title" }, task.title),
      task.source !== "manual" || task.pr_url ? this.links(task) : null,
      task.description ? h("div", { class: "meta" }, task.description.slice(0, 160)) : null,
      h(
        "div",
        { class: "row" },
        h("span", {}, `#${task.id}`),
        h("span", { class: `priority-${task.priority}` }, task.priority.toLowerCase()),
        task.dependencies.length ? h("span", {}, `after ${task.dependencies.map((d) => "#" + d).join(" ")}`) : null,
        task.blocked ? h("span", { class: "blocked" }, "blocked") : null,
        task.assigned_instance ? h("span", {}, `on ${task.assigned_instance}`) : null,
        CHECKS[task.checks] ? h("span", { class: "checks-badge", dataset: { checks: task.checks } }, CHECKS[task.checks]) : null,
      ),
      task.checks ? this.checks(task) : null,
      h(
        "div",
        { class: "row" },
        move,
        ready ? h("button", { class: "good", onclick: () => this.assign(task.id) }, "Start") : null,
        task.status === "REVIEW"
          ? h("button", { title: "push the branch and open (or find) its pull request", onclick: (e) => this.pullRequest(task.id, e.target) }, "Open PR")
          : null,
        task.status === "REVIEW"
          ? h("button", { class: "good", title: "merge its branch into its base (refused unless its checks passed on its HEAD)", onclick: (e) => this.merge(task.id, e.target) }, "Merge")
          : null,
        h("button", { class: "danger", "aria-label": `delete task ${task.id}`, onclick: () => this.remove(task.id) }, "Delete"),
      ),
    );
  }

  // The review gate's runs, unfolded on demand (read then, and again on each reload while open).
  checks(task) {
    const box = h("div", { class: "check-runs" }, "reading…");
    const fold = h(
      "details",
      {
        class: "checks",
        open: this.checksShown.has(task.id),
        ontoggle: (e) => {
          if (e.target.open) {
            this.checksShown.add(task.id);
            this.loadChecks(task.id, box);
          } else {
            this.checksShown.delete(task.id);
          }
        },
      },
      h("summary", {}, "check runs"),
      box,
    );
    return fold;
  }

  async loadChecks(id, box) {
    try {
      this.showChecks(box, await get(`/api/tasks/${id}/checks`));
    } catch (error) {
      box.replaceChildren(h("span", { class: "meta" }, error.message));
    }
  }

  showChecks(box, checks) {
    const runs = [...checks.runs].reverse(); // newest first
    const failure = runs.find((r) => r.status === "failed" || r.status === "timed_out");
    const tail = failure ? h("pre", { class: "check-tail" }, failure.tail || "(no output)") : null;
    box.replaceChildren(
      h("div", { class: "meta" }, `${checks.command || "no checks"} · ${checks.source}`),
      runs.length
        ? h(
            "ol",
            { class: "runs" },
            runs.map((r) =>
              h(
                "li",
                { dataset: { status: r.status, runId: String(r.id) } },
                h("time", { title: r.started_at }, clock(r.started_at)),
                h("span", { class: "run-status" }, r.status.replace("_", " ")),
                h("span", {}, `exit ${r.exit_code ?? "-"}`),
                h("span", {}, r.seconds == null ? "running" : `${r.seconds.toFixed(1)} s`),
              ),
            ),
          )
        : h("div", { class: "meta" }, "no runs yet"),
      failure ? h("div", { class: "meta" }, `last lines of run #${failure.id} · ${failure.log_path}`) : null,
      tail,
    );
    if (tail) tail.scrollTop = tail.scrollHeight; // the end of the output says most
  }

  // Where the task came from (the issue) and where its work went (the pull request).
  links(task) {
    return h(
      "div",
      { class: "row links" },
      task.source !== "manual"
        ? outLink(task.source_url, task.source_label, { class: "source", title: `open ${task.source_label}` })
        : null,
      task.pr_url ? outLink(task.pr_url, "PR", { class: "pr", title: task.pr_url }) : null,
    );
  }

  async create(form) {
    const deps = $("#task-deps", form).value.split(/[\s,]+/).filter(Boolean).map(Number);
    const body = {
      title: $("#task-title", form).value,
      description: $("#task-description", form).value,
      priority: $("#task-priority", form).value,
      dependencies: deps,
    };
    try {
      const task = await post("/api/tasks", body);
      form.reset();
      toast(`task #${task.id} added`);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async move(id, status) {
    try {
      await put(`/api/tasks/${id}`, { status });
    } catch (error) {
      toast(error.message, "error");
      this.load();
    }
  }

  async merge(id, button) {
    button.disabled = true;
    button.textContent = "Merging…";
    try {
      const result = await post(`/api/tasks/${id}/merge`, {});
      toast(result.line);
    } catch (error) {
      toast(error.message, "error");
    } finally {
      button.disabled = false;
      button.textContent = "Merge";
    }
  }

  async pullRequest(id, button) {
    button.disabled = true;
    button.textContent = "Pushing…";
    try {
      const outcome = await post(`/api/tasks/${id}/pull-request`, {});
      toast(outcome.message, outcome.level === "INFO" ? "info" : "warning");
    } catch (error) {
      toast(error.message, "error");
    } finally {
      button.disabled = false;
      button.textContent = "Open PR";
    }
  }

  async assign(id) {
    try {
      const instance = await post(`/api/tasks/${id}/assign`, {});
      toast(`task #${id} started on instance ${instance.id}`);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async remove(id) {
    if (!confirm(`Delete task #${id}?`)) return;
    try {
      await del(`/api/tasks/${id}`);
    } catch (error) {
      toast(error.message, "error");
    }
  }
}
