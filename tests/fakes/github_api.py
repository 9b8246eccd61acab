"""A fake GitHub REST API (served under /api/v3, like GitHub Enterprise). Standard library only.

    with FakeGitHub() as gh:                       # token "ghp_fake_token_0123456789"
        gh.add_issue("acme/app", "Crash on start", labels=["bug"])      # -> 1
        client = GitHubClient(base_url=gh.api_url, token=gh.token)
        gh.issues["acme/app"][1]["state"] = "closed"                    # edit state directly
        assert gh.comments[("acme/app", 1)][0]["body"] == "..."

Routes (all under `api_url`; `Authorization: Bearer TOKEN` or `token TOKEN`, or none at all for
reading, as for public repositories; a wrong token is always refused):

    GET   /repos/{o}/{r}                       the repository, or 404
    GET   /repos/{o}/{r}/issues                ?state=open|closed|all &labels=a,b &per_page &page;
                                               newest first, pull requests included (they carry a
                                               "pull_request" key), a `Link` header between pages
    GET   /repos/{o}/{r}/issues/{n}            one issue
    PATCH /repos/{o}/{r}/issues/{n}            {title, body, state, state_reason, labels}
    POST  /repos/{o}/{r}/issues/{n}/comments   {body} -> 201
    GET   /repos/{o}/{r}/pulls                 ?head=OWNER:BRANCH &state (paginated too)
    POST  /repos/{o}/{r}/pulls                 {title, head, base, body, draft} -> 201, or 422 when a
                                               field is missing or an open pull has the same head
    GET   /repos/{o}/{r}/pulls/{n}             one pull ("merged": true after `merge_pull`), with an
                                               ETag; If-None-Match with it -> 304, which costs no
                                               rate limit

Failures as GitHub sends them: 401 "Bad credentials"; 403 "API rate limit exceeded ..." once
`rate_limit_remaining` reaches 0, until `rate_limit_reset_in` seconds after the window started;
403 "Resource not accessible by personal access token" for writes when `read_only`. Every
answer carries the X-RateLimit-* headers.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from typing import Any
from urllib.parse import urlencode

from tests.fakes.http_fake import FakeServer, Recorded, Response

PREFIX = "/api/v3"
WEB = "https://github.example.com"
DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
_REPO = PREFIX + r"/repos/(?P<repo>[^/]+/[^/]+)"
_WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _error(status: int, message: str, **extra: Any) -> Response:
    return Response(status, {"message": message, **extra, "documentation_url": DOCS, "status": str(status)})


def _invalid(resource: str, field: str, code: str = "missing_field") -> Response:
    return _error(422, "Validation Failed", errors=[{"resource": resource, "field": field, "code": code}])


class FakeGitHub(FakeServer):
    """Repositories, issues, pulls and comments in memory, behind GitHub's auth and rate limit."""

    def __init__(self, token: str = "ghp_fake_token_0123456789") -> None:
        super().__init__()
        self.token = token
        self.repos: dict[str, dict[str, Any]] = {}  # "owner/name" -> {"default_branch": ...}
        self.issues: dict[str, dict[int, dict[str, Any]]] = {}  # repo -> number -> issue
        self.pulls: dict[str, list[dict[str, Any]]] = {}  # repo -> pulls as the API shows them
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.read_only = False
        self.rate_limit_remaining = RATE_LIMIT
        self.rate_limit_reset_in = 60.0
        self._window_start: float | None = None  # set by the first authenticated request
        self._numbers: dict[str, int] = {}
        self._ids = itertools.count(1001)
        self.route("GET", _REPO, self._get_repo)
        self.route("GET", _REPO + "/issues", self._list_issues)
        self.route("GET", _REPO + r"/issues/(?P<number>\d+)", self._get_issue)
        self.route("PATCH", _REPO + r"/issues/(?P<number>\d+)", self._update_issue)
        self.route("POST", _REPO + r"/issues/(?P<number>\d+)/comments", self._add_comment)
        self.route("GET", _REPO + "/pulls", self._list_pulls)
        self.route("POST", _REPO + "/pulls", self._create_pull)
        self.route("GET", _REPO + r"/pulls/(?P<number>\d+)", self._get_pull)

    @property
    def api_url(self) -> str:
        return self.base_url + PREFIX

    # -- for tests ---------------------------------------------------------------------------

    def add_repo(self, repo: str, default_branch: str = "main") -> None:
        """Create "owner/name" (adding an issue creates its repository too)."""
        self.repos.setdefault(repo, {"default_branch": default_branch})
        self.issues.setdefault(repo, {})
        self.pulls.setdefault(repo, [])

    def add_issue(
        self,
        repo: str,
        title: str,
        body: str = "",
        labels: list[str] | tuple[str, ...] = (),
        state: str = "open",
        pull_request: bool = False,
    ) -> int:
        """A new issue (or, with pull_request, an entry of the issue list that is a pull)."""
        self.add_repo(repo)
        number = self._numbers[repo] = self._numbers.get(repo, 0) + 1
        now = _now()
        self.issues[repo][number] = {
            "id": next(self._ids),
            "title": title,
            "body": body,
            "labels": list(labels),
            "state": state,
            "state_reason": "completed" if state == "closed" else None,
            "pull_request": pull_request,
            "created_at": now,
            "updated_at": now,
            "closed_at": now if state == "closed" else None,
        }
        return number

    def merge_pull(self, repo: str, number: int) -> None:
        """Merge an open pull request, as its Merge button would."""
        pull = next(pull for pull in self.pulls[repo] if pull["number"] == number)
        pull.update(state="closed", merged=True, merged_at=_now(), updated_at=_now())
        self.issues[repo][number].update(state="closed", closed_at=_now(), updated_at=_now())

    def exhaust_rate_limit(self, reset_in: float | None = None) -> None:
        """No requests left from now on, for `reset_in` seconds (default: `rate_limit_reset_in`)."""
        self.rate_limit_remaining = 0
        self.rate_limit_reset_in = self.rate_limit_reset_in if reset_in is None else reset_in
        self._window_start = time.time()

    # -- auth, rate limit, permissions -------------------------------------------------------

    def _reset_at(self) -> float:
        return (self._window_start or time.time()) + self.rate_limit_reset_in

    def handle(self, request: Recorded) -> Response:
        if not request.path.startswith(PREFIX + "/"):
            return self.not_found(request)
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if not header:  # anonymous, as on GitHub: public repositories may be read, not written
            if request.method in _WRITES:
                return _error(401, "Requires authentication")
        elif scheme.lower() not in ("bearer", "token") or credential.strip() != self.token:
            return _error(401, "Bad credentials")
        now = time.time()
        if self._window_start is None:
            self._window_start = now
        elif now >= self._reset_at():
            self.rate_limit_remaining, self._window_start = RATE_LIMIT, now
        if self.rate_limit_remaining <= 0:
            return Response(
                403,
                {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": DOCS + "/overview/rate-limits-for-the-rest-api",
                },
            )
        self.rate_limit_remaining -= 1
        if self.read_only and request.method in _WRITES:
            return _error(403, "Resource not accessible by personal access token")
        response = self.dispatch(request)
        if response.status == 304:  # a conditional request that finds nothing new is free, as on GitHub
            self.rate_limit_remaining += 1
        return response

    def not_found(self, request: Recorded) -> Response:
        return _error(404, "Not Found")

    def finish(self, request: Recorded, response: Response) -> Response:
        remaining = max(self.rate_limit_remaining, 0)
        headers = {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Used": str(RATE_LIMIT - remaining),
            "X-RateLimit-Reset": str(math.ceil(self._reset_at())),
            "X-RateLimit-Resource": "core",
        }
        return Response(response.status, response.body, {**headers, **response.headers})

    # -- JSON as GitHub shows it -------------------------------------------------------------

    def _issue_json(self, repo: str, number: int) -> dict[str, Any]:
        issue = self.issues[repo][number]
        kind = "pull" if issue["pull_request"] else "issues"
        data = {
            "id": issue["id"],
            "number": number,
            "url": f"{self.api_url}/repos/{repo}/issues/{number}",
            "html_url": f"{WEB}/{repo}/{kind}/{number}",
            "title": issue["title"],
            "body": issue["body"] or None,
            "state": issue["state"],
            "state_reason": issue.get("state_reason"),
            "labels": [{"name": name, "color": "ededed"} for name in issue["labels"]],
            "user": {"login": "octocat", "id": 1},
            "comments": len(self.comments.get((repo, number), [])),
            "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"],
        }
        if issue["pull_request"]:
            data["pull_request"] = {"url": f"{self.api_url}/repos/{repo}/pulls/{number}", "html_url": data["html_url"]}
        return data

    def _page(self, request: Recorded, items: list[Any]) -> Response:
        """One page of `items`, with GitHub's Link header when there is more than one."""
        try:
            per_page = min(max(int(request.param("per_page") or 30), 1), 100)
            page = max(int(request.param("page") or 1), 1)
        except ValueError:
            per_page, page = 30, 1
        last = max(math.ceil(len(items) / per_page), 1)

        def url(number: int) -> str:
            pairs = [(k, v) for k, values in request.query.items() if k != "page" for v in values]
            return f"{self.base_url}{request.path}?{urlencode([*pairs, ('page', number)], safe=',:')}"

        rels = [
            ("prev", page - 1, page > 1),
            ("next", page + 1, page < last),
            ("last", last, page < last),
            ("first", 1, page > 1),
        ]
        link = ", ".join(f'<{url(number)}>; rel="{rel}"' for rel, number, shown in rels if shown)
        return Response(200, items[(page - 1) * per_page : page * per_page], {"Link": link} if link else {})

    # -- routes ------------------------------------------------------------------------------

    def _get_repo(self, request: Recorded, repo: str) -> Response:
        if repo not in self.repos:
            return self.not_found(request)
        branch = self.repos[repo]["default_branch"]
        return Response(200, {"full_name": repo, "default_branch": branch, "html_url": f"{WEB}/{repo}"})

    def _list_issues(self, request: Recorded, repo: str) -> Response:
        if repo not in self.repos:
            return self.not_found(request)
        state = request.param("state") or "open"
        wanted = {label.strip().lower() for label in (request.param("labels") or "").split(",") if label.strip()}
        numbers = [
            number
            for number, issue in sorted(self.issues[repo].items(), reverse=True)
            if state in ("all", issue["state"]) and wanted <= {label.lower() for label in issue["labels"]}
        ]
        return self._page(request, [self._issue_json(repo, number) for number in numbers])

    def _get_issue(self, request: Recorded, repo: str, number: str) -> Response:
        if int(number) not in self.issues.get(repo, {}):
            return self.not_found(request)
        return Response(200, self._issue_json(repo, int(number)))

    def _update_issue(self, request: Recorded, repo: str, number: str) -> Response:
        issue = self.issues.get(repo, {}).get(int(number))
        data = request.json()
        if issue is None:
            return self.not_found(request)
        if not isinstance(data, dict):
            return _error(400, "Problems parsing JSON")
        if data.get("state", issue["state"]) not in ("open", "closed"):
            return _invalid("Issue", "state", "invalid")
        for key in ("title", "body"):
            if key in data:
                issue[key] = data[key] or ""
        if "labels" in data:
            issue["labels"] = [label["name"] if isinstance(label, dict) else label for label in data["labels"]]
        if data.get("state", issue["state"]) != issue["state"]:
            issue["state"] = data["state"]
            closed = data["state"] == "closed"
            issue["closed_at"] = _now() if closed else None
            issue["state_reason"] = data.get("state_reason") or ("completed" if closed else "reopened")
            for pull in self.pulls.get(repo, []):
                if pull["number"] == int(number):
                    pull["state"] = data["state"]
        elif "state_reason" in data:
            issue["state_reason"] = data["state_reason"]
        issue["updated_at"] = _now()
        return Response(200, self._issue_json(repo, int(number)))

    def _add_comment(self, request: Recorded, repo: str, number: str) -> Response:
        if int(number) not in self.issues.get(repo, {}):
            return self.not_found(request)
        data = request.json()
        if not isinstance(data, dict) or not data.get("body"):
            return _invalid("IssueComment", "body")
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "body": data["body"],
            "user": {"login": "octocat", "id": 1},
            "created_at": _now(),
            "url": f"{self.api_url}/repos/{repo}/issues/comments/{comment_id}",
            "html_url": f"{WEB}/{repo}/issues/{number}#issuecomment-{comment_id}",
        }
        self.comments.setdefault((repo, int(number)), []).append(comment)
        return Response(201, comment, {"Location": comment["url"]})

    def _list_pulls(self, request: Recorded, repo: str) -> Response:
        if repo not in self.repos:
            return self.not_found(request)
        state = request.param("state") or "open"
        head = (request.param("head") or "").rpartition(":")[2]
        pulls = [
            pull
            for pull in sorted(self.pulls[repo], key=lambda pull: pull["number"], reverse=True)
            if state in ("all", pull["state"]) and head in ("", pull["head"]["ref"])
        ]
        return self._page(request, pulls)

    def _get_pull(self, request: Recorded, repo: str, number: str) -> Response:
        pull = next((pull for pull in self.pulls.get(repo, []) if pull["number"] == int(number)), None)
        if pull is None:
            return self.not_found(request)
        etag = '"' + hashlib.sha1(json.dumps(pull, sort_keys=True).encode()).hexdigest() + '"'
        if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
            return Response(304, b"", {"ETag": etag})
        return Response(200, pull, {"ETag": etag})

    def _create_pull(self, request: Recorded, repo: str) -> Response:
        if repo not in self.repos:
            return self.not_found(request)
        data = request.json()
        if not isinstance(data, dict):
            return _error(400, "Problems parsing JSON")
        missing = [name for name in ("title", "head", "base") if not data.get(name)]
        if missing:
            errors = [{"resource": "PullRequest", "field": name, "code": "missing_field"} for name in missing]
            return _error(422, "Validation Failed", errors=errors)
        owner = repo.split("/")[0]
        head_owner, _, ref = data["head"].rpartition(":")
        label = f"{head_owner or owner}:{ref}"
        if any(pull["state"] == "open" and pull["head"]["label"] == label for pull in self.pulls[repo]):
            error = {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"A pull request already exists for {label}.",
            }
            return _error(422, "Validation Failed", errors=[error])
        number = self.add_issue(repo, data["title"], data.get("body") or "", pull_request=True)
        issue = self.issues[repo][number]
        pull = {
            "id": issue["id"],
            "number": number,
            "url": f"{self.api_url}/repos/{repo}/pulls/{number}",
            "html_url": f"{WEB}/{repo}/pull/{number}",
            "state": "open",
            "title": data["title"],
            "body": data.get("body") or None,
            "draft": bool(data.get("draft", False)),
            "head": {"ref": ref, "label": label},
            "base": {"ref": data["base"], "label": f"{owner}:{data['base']}"},
            "user": {"login": "octocat", "id": 1},
            "merged": False,
            "created_at": issue["created_at"],
        }
        self.pulls[repo].append(pull)
        return Response(201, pull, {"Location": pull["url"]})
