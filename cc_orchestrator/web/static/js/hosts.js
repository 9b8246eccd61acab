// The hosts: each remote host's health in the header, and the choices of the host filter.
// With no remote host, both stay hidden (every instance runs here).

import { h } from "./dom.js";

// How long ago, coarsely: "<1m", "3m", "2h", "1d" (the TUI's AGE column reads the same).
export function since(iso, now = Date.now()) {
  const seconds = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "<1m";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export class Hosts {
  constructor(header, select) {
    this.header = header;
    this.select = select;
    this.remote = [];
  }

  show(hosts) {
    this.remote = hosts.filter((host) => !host.is_local);
    this.header.hidden = this.select.hidden = this.remote.length === 0;
    this.header.replaceChildren(
      "hosts: ",
      ...this.remote.flatMap((host, n) => [
        n ? " · " : "",
        h("span", { class: "host-health", dataset: { reachable: String(host.reachable) }, title: host.last_error || host.url },
          `${host.name} ${health(host)}`),
      ]),
    );
    const chosen = this.select.value;
    const names = ["local", ...this.remote.map((host) => host.name)];
    this.select.replaceChildren(
      h("option", { value: "" }, "all hosts"),
      ...names.map((name) => h("option", { value: name, selected: name === chosen }, name)),
    );
  }
}

function health(host) {
  if (!host.reachable) return `✗ ${since(host.unreachable_since)}`;
  return host.latency_ms === null || host.latency_ms === undefined ? "✓" : `✓ ${Math.round(host.latency_ms)}ms`;
}
