"""Smoke tests of the fake GitHub, Jira and Slack servers in tests/fakes."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fakes.github_api import FakeGitHub
from tests.fakes.jira_api import FakeJira
from tests.fakes.slack_webhook import FakeSlack


@pytest.fixture
def github():
    with (
        FakeGitHub() as gh,
        httpx.Client(base_url=gh.api_url, headers={"Authorization": f"Bearer {gh.token}"}) as client,
    ):
        yield gh, client


@pytest.fixture
def jira():
    with FakeJira() as fake, httpx.Client(base_url=fake.url, auth=(fake.email, fake.token)) as client:
        yield fake, client


@pytest.fixture
def slack():
    with FakeSlack() as fake, httpx.Client() as client:
        yield fake, client


def test_github_lists_issues_newest_first_with_link_pagination_and_pulls_marked(github):
    gh, client = github
    for n in range(1, 6):
        gh.add_issue("acme/app", f"Issue {n}", labels=["bug"] if n % 2 else [], pull_request=n == 4)
    gh.issues["acme/app"][5]["state"] = "closed"

    first = client.get("/repos/acme/app/issues", params={"state": "open", "per_page": 2})
    assert [issue["number"] for issue in first.json()] == [4, 3]
    assert "pull_request" in first.json()[0] and "pull_request" not in first.json()[1]
    url = f"{gh.api_url}/repos/acme/app/issues?state=open&per_page=2"
    assert first.headers["Link"] == f'<{url}&page=2>; rel="next", <{url}&page=2>; rel="last"'
    assert first.headers["X-RateLimit-Remaining"] == "4999"

    second = client.get("/repos/acme/app/issues", params={"state": "open", "per_page": 2, "page": 2})
    assert [issue["number"] for issue in second.json()] == [2, 1]
    assert second.headers["Link"] == f'<{url}&page=1>; rel="prev", <{url}&page=1>; rel="first"'

    bugs = client.get("/repos/acme/app/issues", params={"state": "all", "labels": "BUG"}).json()
    assert [issue["number"] for issue in bugs] == [5, 3, 1]
    assert "Link" not in client.get("/repos/acme/app/issues").headers
    assert bugs[0]["body"] is None and bugs[0]["labels"] == [{"name": "bug", "color": "ededed"}]


def test_github_rejects_a_bad_token(github):
    gh, client = github
    gh.add_repo("acme/app")
    response = client.get("/repos/acme/app", headers={"Authorization": "token wrong"})
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


def test_github_rate_limit_runs_out_then_resets(github):
    gh, client = github
    gh.add_repo("acme/app")
    gh.rate_limit_remaining, gh.rate_limit_reset_in = 1, 0.3
    assert client.get("/repos/acme/app").status_code == 200
    limited = client.get("/repos/acme/app")
    assert limited.status_code == 403
    assert limited.json()["message"].startswith("API rate limit exceeded")
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    time.sleep(0.35)  # past the reset
    again = client.get("/repos/acme/app")
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "4999"


def test_github_pulls_comments_and_permissions(github):
    gh, client = github
    gh.add_issue("acme/app", "Existing issue")
    pull = {"title": "Fix", "head": "feature", "base": "main", "body": "Closes #1"}
    created = client.post("/repos/acme/app/pulls", json=pull)
    assert created.status_code == 201
    assert created.json()["number"] == 2 and created.json()["html_url"].endswith("/acme/app/pull/2")

    duplicate = client.post("/repos/acme/app/pulls", json={**pull, "head": "acme:feature"})
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["message"] == "A pull request already exists for acme:feature."
    missing = client.post("/repos/acme/app/pulls", json={"title": "x", "base": "main"})
    assert missing.json()["errors"] == [{"resource": "PullRequest", "field": "head", "code": "missing_field"}]

    found = client.get("/repos/acme/app/pulls", params={"head": "acme:feature", "state": "open"}).json()
    assert [p["number"] for p in found] == [2]
    assert client.post("/repos/acme/app/issues/1/comments", json={"body": "hi"}).status_code == 201
    assert gh.comments[("acme/app", 1)][0]["body"] == "hi"
    assert client.post("/repos/acme/app/issues/9/comments", json={"body": "hi"}).status_code == 404
    closed = client.patch("/repos/acme/app/issues/1", json={"state": "closed", "state_reason": "not_planned"})
    assert closed.json()["state"] == "closed" and gh.issues["acme/app"][1]["state_reason"] == "not_planned"

    gh.read_only = True
    denied = client.post("/repos/acme/app/issues/1/comments", json={"body": "again"})
    assert denied.status_code == 403 and denied.json()["message"].startswith("Resource not accessible")


def test_jira_search_pages_by_token_and_transitions(jira):
    fake, client = jira
    for n in range(3):
        fake.add_issue(f"Task {n}", "First paragraph.\n\nSecond.")
    fake.add_issue("Finished", status="Done")
    fake.add_issue("Elsewhere", project="OTHER")

    query = {
        "jql": "project = PROJ AND statusCategory != Done ORDER BY created",
        "maxResults": 2,
        "fields": ["summary", "status", "description"],
    }
    first = client.post("/rest/api/3/search/jql", json=query).json()
    assert [i["key"] for i in first["issues"]] == ["PROJ-1", "PROJ-2"] and first["isLast"] is False
    second = client.post("/rest/api/3/search/jql", json={**query, "nextPageToken": first["nextPageToken"]}).json()
    assert [i["key"] for i in second["issues"]] == ["PROJ-3"]
    assert second["isLast"] is True and "nextPageToken" not in second
    assert len(first["issues"][0]["fields"]["description"]["content"]) == 2
    ids_only = client.get("/rest/api/3/search/jql", params={"jql": 'status = "Done"'}).json()
    assert ids_only["issues"] == [{"id": fake.issues["PROJ-4"]["id"]}]
    bad = client.post("/rest/api/3/search/jql", json={"jql": "assignee = currentUser()"})
    assert bad.status_code == 400 and bad.json()["errorMessages"][0].startswith("Error in the JQL Query")

    transitions = client.get("/rest/api/3/issue/PROJ-1/transitions").json()["transitions"]
    assert [(t["id"], t["to"]["name"]) for t in transitions] == [("11", "In Progress"), ("31", "Done")]
    assert client.post("/rest/api/3/issue/PROJ-1/transitions", json={"transition": {"id": "11"}}).status_code == 204
    assert fake.issues["PROJ-1"]["status"] == "In Progress"
    invalid = client.post("/rest/api/2/issue/PROJ-1/transitions", json={"transition": {"id": "51"}})
    assert invalid.status_code == 400
    assert client.get("/rest/api/3/issue/NOPE-1/transitions").status_code == 404


def test_jira_auth_and_data_center_fallback(jira):
    fake, client = jira
    fake.add_issue("Only one", "Plain text")
    assert client.get("/rest/api/3/issue/PROJ-1", auth=(fake.email, "wrong")).status_code == 401
    assert client.get("/rest/api/2/search", params={"jql": "project = PROJ"}).status_code == 410
    fake.cloud = False
    assert client.post("/rest/api/3/search/jql", json={"jql": "project = PROJ"}).status_code == 404
    old = client.get("/rest/api/2/search", params={"jql": "project = PROJ", "startAt": 0, "maxResults": 10}).json()
    assert old["total"] == 1 and old["issues"][0]["fields"]["description"] == "Plain text"


def test_slack_records_messages_and_rejects_bad_requests(slack):
    fake, client = slack
    assert client.post(fake.webhook_url, json={"text": "hello"}).text == "ok"
    assert fake.messages == [{"text": "hello"}]
    wrong = client.post(fake.base_url + "/services/T00000000/B00000000/nope", json={"text": "x"})
    assert (wrong.status_code, wrong.text) == (404, "no_service")
    assert client.post(fake.webhook_url, content=b"not json").text == "invalid_payload"
    assert len(fake.requests) == 3 and fake.requests[0].json() == {"text": "hello"}


def test_fail_next_serves_canned_answers_then_the_real_ones(slack):
    fake, client = slack
    fake.fail_next(429, headers={"Retry-After": "1"}, body="rate_limited")
    fake.fail_next(503, body={"error": "down"})
    fake.fail_next(200, delay=0.5)
    limited = client.post(fake.webhook_url, json={"text": "a"})
    assert (limited.status_code, limited.text, limited.headers["Retry-After"]) == (429, "rate_limited", "1")
    assert client.post(fake.webhook_url, json={"text": "a"}).json() == {"error": "down"}
    with pytest.raises(httpx.ReadTimeout):
        client.post(fake.webhook_url, json={"text": "a"}, timeout=0.1)
    assert client.post(fake.webhook_url, json={"text": "b"}).status_code == 200
    assert fake.messages == [{"text": "b"}] and len(fake.requests) == 4
