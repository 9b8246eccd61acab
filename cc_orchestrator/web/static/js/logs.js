// The log viewer: the chosen instance's screen output (followed over the WebSocket) and its
// orchestrator events.

import { clock, h } from "./dom.js";
import { get } from "./api.js";

const MAX_LINES = 2000;

export class LogViewer {
  constructor(select, output, events, live) {
    this.select = select;
    this.output = output;
    this.events = events;
    this.live = live;
    this.instance = null;
    this.lines = [];
    select.addEventListener("change", () => this.show(select.value));
  }

  options(instances) {
    const current = this.select.value;
    const options = [h("option", { value: "" }, "choose an instance")];
    for (const i of instances) options.push(h("option", { value: i.id }, `${i.id} · ${i.status.toLowerCase()}`));
    this.select.replaceChildren(...options);
    this.select.value = current;
  }

  async show(id) {
    this.instance = id || null;
    this.select.value = id || "";
    this.lines = [];
    this.output.textContent = "";
    this.events.replaceChildren();
    this.live.follow(this.instance);
    if (!id) return;
    const recent = await get(`/api/events?instance_id=${encodeURIComponent(id)}&limit=50`);
    for (const event of recent) this.event(event.created_at, event.level, event.message);
  }

  // a log_message from the WebSocket
  message(m) {
    if (!this.instance || m.instance_id !== this.instance) return;
    if (m.source === "agent") {
      if (m.replay) this.lines = [];
      this.append(m.lines || []);
    } else {
      this.event(m.timestamp, m.level, m.message);
    }
  }

  append(lines) {
    const atBottom = this.output.scrollTop + this.output.clientHeight >= this.output.scrollHeight - 4;
    this.lines.push(...lines);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    this.output.textContent = this.lines.join("\n");
    if (atBottom) this.output.scrollTop = this.output.scrollHeight;
  }

  event(timestamp, level, text) {
    this.events.prepend(h("li", { class: `level-${level}` }, h("time", {}, clock(timestamp)), h("span", {}, text)));
    while (this.events.children.length > 200) this.events.lastChild.remove();
  }
}
