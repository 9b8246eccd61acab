"""A fake Slack incoming webhook. Standard library only.

    with FakeSlack() as slack:
        httpx.post(slack.webhook_url, json={"text": "Task done"})     # -> 200 "ok"
        assert slack.messages == [{"text": "Task done"}]
        slack.fail_next(429, headers={"Retry-After": "1"}, body="rate_limited")

Answers as Slack does, in plain text: 200 "ok" for a JSON object with "text" or "blocks" POSTed
to `webhook_url` (a form field `payload=` holding the JSON works too); 400 "invalid_payload" for a
body that is not a JSON object; 400 "no_text" for one without "text" or "blocks"; 404
"no_service" for any other path (a wrong or revoked webhook).
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.http_fake import FakeServer, Recorded, Response


class FakeSlack(FakeServer):
    """One incoming webhook; `messages` holds each accepted payload."""

    def __init__(self) -> None:
        super().__init__()
        self.secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
        self.path = f"/services/T00000000/B00000000/{self.secret}"
        self.messages: list[dict[str, Any]] = []

    @property
    def webhook_url(self) -> str:
        return self.base_url + self.path

    def handle(self, request: Recorded) -> Response:
        if request.path != self.path:
            return Response(404, "no_service")
        if request.method != "POST":
            return Response(400, "invalid_payload")
        payload = request.json()
        if payload is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            try:
                payload = json.loads(parse_qs(request.body.decode()).get("payload", [""])[0])
            except ValueError:
                payload = None
        if not isinstance(payload, dict):
            return Response(400, "invalid_payload")
        if not (payload.get("text") or payload.get("blocks")):
            return Response(400, "no_text")
        self.messages.append(payload)
        return Response(200, "ok")
