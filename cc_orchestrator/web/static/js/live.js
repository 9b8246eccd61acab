// The WebSocket at /ws: reconnects with backoff, dispatches messages by type.

export class Live {
  constructor(onState) {
    this.handlers = new Map();
    this.onState = onState;
    this.subscribed = null;
    this.delay = 500;
    this.socket = null;
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws`);
    this.socket = socket;
    this.onState("connecting");
    socket.addEventListener("open", () => {
      this.delay = 500;
      this.onState("live");
      if (this.subscribed) this.send({ type: "subscribe", instance_id: this.subscribed });
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      for (const handler of this.handlers.get(message.type) || []) handler(message);
      for (const handler of this.handlers.get("*") || []) handler(message);
    });
    socket.addEventListener("close", () => {
      this.onState("reconnecting");
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  follow(instanceId) {
    this.subscribed = instanceId || null;
    this.send(instanceId ? { type: "subscribe", instance_id: instanceId } : { type: "unsubscribe" });
  }
}
