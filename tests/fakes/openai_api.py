"""A scripted fake of the OpenAI Responses API, so the real Codex CLI runs offline.

It imitates what Codex 0.171 calls when its config names a custom provider with
`base_url = api.base_url + "/v1"` and `wire_api = "responses"`: `POST /v1/responses` with
`stream: true`, answered as server-sent events (`event: NAME` + `data: JSON` with the same
`type`). Codex needs `response.output_item.done` for each item and `response.completed` (with
`usage`) to end a reply; the other events (`response.created`, `…output_item.added`,
`…output_text.delta`, `…function_call_arguments.delta`) drive its live view. Codex 0.171 calls
nothing else of a custom provider (no models list, no websocket); any other path would get a
harmless JSON answer (`{"object": "list", "data": [], "models": []}`). Every request is logged in
`calls`. Standard library only.

    with FakeOpenAIAPI() as api:    # 127.0.0.1, a free port, a background thread
        provider_base_url = api.base_url + "/v1"    # config.toml: [model_providers.X] base_url
        api.delay = 3.0                             # hold replies: the working state shows

The script (`reply_for`) reads the `input` of each request:

* a side request with a JSON schema (`text.format`)  -> JSON filling it: the thread title that
                                                       Codex asks for after the first prompt
                                                       (in a thread of its own: it runs
                                                       `notify` too) gets {"title": TITLE}
* the newest input is a tool call's output          -> the text "Done." (the turn ends)
* the user's newest prompt contains "create NAME"   -> a shell call `echo hello > NAME`
                                                       through the tool Codex offers (0.171:
                                                       `exec_command` {"cmd": …}), asking for
                                                       escalation so Codex asks the user first
* anything else                                     -> "Hello from the fake API."

Every reply reports the same usage (INPUT_TOKENS in, OUTPUT_TOKENS out, TOTAL_TOKENS) so tests
can check it: Codex sums it per thread in its rollout (`token_count` events) and exit summary.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INPUT_TOKENS = 123
OUTPUT_TOKENS = 45
TOTAL_TOKENS = INPUT_TOKENS + OUTPUT_TOKENS
HELLO_REPLY = "Hello from the fake API."
DONE_REPLY = "Done."
TITLE = "Fake task title"  # the answer to the side request for a thread title
FILE_CONTENT = "hello\n"  # what the shell call writes into NAME
# user-role blocks the CLI itself adds to `input`; they are not the user's prompt
HARNESS_PREFIXES = ("<environment_context>", "<user_instructions>", "<turn_aborted>", "# AGENTS.md", "<skill")


def _id(prefix: str) -> str:
    return f"{prefix}_fake{uuid.uuid4().hex[:20]}"


# -- the script ----------------------------------------------------------------------------


def _texts(item: dict) -> list[str]:
    content = item.get("content")
    if isinstance(content, str):
        return [content]
    return [part.get("text", "") for part in content or [] if isinstance(part, dict)]


def _is_prompt(item: dict) -> bool:
    """A user message the user typed, not one of the blocks the CLI adds (environment, AGENTS.md)."""
    if item.get("type", "message") != "message" or item.get("role") != "user":
        return False
    return any(text.strip() and not text.lstrip().startswith(HARNESS_PREFIXES) for text in _texts(item))


def _prompt(body: dict) -> str:
    """The user's newest words."""
    prompts = [item for item in _inputs(body) if _is_prompt(item)]
    texts = _texts(prompts[-1]) if prompts else []
    return "\n".join(t for t in texts if not t.lstrip().startswith(HARNESS_PREFIXES)).strip()


def _inputs(body: dict) -> list[dict]:
    items = body.get("input")
    if isinstance(items, str):
        return [{"type": "message", "role": "user", "content": items}]
    return [item for item in items or [] if isinstance(item, dict)]


def _answers_tool(body: dict) -> bool:
    """Whether the newest input (after the newest prompt) is a tool call's output."""
    newest = None
    for item in _inputs(body):
        if _is_prompt(item):
            newest = "prompt"
        elif item.get("type") in ("function_call_output", "custom_tool_call_output"):
            newest = "output"
    return newest == "output"


def _tool_names(body: dict) -> set[str]:
    return {tool.get("name") or tool.get("type") for tool in body.get("tools") or [] if isinstance(tool, dict)}


def shell_call(body: dict, command: str, reason: str) -> dict:
    """A function_call running `command` through whichever shell tool the request offers."""
    tools = _tool_names(body)
    if "exec_command" in tools or not tools & {"shell", "shell_command"}:  # 0.171: unified exec
        name = "exec_command"
        args: dict[str, Any] = {"cmd": command, "sandbox_permissions": "require_escalated", "justification": reason}
    elif "shell_command" in tools:
        name, args = (
            "shell_command",
            {"command": command, "sandbox_permissions": "require_escalated", "justification": reason},
        )
    else:
        name, args = (
            "shell",
            {"command": ["bash", "-lc", command], "sandbox_permissions": "require_escalated", "justification": reason},
        )
    return {
        "type": "function_call",
        "id": _id("fc"),
        "call_id": _id("call"),
        "name": name,
        "arguments": json.dumps(args),
        "status": "completed",
    }


def _message(text: str) -> dict:
    return {
        "type": "message",
        "id": _id("msg"),
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def _fill(schema: dict) -> Any:
    """A small value matching a simple JSON schema (the title request asks for {"title": str})."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {key: _fill(value) for key, value in (schema.get("properties") or {}).items()}
    return {"array": [], "boolean": False, "integer": 0, "number": 0, "null": None}.get(kind, TITLE)


def reply_for(body: dict) -> list[dict]:
    """The output items of one Responses request."""
    text_format = (body.get("text") or {}).get("format") or {}
    if text_format.get("type") == "json_schema":  # a side request: the thread title
        return [_message(json.dumps(_fill(text_format.get("schema") or {})))]
    if _answers_tool(body):
        return [_message(DONE_REPLY)]
    match = re.search(r"\bcreate\s+([\w./-]+)", _prompt(body))
    if match:
        name = match.group(1).rstrip(".")
        return [_message(f"I'll create {name}."), shell_call(body, f"echo hello > {name}", f"Create {name}?")]
    return [_message(HELLO_REPLY)]


def usage() -> dict:
    return {
        "input_tokens": INPUT_TOKENS,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": OUTPUT_TOKENS,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": TOTAL_TOKENS,
    }


def response(output: list[dict], model: str, response_id: str, status: str = "completed") -> dict:
    """The response object, as `response.created` (in progress) and `response.completed` carry it."""
    done = status == "completed"
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        "output": output if done else [],
        "usage": usage() if done else None,
        "error": None,
        "incomplete_details": None,
    }


def _item_events(index: int, item: dict) -> list[dict]:
    """output_item.added, the deltas and output_item.done of one item."""
    if item["type"] == "message":
        text = item["content"][0]["text"]
        empty, part = (
            {**item, "status": "in_progress", "content": []},
            {"type": "output_text", "text": "", "annotations": []},
        )
        where = {"item_id": item["id"], "output_index": index, "content_index": 0}
        middle = [
            {"type": "response.content_part.added", **where, "part": part},
            {"type": "response.output_text.delta", **where, "delta": text},
            {"type": "response.output_text.done", **where, "text": text},
            {"type": "response.content_part.done", **where, "part": {**part, "text": text}},
        ]
    else:
        empty = {**item, "status": "in_progress", "arguments": ""}
        where = {"item_id": item["id"], "output_index": index}
        middle = [
            {"type": "response.function_call_arguments.delta", **where, "delta": item["arguments"]},
            {"type": "response.function_call_arguments.done", **where, "arguments": item["arguments"]},
        ]
    return [
        {"type": "response.output_item.added", "output_index": index, "item": empty},
        *middle,
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]


def stream_events(output: list[dict], model: str) -> list[dict]:
    """The server-sent events of one reply: created, in_progress, each item, completed."""
    response_id = _id("resp")
    events = [
        {"type": "response.created", "response": response(output, model, response_id, "in_progress")},
        {"type": "response.in_progress", "response": response(output, model, response_id, "in_progress")},
    ]
    for index, item in enumerate(output):
        events += _item_events(index, item)
    events.append({"type": "response.completed", "response": response(output, model, response_id)})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


# -- the server ----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as reqwest expects
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

    def _other(self) -> None:
        self.server.log_call(self.command, self.path)
        self._json({"object": "list", "data": [], "models": []})

    do_GET = do_HEAD = do_PUT = do_DELETE = _other

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.log_call(self.command, self.path)
        try:
            body = json.loads(raw or b"null")
        except ValueError:  # Codex may compress request bodies (zstd); not seen with custom providers
            body = None
        if not (self.path.split("?")[0].rstrip("/") == "/v1/responses" and isinstance(body, dict)):
            self._json({})
            return
        self.server.record(body)
        output, model = reply_for(body), body.get("model") or "gpt-fake"
        if not body.get("stream"):
            self._json(response(output, model, _id("resp")))
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")  # no Content-Length: the body ends at close
        self.end_headers()
        for number, event in enumerate(stream_events(output, model)):
            self.wfile.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            if number == 0 and self.server.delay():
                time.sleep(self.server.delay())  # after response.created: Codex shows it working
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: FakeOpenAIAPI) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.record = api._record
        self.log_call = api._log_call
        self.delay = lambda: api.delay

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the CLI drops connections on purpose (Esc mid-reply, exit)


class FakeOpenAIAPI:
    """The fake server on 127.0.0.1 and a free port.

    `requests` holds each Responses body; `calls` each (method, path) received, whatever the path.
    Set `delay` (seconds) to hold each reply after `response.created`, so the working state shows.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[dict] = []
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai-api", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _record(self, body: dict) -> None:
        with self._lock:
            self.requests.append(body)

    def _log_call(self, method: str, path: str) -> None:
        with self._lock:
            self.calls.append((method, path))

    def start(self) -> FakeOpenAIAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
