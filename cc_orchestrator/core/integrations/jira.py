"""Jira's REST API: issues in by JQL, and issues moved along their workflow.

Jira Cloud (`jira_email` + `jira_token`, HTTP Basic) answers `/rest/api/3/search/jql` with
token pagination; Jira Data Center (`jira_token` alone, a bearer token) only knows the older
`/rest/api/2/search`, which is used when the first one is not there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from cc_orchestrator.core.integrations.http import HttpClient
from cc_orchestrator.core.models import ExternalIssue, Priority
from cc_orchestrator.errors import Conflict, InvalidInput

TOKEN_SETTING = "CC_ORCHESTRATOR_JIRA_TOKEN"
_FIELDS = ["summary", "description", "priority", "status"]
_PRIORITIES = {
    "highest": Priority.HIGH,
    "blocker": Priority.HIGH,
    "critical": Priority.HIGH,
    "high": Priority.HIGH,
    "medium": Priority.MEDIUM,
    "major": Priority.MEDIUM,
    "low": Priority.LOW,
    "lowest": Priority.LOW,
    "minor": Priority.LOW,
    "trivial": Priority.LOW,
}
# When no transition reaches the configured status by name, one reaching this category will do.
_CATEGORIES = {"pending": "new", "in_progress": "indeterminate", "done": "done"}
_PAGE = 100


class Jira:
    def __init__(self, http: HttpClient, site: str) -> None:
        self.http = http
        self.site = site.rstrip("/")
        self.project = urlsplit(self.site).netloc  # the tasks' source_project

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> Jira:
        if not settings.jira_url:
            raise Conflict("Jira is not set up: set jira_url (CC_ORCHESTRATOR_JIRA_URL)")
        token = settings.jira_token.get_secret_value() if settings.jira_token else ""
        if not token:
            raise Conflict(f"Jira is not set up: set {TOKEN_SETTING}")
        email = (settings.jira_email or "").strip()
        http = HttpClient.from_settings(
            settings,
            "Jira",
            settings.jira_url,
            token_setting=TOKEN_SETTING + (" and jira_email" if email else ""),
            url_setting="jira_url",
            headers={"Accept": "application/json"} | ({} if email else {"Authorization": f"Bearer {token}"}),
            auth=(email, token) if email else None,
            secrets=[token],
            **kwargs,
        )
        return cls(http, settings.jira_url)

    def close(self) -> None:
        self.http.close()

    # -- search ---------------------------------------------------------------------------

    def search(self, jql: str) -> list[ExternalIssue]:
        jql = (jql or "").strip()
        if not jql:
            raise InvalidInput("a JQL query is needed, e.g. --jql 'project = PROJ AND statusCategory != Done'")
        raw = self._search_cloud(jql)
        if raw is None:
            raw = self._search_data_center(jql)
        return [self._issue(item) for item in raw]

    def _search_cloud(self, jql: str) -> list[dict] | None:
        issues: list[dict] = []
        body: dict[str, Any] = {"jql": jql, "maxResults": _PAGE, "fields": _FIELDS}
        while True:
            response = self.http.post("/rest/api/3/search/jql", json=body, what="the JQL search", ok=(404,))
            if response.status_code == 404:
                return None if not issues else issues
            page = response.json()
            issues.extend(page.get("issues") or [])
            token = page.get("nextPageToken")
            if page.get("isLast", not token) or not token:
                return issues
            body["nextPageToken"] = token

    def _search_data_center(self, jql: str) -> list[dict]:
        issues: list[dict] = []
        while True:
            params = {"jql": jql, "startAt": len(issues), "maxResults": _PAGE, "fields": ",".join(_FIELDS)}
            page = self.http.get("/rest/api/2/search", params=params, what="the JQL search").json()
            batch = page.get("issues") or []
            issues.extend(batch)
            if not batch or len(issues) >= int(page.get("total") or 0):
                return issues

    def _issue(self, item: dict[str, Any]) -> ExternalIssue:
        fields = item.get("fields") or {}
        key = item["key"]
        status = fields.get("status") or {}
        category = ((status.get("statusCategory") or {}).get("key") or "").lower()
        priority = ((fields.get("priority") or {}).get("name") or "").lower()
        return ExternalIssue(
            source="jira",
            source_project=self.project,
            source_id=key,
            source_url=f"{self.site}/browse/{key}",
            title=(fields.get("summary") or key).strip(),
            description=adf_text(fields.get("description")).strip(),
            priority=_PRIORITIES.get(priority, Priority.MEDIUM),
            closed=category == "done",
        )

    # -- workflow -------------------------------------------------------------------------

    def transition(self, key: str, target: str, task_status: str) -> str | None:
        """Move an issue to the status named `target`; return the status reached, or None when
        the workflow offers no way there from where the issue is (nothing changes then)."""
        path = f"/rest/api/2/issue/{quote(key)}/transitions"  # v2 exists on Cloud and Data Center
        offered = self.http.get(path, what=f"issue {key}").json().get("transitions") or []
        wanted = target.strip().lower()
        chosen = next((t for t in offered if ((t.get("to") or {}).get("name") or "").lower() == wanted), None)
        chosen = chosen or next((t for t in offered if (t.get("name") or "").lower() == wanted), None)
        category = _CATEGORIES.get(task_status)
        if chosen is None and category:
            by_category = [
                t for t in offered if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == category
            ]
            chosen = by_category[0] if len(by_category) == 1 else None
        if chosen is None:
            return None
        self.http.post(path, json={"transition": {"id": chosen["id"]}}, what=f"issue {key}")
        return (chosen.get("to") or {}).get("name") or chosen.get("name")


def adf_text(node: Any) -> str:
    """Plain text from Atlassian Document Format (Jira Cloud), or a plain string as it is."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(adf_text(n) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return node.get("text", "")
    if kind == "hardBreak":
        return "\n"
    inner = adf_text(node.get("content"))
    if kind == "listItem":
        return f"- {inner.strip()}\n"
    if kind in ("paragraph", "heading", "codeBlock", "blockquote", "bulletList", "orderedList", "rule"):
        return inner.rstrip("\n") + "\n\n"
    return inner
