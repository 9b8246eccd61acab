"""Slack notices through an incoming webhook.

The webhook URL is the secret (anyone holding it can post), so it comes from
CC_ORCHESTRATOR_SLACK_WEBHOOK_URL or the keyring and never appears in a message.
"""

from __future__ import annotations

from typing import Any

from cc_orchestrator.core.integrations.http import HttpClient
from cc_orchestrator.errors import Conflict, IntegrationError

URL_SETTING = "CC_ORCHESTRATOR_SLACK_WEBHOOK_URL"


class Slack:
    def __init__(self, http: HttpClient, url: str) -> None:
        self.http = http
        self.url = url

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> Slack:
        url = settings.slack_webhook_url.get_secret_value() if settings.slack_webhook_url else ""
        if not url.startswith(("https://", "http://")):
            raise Conflict(f"Slack is not set up: set {URL_SETTING} to an incoming-webhook URL")
        http = HttpClient.from_settings(
            settings,
            "Slack",
            url,
            token_setting=URL_SETTING,
            url_setting=URL_SETTING,
            secrets=[url, url.rsplit("/", 1)[-1]],
            show_url=False,
            **kwargs,
        )
        return cls(http, url)

    def close(self) -> None:
        self.http.close()

    def post(self, text: str) -> None:
        response = self.http.post(self.url, json={"text": text, "unfurl_links": False}, ok=(400, 403, 404, 410))
        if response.is_success:
            return
        reason = response.text.strip()[:60] or "no reason given"
        if response.status_code == 400:
            raise IntegrationError(f"Slack refused the message (400 {reason})")
        raise IntegrationError(
            f"Slack refused the webhook ({response.status_code} {reason}): it was removed or mistyped; "
            f"check {URL_SETTING}"
        )
