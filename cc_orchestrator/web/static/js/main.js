// The dashboard: loads the state over REST, then keeps it current from /ws.

import { $, clock, debounce, h, toast } from "./dom.js";
import { get, post } from "./api.js";
import { Live } from "./live.js";
import { InstanceGrid } from "./instances.js";
import { TaskBoard } from "./tasks.js";
import { ImportForm } from "./imports.js";
import { WorktreeMap } from "./worktrees.js";
import { LogViewer } from "./logs.js";
import { ResourceCharts } from "./charts.js";
import { Hosts } from "./hosts.js";

const live = new Live((state) => {
  const badge = $("#connection");
  badge.dataset.state = state;
  badge.textContent = state;
});
const logs = new LogViewer($("#log-instance"), $("#log-output"), $("#log-events"), live);
const grid = new InstanceGrid($("#instance-grid"), { onLogs: (id) => logs.show(id) });
const board = new TaskBoard($("#task-board"));
const imports = new ImportForm($("#import-form"), $("#import-toggle"), {
  onImported: () => board.load().catch(report),
});
const worktrees = new WorktreeMap($("#worktree-map"));
const hosts = new Hosts($("#hosts"), $("#host-filter"));
let charts = null;
// Statuses that hold no slot (InstanceStatus.is_live is false); tests/web/test_js_enums.py checks them.
const ENDED = new Set(["STOPPED", "ERROR"]);

function activity(timestamp, level, text) {
  const list = $("#activity");
  list.prepend(h("li", { class: `level-${level}` }, h("time", {}, clock(timestamp)), h("span", {}, text)));
  while (list.children.length > 100) list.lastChild.remove();
}

async function loadInstances() {
  const page = await get("/api/instances?limit=1000");
  grid.render(page.items);
  logs.options(page.items);
  const live = page.items.filter((i) => !ENDED.has(i.status));
  $("#summary").textContent = `${live.length} live · ${page.total} instances`;
  if (charts) charts.keep(new Set(live.map((i) => i.id)));
}

async function loadHosts() {
  hosts.show(await get("/api/hosts"));
  grid.remote = hosts.remote.length > 0;
}

async function loadOverlaps() {
  const found = await get("/api/overlaps");
  grid.overlaps(found);
  worktrees.overlaps(found);
}

const reload = {
  instances: debounce(() => loadInstances().catch(report), 150),
  hosts: debounce(() => loadHosts().catch(report), 300),
  overlaps: debounce(() => loadOverlaps().catch(report), 300),
  tasks: debounce(() => board.load().catch(report), 250),
  worktrees: debounce(() => worktrees.load().catch(report), 300),
};

function report(error) {
  if (error && error.status !== 401) toast(error.message || String(error), "error");
}

async function loadAll() {
  await Promise.all([loadOverlaps(), loadHosts()]); // first: the cards below are drawn with their marks and hosts
  await Promise.all([loadInstances(), board.load(), worktrees.load()]);
  const recent = await get("/api/events?limit=30");
  $("#activity").replaceChildren();
  for (const e of recent) activity(e.created_at, e.level, e.message);
  if (charts) charts.load(await get("/api/metrics"));
}

live.on("hello", () => loadAll().catch(report)); // also after every reconnect
live.on("resync", () => loadAll().catch(report));
live.on("instance_status", (m) => {
  activity(m.timestamp, m.level, m.message);
  reload.instances();
  reload.hosts(); // an instance's state may have come from its host's health
  reload.worktrees();
  reload.overlaps(); // an instance that stopped has none any more
});
live.on("task_update", (m) => {
  activity(m.timestamp, m.level, m.message);
  reload.tasks();
});
live.on("worktree_update", (m) => {
  activity(m.timestamp, m.level, m.message);
  if (m.data && m.data.overlap) {
    toast(m.message, m.level === "WARNING" ? "warning" : "info"); // a new conflict, or files now shared
    reload.overlaps();
  }
  reload.worktrees();
});
live.on("log_message", (m) => {
  if (m.source !== "agent") activity(m.timestamp, m.level, m.message);
  logs.message(m);
});
live.on("metrics", (m) => {
  grid.usage(m.instances);
  if (charts) charts.add(m);
});
live.on("error", (m) => toast(m.message, "error"));

async function loadForms() {
  const [repos, agents, integrations] = await Promise.all([
    get("/api/repos"),
    get("/api/agents"),
    get("/api/integrations"),
  ]);
  imports.configured(integrations);
  const known = new Set([repos.default, ...repos.known].filter(Boolean));
  $("#repo-list").replaceChildren(...[...known].map((r) => h("option", { value: r })));
  if (repos.default) $("#start-repo").placeholder = `repository (default: ${repos.default})`;
  $("#start-agent").replaceChildren(
    ...agents.names.map((n) => h("option", { value: n, selected: n === agents.default }, n)),
  );
}

$("#start-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = $("#start-button");
  button.disabled = true;
  const body = { agent: $("#start-agent").value || null };
  for (const [key, field] of [["repo", "#start-repo"], ["branch", "#start-branch"], ["prompt", "#start-prompt"]]) {
    const value = $(field).value.trim();
    if (value) body[key] = value;
  }
  try {
    const instance = await post("/api/instances", body);
    toast(`instance ${instance.id} started`);
    $("#start-branch").value = "";
    $("#start-prompt").value = "";
  } catch (error) {
    toast(error.message, "error");
  } finally {
    button.disabled = false;
  }
});

$("#task-form").addEventListener("submit", (event) => {
  event.preventDefault();
  board.create(event.target);
});

$("#host-filter").addEventListener("change", (event) => {
  grid.host = event.target.value;
  reload.instances();
});

$("#show-ended").addEventListener("change", (event) => {
  grid.showEnded = event.target.checked;
  reload.instances();
});

$("#logout").addEventListener("click", async () => {
  await post("/logout").catch(() => null);
  location.assign("/login");
});

window.addEventListener("DOMContentLoaded", () => {
  charts = new ResourceCharts($("#cpu-chart"), $("#memory-chart"));
  loadForms().catch(report);
  live.connect();
});
