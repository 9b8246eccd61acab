"""A scripted fake of the Anthropic Messages API, so the real Claude Code CLI runs offline.

It imitates what Claude Code 2.1.x calls with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1:
`HEAD /` (a connectivity check) and `POST /v1/messages` with `stream: true`, answered as
server-sent events. Any other path gets an empty JSON object. Standard library only.

    with FakeAnthropicAPI() as api:    # 127.0.0.1, a free port, a background thread
        env["ANTHROPIC_BASE_URL"] = api.base_url

The script (`reply_for`) reads the conversation in each request:

* the last user turn only answers a tool call        -> the text "Done." (end_turn)
* a side request (no tools), such as the session title -> JSON filling the requested schema
* the prompt contains "create NAME"                    -> a Write tool call creating NAME
                                                          with `print("hello")\n`
* anything else                                        -> "Hello from the fake API."

Every reply reports the same usage (INPUT_TOKENS in, OUTPUT_TOKENS out) so tests can check it.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INPUT_TOKENS = 123
OUTPUT_TOKENS = 45
HELLO = 'print("hello")\n'


def _id(prefix: str) -> str:
    return f"{prefix}_fake{uuid.uuid4().hex[:20]}"


# -- the script ----------------------------------------------------------------------------


def _blocks(message: dict) -> list[dict]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _last_user_blocks(body: dict) -> list[dict]:
    """The blocks of the last user message after its last tool_result: the new prompt, if any.

    Claude Code merges a prompt typed after a rejected tool call into the tool_result's message.
    """
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    blocks = _blocks(users[-1]) if users else []
    results = [i for i, b in enumerate(blocks) if b.get("type") == "tool_result"]
    return blocks[results[-1] + 1 :] if results else blocks


def _prompt(body: dict) -> str:
    """The user's newest words, without the CLI's reminders and interruption notes."""
    texts = []
    for block in _last_user_blocks(body):
        text = re.sub(r"<system-reminder>.*?</system-reminder>", "", block.get("text", ""), flags=re.S).strip()
        if text and not text.startswith("[Request interrupted"):
            texts.append(text)
    return "\n".join(texts)


def _answers_tool(body: dict) -> bool:
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    last = _blocks(users[-1]) if users else []
    return any(b.get("type") == "tool_result" for b in last) and not _prompt(body)


def _fill(schema: dict) -> Any:
    """A small value matching a simple JSON schema (the title request asks for {"title": str})."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {key: _fill(value) for key, value in (schema.get("properties") or {}).items()}
    return {"array": [], "boolean": False, "integer": 0, "number": 0, "null": None}.get(kind, "Fake session title")


def reply_for(body: dict) -> list[dict]:
    """The assistant's content blocks for one Messages request."""
    if _answers_tool(body):
        return [{"type": "text", "text": "Done."}]
    if not body.get("tools"):  # a side request: the session title, a summary
        schema = ((body.get("output_config") or {}).get("format") or {}).get("schema")
        return [{"type": "text", "text": json.dumps(_fill(schema)) if schema else "Fake session title"}]
    match = re.search(r"\bcreate\s+([\w./-]+)", _prompt(body))
    if match:
        name = match.group(1)
        return [
            {"type": "text", "text": f"I'll create {name}."},
            {"type": "tool_use", "id": _id("toolu"), "name": "Write", "input": {"file_path": name, "content": HELLO}},
        ]
    return [{"type": "text", "text": "Hello from the fake API."}]


def message(content: list[dict], model: str) -> dict:
    """A whole reply as the non-streaming API returns it."""
    stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
    usage = {
        "input_tokens": INPUT_TOKENS,
        "output_tokens": OUTPUT_TOKENS,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    return {
        "id": _id("msg"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def stream_events(content: list[dict], model: str) -> list[tuple[str, dict]]:
    """The server-sent events of the same reply: message_start, blocks, message_delta, stop."""
    whole = message(content, model)
    start = {**whole, "content": [], "stop_reason": None, "usage": {**whole["usage"], "output_tokens": 1}}
    events = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(content):
        if block["type"] == "text":
            empty, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
        else:
            empty = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        events += [
            ("content_block_start", {"type": "content_block_start", "index": index, "content_block": empty}),
            ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": index}),
        ]
    events += [
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": whole["stop_reason"], "stop_sequence": None},
                "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


# -- the server ----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK expects
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, value: Any) -> None:
        data = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self) -> None:
        self._json({})

    def do_GET(self) -> None:
        self._json({})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not (self.path.split("?")[0].rstrip("/") == "/v1/messages" and isinstance(body, dict)):
            self._json({})
            return
        self.server.record(body)
        content = reply_for(body)
        model = body.get("model") or "claude-fake"
        if not body.get("stream"):
            self._json(message(content, model))
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")  # no Content-Length: the body ends at close
        self.end_headers()
        for name, data in stream_events(content, model):
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: FakeAnthropicAPI) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.record = api._record

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the CLI drops connections on purpose (Esc mid-reply, exit)


class FakeAnthropicAPI:
    """The fake server on 127.0.0.1 and a free port; `requests` holds each Messages body."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-anthropic-api", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _record(self, body: dict) -> None:
        with self._lock:
            self.requests.append(body)

    def start(self) -> FakeAnthropicAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeAnthropicAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
