"""GitHub's REST API: issues in, pull requests, comments and closing out.

`github_api_url` points at api.github.com or a GitHub Enterprise server (`https://HOST/api/v3`);
the token comes from CC_ORCHESTRATOR_GITHUB_TOKEN or the keyring and travels in a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cc_orchestrator.core.integrations.http import HttpClient
from cc_orchestrator.core.models import ExternalIssue, Priority
from cc_orchestrator.errors import Conflict, IntegrationError, InvalidInput

TOKEN_SETTING = "CC_ORCHESTRATOR_GITHUB_TOKEN"
_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_STATES = ("open", "closed", "all")
_PULL_URL = re.compile(r"/([A-Za-z0-9-]+)/([A-Za-z0-9._-]+)/pull/(\d+)/?$")
_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


def parse_repository(text: str) -> str:
    """ "owner/repo" (also from a github.com URL), lower-cased: GitHub names ignore case."""
    name = (text or "").strip().removesuffix(".git").rstrip("/")
    if "://" in name or name.startswith("git@"):
        name = "/".join(re.split(r"[/:]", name)[-2:])
    if not _REPO.match(name) or name.endswith("/.") or "/.." in name:
        raise InvalidInput(f"invalid GitHub repository {text!r}: expected OWNER/REPO")
    return name.lower()


def repository_from_remote(url: str) -> str | None:
    """ "owner/repo" from a remote URL (https or ssh), or None if it does not look like one."""
    match = re.search(r"[/:]([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?:\.git)?/?$", url.strip())
    return f"{match.group(1)}/{match.group(2)}".lower() if match else None


def priority_from_labels(labels: list[str], mapping: dict[str, str]) -> Priority:
    """The highest priority any label maps to; MEDIUM when none does."""
    found = [Priority(mapping[name.lower()]) for name in labels if name.lower() in mapping]
    return min(found, key=_RANK.__getitem__) if found else Priority.MEDIUM


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    created: bool  # False: one was already open for the branch


class GitHub:
    def __init__(
        self, http: HttpClient, label_priorities: dict[str, str] | None = None, has_token: bool = True
    ) -> None:
        self.http = http
        self.label_priorities = label_priorities or {}
        self.has_token = has_token

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> GitHub:
        token = settings.github_token.get_secret_value() if settings.github_token else ""
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        http = HttpClient.from_settings(
            settings,
            "GitHub",
            settings.github_api_url,
            token_setting=TOKEN_SETTING,
            url_setting="github_api_url",
            headers=headers,
            secrets=[token],
            **kwargs,
        )
        return cls(http, settings.github_label_priorities, has_token=bool(token))

    def close(self) -> None:
        self.http.close()

    def require_token(self, doing: str) -> None:
        if not self.has_token:
            raise Conflict(f"cannot {doing} without a GitHub token: set {TOKEN_SETTING}")

    # -- issues ---------------------------------------------------------------------------

    def issues(self, repo: str, labels: list[str] = (), state: str = "open") -> tuple[list[ExternalIssue], int]:
        """The repository's issues as importable records, and how many pull requests were left
        out (GitHub lists pull requests among issues)."""
        repo = parse_repository(repo)
        state = (state or "open").lower()
        if state not in _STATES:
            raise InvalidInput(f"invalid issue state {state!r}: choose one of {', '.join(_STATES)}")
        params = {"state": state, "per_page": 100, "sort": "created", "direction": "asc"}
        if labels:
            params["labels"] = ",".join(labels)
        raw = self.http.paginate(f"/repos/{_path(repo)}/issues", params=params, what=f"repository {repo}")
        issues = [self._issue(repo, item) for item in raw if "pull_request" not in item]
        issues.sort(key=lambda issue: int(issue.source_id))  # oldest first: task ids follow issue order
        return issues, len(raw) - len(issues)

    def _issue(self, repo: str, item: dict[str, Any]) -> ExternalIssue:
        labels = [label["name"] if isinstance(label, dict) else str(label) for label in item.get("labels") or []]
        return ExternalIssue(
            source="github",
            source_project=repo,
            source_id=str(item["number"]),
            source_url=item.get("html_url") or "",
            title=(item.get("title") or f"Issue #{item['number']}").strip(),
            description=(item.get("body") or "").strip(),
            priority=priority_from_labels(labels, self.label_priorities),
            closed=item.get("state") == "closed",
        )

    def comment(self, repo: str, number: int | str, body: str) -> str:
        self.require_token("comment on an issue")
        response = self.http.post(
            f"/repos/{_path(repo)}/issues/{int(number)}/comments", json={"body": body}, what=f"issue {repo}#{number}"
        )
        return response.json().get("html_url", "")

    def close_issue(self, repo: str, number: int | str) -> None:
        self.require_token("close an issue")
        self.http.request(
            "PATCH",
            f"/repos/{_path(repo)}/issues/{int(number)}",
            json={"state": "closed", "state_reason": "completed"},
            what=f"issue {repo}#{number}",
        )

    # -- pull requests --------------------------------------------------------------------

    def open_pull_request(
        self, repo: str, head: str, base: str, title: str, body: str, draft: bool = False
    ) -> PullRequest:
        """Open a pull request, or find the one already open for `head`."""
        self.require_token("open a pull request")
        response = self.http.post(
            f"/repos/{_path(repo)}/pulls",
            json={"title": title, "head": head, "base": base, "body": body, "draft": draft},
            what=f"repository {repo}",
            ok=(422,),
        )
        if response.status_code != 422:
            pull = response.json()
            return PullRequest(pull["number"], pull["html_url"], created=True)
        if "already exists" not in response.text:
            raise IntegrationError(self.http.explain(response, f"a pull request from {head} into {base}"))
        owner = repo.split("/")[0]
        found = self.http.get(
            f"/repos/{_path(repo)}/pulls",
            params={"head": f"{owner}:{head}", "state": "open"},
            what=f"repository {repo}",
        ).json()
        if not found:
            raise IntegrationError(f"GitHub says a pull request from {head} exists in {repo} but lists none")
        return PullRequest(found[0]["number"], found[0]["html_url"], created=False)

    def pull_request(self, repo: str, number: int, etag: str = "") -> tuple[dict[str, Any] | None, str]:
        """A pull request's JSON and its ETag; (None, etag) when it is unchanged since `etag`
        (a 304, which costs nothing against the rate limit)."""
        response = self.http.get(
            f"/repos/{_path(repo)}/pulls/{int(number)}",
            what=f"pull request {repo}#{number}",
            headers={"If-None-Match": etag} if etag else None,
            ok=(304,),
        )
        if response.status_code == 304:
            return None, etag
        return response.json(), response.headers.get("etag", "")


def pull_of(url: str) -> tuple[str, int] | None:
    """("owner/repo", number) of a pull request's web address, or None if it is not one."""
    match = _PULL_URL.search(url or "")
    return (f"{match.group(1)}/{match.group(2)}".lower(), int(match.group(3))) if match else None


def _path(repo: str) -> str:
    owner, name = parse_repository(repo).split("/")
    return f"{quote(owner)}/{quote(name)}"
