"""A fake Jira REST API: Cloud by default, Data Center with `cloud = False`. Standard library only.

    with FakeJira() as jira:                        # dev@example.com / jira_fake_token_0123456789
        key = jira.add_issue("Login fails", "Steps:\\n\\n1. open the page")     # -> "PROJ-1"
        client = JiraClient(site=jira.url, email=jira.email, token=jira.token)
        assert jira.issues[key]["status"] == "In Progress"

Routes (HTTP Basic email:token; with `cloud = False` a Bearer token is accepted too):

    POST|GET /rest/api/3/search/jql          {jql, maxResults, nextPageToken, fields}: Cloud's search,
                                             paged by nextPageToken; like the real one it returns
                                             only {"id"} per issue unless `fields` asks for more
                                             ("*all", "*navigable" or names such as "summary")
    GET      /rest/api/2/search              ?jql &startAt &maxResults: Data Center's search, with
                                             "total" and plain-string descriptions
    GET      /rest/api/{2,3}/issue/{key}     one issue (v3: description as an ADF document)
    GET      /rest/api/{2,3}/issue/{key}/transitions   the transitions from the current status
    POST     /rest/api/{2,3}/issue/{key}/transitions   {"transition": {"id": ID}} -> 204

Cloud answers the removed /rest/api/{2,3}/search with 410; Data Center has no /rest/api/3 at all
(404). JQL: clauses joined by AND on project (=, !=, in, not in), status, statusCategory (name or
key); `labels` clauses match everything; ORDER BY is ignored and results come by key number.
"""

from __future__ import annotations

import base64
import itertools
import re
from typing import Any

from tests.fakes.http_fake import FakeServer, Recorded, Response

CATEGORIES = {"To Do": "new", "In Progress": "indeterminate", "In Review": "indeterminate", "Done": "done"}
CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
Transition = tuple[str, str, str]  # id, name, the status it leads to
DEFAULT_WORKFLOW: dict[str, list[Transition]] = {
    "To Do": [("11", "Start progress", "In Progress"), ("31", "Done", "Done")],
    "In Progress": [("21", "Request review", "In Review"), ("31", "Done", "Done"), ("41", "Stop progress", "To Do")],
    "In Review": [("31", "Done", "Done"), ("11", "Back to work", "In Progress")],
    "Done": [("51", "Reopen", "To Do")],
}
REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
_API = r"/rest/api/(?P<version>[23])"
_CLAUSE = re.compile(
    r"(?P<field>project|status|statusCategory|labels)\s*(?P<op>!=|=|not\s+in\b|in\b)\s*"
    r"""(?P<value>\([^)]*\)|"[^"]*"|'[^']*'|[\w.-]+)""",
    re.I,
)


def errors(status: int, *messages: str) -> Response:
    return Response(status, {"errorMessages": list(messages), "errors": {}})


def adf(text: str) -> dict[str, Any] | None:
    """Plain text as an Atlassian Document: one paragraph per blank-line-separated block."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": block}]} for block in blocks]
    return {"type": "doc", "version": 1, "content": paragraphs} if paragraphs else None


def parse_jql(jql: str) -> list[tuple[str, str, list[str]]]:
    """(field, operator, values) for each clause; ValueError names a part it cannot read."""
    text = re.split(r"\border\s+by\b", jql, maxsplit=1, flags=re.I)[0].strip()
    if not text:
        return []
    clauses = []
    for part in re.split(r"""\s+and\s+(?=(?:[^"']*["'][^"']*["'])*[^"']*$)""", text, flags=re.I):
        match = _CLAUSE.fullmatch(part.strip())
        op = " ".join(match["op"].lower().split()) if match else ""
        if not match or (op in ("in", "not in")) != match["value"].startswith("("):
            raise ValueError(part.strip())
        values = [value.strip().strip("\"'") for value in match["value"].strip("()").split(",")]
        clauses.append((match["field"].lower(), op, values))
    return clauses


class FakeJira(FakeServer):
    """Issues, a workflow and JQL search in memory, behind Basic auth."""

    def __init__(self, email: str = "dev@example.com", token: str = "jira_fake_token_0123456789") -> None:
        super().__init__()
        self.email, self.token = email, token
        self.cloud = True
        self.issues: dict[str, dict[str, Any]] = {}  # key -> summary, description, priority, status, project
        self.workflow: dict[str, list[Transition]] = {status: list(ts) for status, ts in DEFAULT_WORKFLOW.items()}
        self.categories = dict(CATEGORIES)  # status name -> category key
        self._numbers: dict[str, int] = {}
        self._ids = itertools.count(10001)
        self.route("POST", r"/rest/api/3/search/jql", self._search_jql)
        self.route("GET", r"/rest/api/3/search/jql", self._search_jql)
        self.route("GET", _API + r"/search", self._search_v2)
        self.route("POST", _API + r"/search", self._search_v2)
        self.route("GET", _API + r"/issue/(?P<key>[^/]+)", self._get_issue)
        self.route("GET", _API + r"/issue/(?P<key>[^/]+)/transitions", self._transitions)
        self.route("POST", _API + r"/issue/(?P<key>[^/]+)/transitions", self._transition)

    @property
    def url(self) -> str:
        """The site URL, e.g. what https://acme.atlassian.net would be."""
        return self.base_url

    def add_issue(
        self,
        summary: str,
        description: str = "",
        priority: str = "Medium",
        status: str = "To Do",
        project: str = "PROJ",
    ) -> str:
        """A new issue; returns its key, numbered per project ("PROJ-1", "PROJ-2", ...)."""
        number = self._numbers[project] = self._numbers.get(project, 0) + 1
        key = f"{project}-{number}"
        self.issues[key] = {
            "id": str(next(self._ids)),
            "summary": summary,
            "description": description,
            "priority": priority,
            "status": status,
            "project": project,
        }
        return key

    # -- auth and routing --------------------------------------------------------------------

    def handle(self, request: Recorded) -> Response:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        basic = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if not (
            (scheme.lower() == "basic" and credential.strip() == basic)
            or (not self.cloud and scheme.lower() == "bearer" and credential.strip() == self.token)
        ):
            return errors(401, "Client must be authenticated to access this resource.")
        if not self.cloud and request.path.startswith("/rest/api/3/"):
            return self.not_found(request)
        return self.dispatch(request)

    def not_found(self, request: Recorded) -> Response:
        return Response(404, {"message": f"null for uri: {self.base_url}{request.path}", "status-code": 404})

    # -- JSON as Jira shows it ---------------------------------------------------------------

    def _status_json(self, name: str) -> dict[str, Any]:
        category = self.categories.get(name, "indeterminate")
        return {"name": name, "statusCategory": {"key": category, "name": CATEGORY_NAMES.get(category, category)}}

    def _issue_json(self, key: str, version: str = "3", fields: list[str] | None = None) -> dict[str, Any]:
        issue = self.issues[key]
        description = issue["description"] or None
        values = {
            "summary": issue["summary"],
            "description": adf(issue["description"]) if version == "3" else description,
            "priority": {"name": issue["priority"]},
            "status": self._status_json(issue["status"]),
            "project": {"key": issue["project"]},
        }
        if fields is not None and not {"*all", "*navigable"} & set(fields):
            values = {name: value for name, value in values.items() if name in fields}
        self_url = f"{self.base_url}/rest/api/{version}/issue/{issue['id']}"
        return {"expand": "", "id": issue["id"], "self": self_url, "key": key, "fields": values}

    def _find(self, key: str) -> str | None:
        """The key of the issue with this key or id."""
        if key in self.issues:
            return key
        return next((k for k, issue in self.issues.items() if issue["id"] == key), None)

    def _matching(self, jql: str) -> list[str]:
        """The keys matching `jql`, by key number; ValueError when it cannot be read."""
        clauses = parse_jql(jql)

        def matches(issue: dict[str, Any], field: str, op: str, values: list[str]) -> bool:
            if field == "labels":
                return True
            if field == "statuscategory":
                category = self.categories.get(issue["status"], "indeterminate")
                actual = {category, CATEGORY_NAMES.get(category, category).lower()}
            else:
                actual = {issue[field].lower()}
            hit = bool(actual & {value.lower() for value in values})
            return hit if op in ("=", "in") else not hit

        keys = [key for key, issue in self.issues.items() if all(matches(issue, *clause) for clause in clauses)]
        return sorted(keys, key=lambda key: (int(key.rpartition("-")[2]), key))

    # -- routes ------------------------------------------------------------------------------

    def _search_jql(self, request: Recorded) -> Response:
        if request.method == "GET":
            params: Any = {name: values[0] for name, values in request.query.items()}
            params["fields"] = [f for values in request.query.get("fields", []) for f in values.split(",")] or None
        else:
            params = request.json()
            if not isinstance(params, dict):
                return errors(400, "Invalid request payload. Refer to the REST API documentation and try again.")
        jql = params.get("jql") or ""
        try:
            if not parse_jql(jql):
                return errors(
                    400, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
                )
            keys = self._matching(jql)
        except ValueError as error:
            return errors(400, f"Error in the JQL Query: the clause '{error}' could not be parsed.")
        try:
            size = min(max(int(params.get("maxResults") or 50), 1), 100)
            token = params.get("nextPageToken")
            start = int(base64.urlsafe_b64decode(token).decode().removeprefix("offset:")) if token else 0
        except ValueError:
            return errors(400, "The provided next page token is invalid or expired.")
        fields = params.get("fields")
        page = [
            self._issue_json(key, "3", fields) if fields else {"id": self.issues[key]["id"]}
            for key in keys[start : start + size]
        ]
        body: dict[str, Any] = {"issues": page, "isLast": start + size >= len(keys)}
        if not body["isLast"]:
            body["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode()
        return Response(200, body)

    def _search_v2(self, request: Recorded, version: str) -> Response:
        if self.cloud:
            return errors(410, REMOVED)
        try:
            keys = self._matching(request.param("jql") or "")
        except ValueError as error:
            return errors(400, f"Error in the JQL Query: the clause '{error}' could not be parsed.")
        try:
            start = max(int(request.param("startAt") or 0), 0)
            size = min(max(int(request.param("maxResults") or 50), 0), 1000)
        except ValueError:
            return errors(400, "The value of startAt or maxResults is not a number.")
        issues = [self._issue_json(key, "2") for key in keys[start : start + size]]
        return Response(
            200, {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(keys), "issues": issues}
        )

    def _get_issue(self, request: Recorded, version: str, key: str) -> Response:
        found = self._find(key)
        if found is None:
            return errors(404, "Issue does not exist or you do not have permission to see it.")
        return Response(200, self._issue_json(found, version))

    def _transitions(self, request: Recorded, version: str, key: str) -> Response:
        found = self._find(key)
        if found is None:
            return errors(404, "Issue does not exist or you do not have permission to see it.")
        transitions = [
            {"id": tid, "name": name, "to": self._status_json(to), "hasScreen": False}
            for tid, name, to in self.workflow.get(self.issues[found]["status"], [])
        ]
        return Response(200, {"expand": "transitions", "transitions": transitions})

    def _transition(self, request: Recorded, version: str, key: str) -> Response:
        found = self._find(key)
        if found is None:
            return errors(404, "Issue does not exist or you do not have permission to see it.")
        data = request.json()
        wanted = data.get("transition") if isinstance(data, dict) else None
        if not isinstance(wanted, dict) or "id" not in wanted:
            return errors(400, "Missing 'transition' identifier")
        issue = self.issues[found]
        for tid, _name, to in self.workflow.get(issue["status"], []):
            if tid == str(wanted["id"]):
                issue["status"] = to
                return Response(204)
        return errors(400, f"Transition id '{wanted['id']}' is not valid for this issue.")
