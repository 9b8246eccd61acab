// CPU and memory per instance over time, with the vendored Chart.js (window.Chart).
// The x axis is linear in epoch milliseconds, so no date adapter is needed. The server sends a
// sample when the figures change: a value holds until the next one (stepped lines), and each line
// is drawn on to now, so an idle agent's flat line keeps moving.

const COLORS = ["#3b82f6", "#22c55e", "#f59e0b", "#ef4444", "#a78bfa", "#14b8a6", "#ec4899", "#eab308", "#64748b", "#f97316"];
const WINDOW_MS = 15 * 60 * 1000;
const HOLD_EVERY_MS = 5000; // how often the held values are drawn on to now

function lineChart(canvas, unit) {
  return new window.Chart(canvas, {
    type: "line",
    data: { datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      elements: { point: { radius: 0 }, line: { borderWidth: 1.5, tension: 0, stepped: "after" } },
      scales: {
        x: {
          type: "linear",
          ticks: { color: "#8b98a8", maxTicksLimit: 6, callback: (v) => new Date(v).toLocaleTimeString([], { hour12: false }) },
          grid: { color: "#222b35" },
        },
        y: { beginAtZero: true, ticks: { color: "#8b98a8", callback: (v) => `${v} ${unit}` }, grid: { color: "#222b35" } },
      },
      plugins: {
        legend: { labels: { color: "#d8dee6", boxWidth: 10 } },
        title: { display: true, text: unit === "%" ? "CPU" : "Memory", color: "#8b98a8" },
      },
    },
  });
}

export class ResourceCharts {
  constructor(cpuCanvas, memoryCanvas) {
    this.ready = Boolean(window.Chart);
    if (!this.ready) return;
    this.cpu = lineChart(cpuCanvas, "%");
    this.memory = lineChart(memoryCanvas, "MB");
    this.colors = new Map();
    // the held values move on to now only where someone can see them: a hidden tab, or charts
    // with no lines, cost nothing; a tab shown again is drawn at once
    setInterval(() => this.redrawIfSeen(), HOLD_EVERY_MS);
    document.addEventListener("visibilitychange", () => this.redrawIfSeen());
  }

  redrawIfSeen() {
    if (!document.hidden && this.cpu.data.datasets.length) this.redraw();
  }

  color(id) {
    if (!this.colors.has(id)) this.colors.set(id, COLORS[this.colors.size % COLORS.length]);
    return this.colors.get(id);
  }

  dataset(chart, id) {
    let set = chart.data.datasets.find((d) => d.label === id);
    if (!set) {
      set = { label: id, data: [], borderColor: this.color(id), backgroundColor: this.color(id) };
      chart.data.datasets.push(set);
    }
    return set;
  }

  // history: {id: [{timestamp, cpu_percent, memory_mb}]}
  load(history) {
    if (!this.ready) return;
    for (const [id, samples] of Object.entries(history)) {
      this.dataset(this.cpu, id).data = samples.map((s) => ({ x: Date.parse(s.timestamp), y: s.cpu_percent }));
      this.dataset(this.memory, id).data = samples.map((s) => ({ x: Date.parse(s.timestamp), y: s.memory_mb }));
    }
    this.redraw();
  }

  // a `metrics` message: {timestamp, instances: {id: {cpu_percent, memory_mb}}}
  add(message) {
    if (!this.ready) return;
    const x = Date.parse(message.timestamp);
    for (const [id, m] of Object.entries(message.instances)) {
      for (const [chart, y] of [[this.cpu, m.cpu_percent], [this.memory, m.memory_mb]]) {
        const data = this.dataset(chart, id).data;
        if (data.length && data[data.length - 1].held) data.pop();
        data.push({ x, y });
      }
    }
    this.redraw(x);
  }

  // drop instances that are no longer live
  keep(ids) {
    if (!this.ready) return;
    for (const chart of [this.cpu, this.memory]) {
      chart.data.datasets = chart.data.datasets.filter((d) => ids.has(d.label));
    }
    this.redraw();
  }

  redraw(now = Date.now()) {
    for (const chart of [this.cpu, this.memory]) {
      for (const set of chart.data.datasets) {
        const first = set.data.findIndex((p) => p.x >= now - WINDOW_MS);
        if (first > 0) set.data.splice(0, first);
        const last = set.data[set.data.length - 1];
        if (last && last.held) last.x = now;
        else if (last && last.x < now) set.data.push({ x: now, y: last.y, held: true });
      }
      chart.update("none");
    }
  }
}
