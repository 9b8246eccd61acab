// The instance grid: one card per instance, keyed by id and updated in place, so a prompt
// being typed survives live updates.

import { $, h, toast } from "./dom.js";
import { del, post } from "./api.js";
import { marks } from "./overlaps.js";
import { since } from "./hosts.js";

const LIVE = new Set(["STARTING", "RUNNING", "WAITING_INPUT", "IDLE", "UNREACHABLE"]);

export class InstanceGrid {
  constructor(root, { onLogs }) {
    this.root = root;
    this.onLogs = onLogs;
    this.cards = new Map();
    this.instances = new Map();
    this.marks = new Map(); // instance id -> its overlaps' lines
    this.showEnded = false;
    this.host = ""; // only this host's instances ("": every host's)
    this.remote = false; // remote hosts exist: every card names its host
  }

  overlaps(list) {
    this.marks = marks(list, (o) => o.instance_ids);
    for (const [id, card] of this.cards) this.fill(card, this.instances.get(id));
  }

  render(instances) {
    this.instances = new Map(instances.map((i) => [i.id, i]));
    const shown = instances.filter((i) => (this.showEnded || LIVE.has(i.status)) && (!this.host || i.host === this.host));
    const keep = new Set(shown.map((i) => i.id));
    for (const [id, card] of this.cards) {
      if (!keep.has(id)) {
        card.el.remove();
        this.cards.delete(id);
      }
    }
    for (const instance of shown) {
      let card = this.cards.get(instance.id);
      if (!card) {
        card = this.build(instance);
        this.cards.set(instance.id, card);
      }
      this.fill(card, instance);
      this.root.append(card.el); // keeps the server's order (oldest first)
    }
    $("#no-instances").hidden = shown.length > 0;
  }

  usage(metrics) {
    for (const [id, m] of Object.entries(metrics)) {
      const card = this.cards.get(id);
      if (card) card.usage.textContent = usageText(m);
    }
  }

  build(instance) {
    const id = instance.id;
    const card = {};
    card.idText = h("span", { class: "id" }, id);
    card.badge = h("span", { class: "badge" });
    card.host = h("span", { class: "host-badge", hidden: true });
    card.meta = h("div", { class: "meta" });
    card.message = h("div", { class: "meta" });
    card.question = h("div", { class: "question", hidden: true });
    card.overlaps = h("ul", { class: "overlaps", hidden: true });
    card.usage = h("div", { class: "usage" });
    card.approve = h("button", { class: "good", "data-action": "approve", onclick: () => this.act(id, "approve") }, "Approve");
    card.reject = h("button", { "data-action": "reject", onclick: () => this.act(id, "reject") }, "Reject");
    card.interrupt = h("button", { "data-action": "interrupt", onclick: () => this.act(id, "interrupt") }, "Interrupt");
    card.stop = h("button", { class: "danger", "data-action": "stop", onclick: () => this.act(id, "stop") }, "Stop");
    card.restart = h("button", { "data-action": "restart", onclick: () => this.act(id, "restart") }, "Restart");
    card.remove = h("button", { class: "danger", "data-action": "remove", onclick: () => this.remove(id) }, "Remove worktree");
    const logs = h("button", { "data-action": "logs", onclick: () => this.onLogs(id) }, "Logs");
    card.prompt = h("input", { placeholder: "send a prompt", "aria-label": `prompt for ${id}` });
    card.send = h("form", { class: "send", onsubmit: (e) => this.send(e, id, card) }, card.prompt, h("button", { type: "submit" }, "Send"));
    card.el = h(
      "article",
      { class: "card", dataset: { instanceId: id } },
      h("div", { class: "card-head" }, card.idText, card.host, card.badge),
      card.meta,
      card.question,
      card.overlaps,
      card.message,
      card.usage,
      card.send,
      h("div", { class: "actions" }, card.approve, card.reject, card.interrupt, logs, card.stop, card.restart, card.remove),
    );
    return card;
  }

  fill(card, i) {
    card.el.dataset.status = i.status;
    card.badge.dataset.status = i.status;
    card.badge.textContent = i.status.replace("_", " ");
    if (i.status === "UNREACHABLE" && i.unreachable_since) card.badge.textContent += ` ${since(i.unreachable_since)}`;
    card.host.hidden = !this.remote && i.host === "local";
    card.host.textContent = i.host;
    const task = i.task_id ? ` · task #${i.task_id}` : "";
    card.meta.textContent = `${i.agent} · ${i.branch || "no branch"}${task}`;
    card.message.textContent = i.status_message || "";
    card.message.hidden = !i.status_message;
    const waiting = i.status === "WAITING_INPUT";
    card.question.hidden = !waiting || !i.waiting_for;
    card.question.textContent = i.waiting_for || "";
    card.usage.textContent = usageText(i.resource_usage);
    const overlaps = this.marks.get(i.id) || [];
    card.overlaps.hidden = overlaps.length === 0;
    card.overlaps.replaceChildren(
      ...overlaps.map((m) => h("li", { class: m.conflict ? "overlap conflict" : "overlap" }, `! ${m.text}`)),
    );
    const live = LIVE.has(i.status);
    card.approve.hidden = card.reject.hidden = !waiting;
    card.interrupt.hidden = card.stop.hidden = card.send.hidden = !live;
    card.restart.hidden = live;
    card.remove.hidden = live || !i.worktree_id;
  }

  async act(id, action) {
    try {
      await post(`/api/instances/${encodeURIComponent(id)}/${action}`);
      toast(`${action}: instance ${id}`);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async remove(id) {
    try {
      await del(`/api/instances/${encodeURIComponent(id)}`);
      toast(`removed the worktree of instance ${id}`);
    } catch (error) {
      if (error.status === 409 && confirm(`${error.message}\n\nRemove it anyway, losing that work?`)) {
        await del(`/api/instances/${encodeURIComponent(id)}?force=true`).catch((e) => toast(e.message, "error"));
      } else {
        toast(error.message, "error");
      }
    }
  }

  async send(event, id, card) {
    event.preventDefault();
    const text = card.prompt.value;
    if (!text.trim()) return;
    try {
      await post(`/api/instances/${encodeURIComponent(id)}/send`, { text });
      card.prompt.value = "";
      toast(`sent to instance ${id}`);
    } catch (error) {
      toast(error.message, "error");
    }
  }
}

function usageText(u) {
  if (!u) return "";
  return `CPU ${Number(u.cpu_percent).toFixed(1)}%  ·  ${Number(u.memory_mb).toFixed(0)} MB  ·  ${u.processes} proc`;
}
