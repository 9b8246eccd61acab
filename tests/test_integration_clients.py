"""The GitHub, Jira and Slack clients against fake servers on loopback: real HTTP, real shapes."""

from __future__ import annotations

import socket
import time

import pytest

from cc_orchestrator.config.settings import load_settings
from cc_orchestrator.core.integrations.github import GitHub, parse_repository, repository_from_remote
from cc_orchestrator.core.integrations.jira import Jira, adf_text
from cc_orchestrator.core.integrations.slack import Slack
from cc_orchestrator.core.models import Priority
from cc_orchestrator.errors import Conflict, IntegrationError
from tests.fakes.github_api import FakeGitHub
from tests.fakes.jira_api import FakeJira
from tests.fakes.slack_webhook import FakeSlack


class Sleeps:
    """Records every wait the client asks for; really waits only up to `cap` seconds."""

    def __init__(self, cap: float = 0.0) -> None:
        self.cap = cap
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        time.sleep(min(seconds, self.cap))


def github(fake: FakeGitHub, sleep=None, **settings) -> GitHub:
    s = load_settings(github_api_url=fake.api_url, github_token=fake.token, **settings)
    return GitHub.from_settings(s, sleep=sleep or Sleeps())


@pytest.fixture
def gh():
    with FakeGitHub() as fake:
        yield fake


def test_issues_follow_every_page_and_leave_pull_requests_out(gh):
    for n in range(130):
        gh.add_issue("acme/app", f"issue {n}", labels=["P1"] if n == 3 else [])
    gh.add_issue("acme/app", "a pull request", pull_request=True)
    gh.add_issue("acme/app", "closed one", state="closed")

    issues, skipped = github(gh).issues("Acme/App")

    assert len(issues) == 130 and skipped == 1
    assert [i.source_id for i in issues[:2]] == ["1", "2"]  # oldest first
    assert issues[3].priority is Priority.HIGH and issues[0].priority is Priority.MEDIUM
    assert issues[0].source_project == "acme/app"
    assert issues[0].source_url.endswith("/acme/app/issues/1")
    pages = [r for r in gh.requests if r.path.endswith("/issues")]
    assert len(pages) == 2  # 100 per page, the second reached through the Link header
    assert all(r.headers["authorization"] == f"Bearer {gh.token}" for r in gh.requests)


def test_labels_filter_and_map_to_priority(gh):
    gh.add_issue("acme/app", "urgent bug", labels=["bug", "Priority: High", "low"])
    gh.add_issue("acme/app", "feature", labels=["feature"])
    issues, _ = github(gh).issues("acme/app", labels=["bug"])
    assert [(i.title, i.priority) for i in issues] == [("urgent bug", Priority.HIGH)]  # highest wins
    assert gh.requests[-1].param("labels") == "bug"


@pytest.mark.parametrize(
    ("repo", "needle"),
    [
        ("acme/app", "GitHub refused the credentials (401): check CC_ORCHESTRATOR_GITHUB_TOKEN"),
        ("acme/missing", "GitHub has no repository acme/missing (404)"),
    ],
)
def test_refusals_are_one_line_naming_the_setting(gh, repo, needle):
    gh.add_issue("acme/app", "x")
    client = github(gh)
    token = gh.token
    if "401" in needle:
        gh.token = "the-token-github-expects-now"
    with pytest.raises(IntegrationError) as caught:
        client.issues(repo)
    message = str(caught.value)
    assert needle in message and "\n" not in message
    assert token not in message


def test_write_without_permission_is_403_naming_the_token(gh):
    gh.add_issue("acme/app", "x")
    gh.read_only = True
    with pytest.raises(IntegrationError, match=r"denied access .*\(403\).*CC_ORCHESTRATOR_GITHUB_TOKEN lacks"):
        github(gh).comment("acme/app", 1, "hello")


def test_a_rate_limit_is_waited_out_when_it_resets_soon(gh):
    gh.add_issue("acme/app", "x")
    gh.exhaust_rate_limit(reset_in=0.3)
    sleeps = Sleeps(cap=2.5)
    issues, _ = github(gh, sleep=sleeps).issues("acme/app")
    assert len(issues) == 1
    assert sleeps.asked and 0 < sleeps.asked[0] <= 2.5  # X-RateLimit-Reset, plus a second of slack


def test_a_rate_limit_far_away_is_one_line_with_the_reset_time(gh):
    gh.add_issue("acme/app", "x")
    gh.exhaust_rate_limit(reset_in=3600)
    with pytest.raises(IntegrationError, match=r"GitHub rate limit reached; it resets at \d\d:\d\d UTC"):
        github(gh).issues("acme/app")
    assert len(gh.requests) == 1  # no hammering


def test_server_errors_are_retried_for_reads_not_for_writes(gh):
    gh.add_issue("acme/app", "x")
    gh.fail_next(502, times=2, body={"message": "Server Error"})
    sleeps = Sleeps()
    issues, _ = github(gh, sleep=sleeps).issues("acme/app")
    assert len(issues) == 1 and len(sleeps.asked) == 2  # backed off twice

    gh.fail_next(500, body={"message": "Server Error"})
    with pytest.raises(IntegrationError, match=r"\(500\)"):
        github(gh).comment("acme/app", 1, "once only")
    assert gh.comments.get(("acme/app", 1), []) == []


def test_timeouts_and_unreachable_servers_are_one_line(gh):
    gh.add_issue("acme/app", "x")
    gh.delay = 1.0
    with pytest.raises(IntegrationError, match=r"GitHub did not answer within 0.2 s"):
        github(gh, http_timeout=0.2, http_retries=1).issues("acme/app")
    gh.delay = 0

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = GitHub.from_settings(
        load_settings(github_api_url=f"http://127.0.0.1:{port}", github_token="t0ken-secret", http_retries=1),
        sleep=Sleeps(),
    )
    with pytest.raises(IntegrationError, match=rf"cannot reach GitHub at http://127.0.0.1:{port}") as caught:
        client.issues("acme/app")
    assert "t0ken-secret" not in str(caught.value)


def test_pull_request_is_found_when_one_is_already_open(gh):
    gh.add_repo("acme/app")
    client = github(gh)
    first = client.open_pull_request("acme/app", "cco/abc", "main", "Fix", "Closes #1")
    again = client.open_pull_request("acme/app", "cco/abc", "main", "Fix", "Closes #1")
    assert first.created and not again.created
    assert again.url == first.url and len(gh.pulls["acme/app"]) == 1


def test_writing_needs_a_token(gh):
    client = GitHub.from_settings(load_settings(github_api_url=gh.api_url), sleep=Sleeps())
    with pytest.raises(Conflict, match="without a GitHub token: set CC_ORCHESTRATOR_GITHUB_TOKEN"):  # local: 409
        client.open_pull_request("acme/app", "b", "main", "t", "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme/app", "acme/app"),
        ("https://github.com/Acme/App.git", "acme/app"),
        ("git@github.com:acme/app.git", "acme/app"),
    ],
)
def test_repository_names(text, expected):
    assert parse_repository(text) == expected


@pytest.mark.parametrize("bad", ["", "acme", "acme/app/extra", "../x", "ac me/app"])
def test_bad_repository_names_are_refused(bad):
    with pytest.raises(Exception, match="expected OWNER/REPO"):
        parse_repository(bad)


def test_repository_from_remote_urls():
    assert repository_from_remote("https://github.com/acme/app.git") == "acme/app"
    assert repository_from_remote("git@github.example.com:Acme/web") == "acme/web"
    assert repository_from_remote("/srv/git/app.git") in (None, "git/app")


# -- Jira -------------------------------------------------------------------------------


def jira(fake: FakeJira, **settings) -> Jira:
    values = {"jira_url": fake.url, "jira_email": fake.email, "jira_token": fake.token, **settings}
    return Jira.from_settings(load_settings(**values), sleep=Sleeps())


def test_jira_search_pages_and_reads_documents():
    with FakeJira() as fake:
        for n in range(120):
            fake.add_issue(f"story {n}", priority="Highest" if n == 0 else "Low")
        fake.add_issue("with text", description="First paragraph.\n\nSecond one.")
        fake.add_issue("finished", status="Done")
        issues = jira(fake).search("project = PROJ")
    assert len(issues) == 122
    assert issues[0].source_id == "PROJ-1" and issues[0].priority is Priority.HIGH
    assert issues[1].priority is Priority.LOW
    assert issues[120].description == "First paragraph.\n\nSecond one."
    assert issues[121].closed
    assert issues[0].source_url == f"{fake.url}/browse/PROJ-1"


def test_jira_data_center_falls_back_to_the_older_search_with_a_bearer_token():
    with FakeJira() as fake:
        fake.cloud = False
        fake.add_issue("dc issue", description="plain text")
        issues = jira(fake, jira_email=None).search("project = PROJ")
    assert [(i.title, i.description) for i in issues] == [("dc issue", "plain text")]


def test_jira_refusals_name_the_settings():
    with FakeJira() as fake:
        with pytest.raises(
            IntegrationError, match=r"Jira refused the credentials \(401\): check CC_ORCHESTRATOR_JIRA_TOKEN"
        ):
            jira(fake, jira_token="wrong").search("project = PROJ")
        with pytest.raises(IntegrationError, match=r"Jira refused the JQL search \(400\): Error in the JQL"):
            jira(fake).search("this is not = = jql")
    with pytest.raises(Conflict, match="set jira_url"):
        Jira.from_settings(load_settings(jira_token="x"))


def test_jira_transitions_by_status_name_or_leave_the_issue_alone():
    with FakeJira() as fake:
        key = fake.add_issue("story")
        client = jira(fake)
        assert client.transition(key, "In Progress", "in_progress") == "In Progress"
        assert client.transition(key, "In Review", "review") == "In Review"
        fake.workflow["In Review"] = [("31", "Done", "Done")]
        assert client.transition(key, "Blocked", "pending") is None  # no way there
        assert fake.issues[key]["status"] == "In Review"
        assert client.transition(key, "Closed", "done") == "Done"  # by category


def test_adf_text():
    doc = {
        "type": "doc",
        "content": [
            {
                "type": "paragraph",
                "content": [{"type": "text", "text": "a"}, {"type": "hardBreak"}, {"type": "text", "text": "b"}],
            },
            {
                "type": "bulletList",
                "content": [
                    {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}]}
                ],
            },
        ],
    }
    assert adf_text(doc).strip() == "a\nb\n\n- x"


# -- Slack ------------------------------------------------------------------------------


def slack(fake: FakeSlack, url: str | None = None) -> Slack:
    return Slack.from_settings(load_settings(slack_webhook_url=url or fake.webhook_url), sleep=Sleeps(cap=1.1))


def test_slack_posts_and_honours_retry_after():
    with FakeSlack() as fake:
        fake.fail_next(429, headers={"Retry-After": "1"}, body="rate_limited")
        slack(fake).post("hello")
        assert [m["text"] for m in fake.messages] == ["hello"]


def test_a_wrong_webhook_is_one_line_without_the_url():
    with FakeSlack() as fake:
        wrong = fake.base_url + "/services/T00000000/B00000000/notthesecretatall0000000"
        with pytest.raises(IntegrationError) as caught:
            slack(fake, wrong).post("hello")
    message = str(caught.value)
    assert "404 no_service" in message and "CC_ORCHESTRATOR_SLACK_WEBHOOK_URL" in message
    assert "notthesecret" not in message and fake.base_url not in message


def test_no_secret_reaches_a_log_record_even_at_debug(gh, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    gh.add_issue("acme/app", "x")
    with FakeSlack() as fake:
        github(gh).issues("acme/app")
        slack(fake).post("hello")
        with pytest.raises(IntegrationError):
            slack(fake, fake.webhook_url + "x").post("hello")
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert gh.token not in logged and fake.secret not in logged


def test_a_token_is_never_sent_over_plain_http_off_this_machine():
    settings = load_settings(github_api_url="http://github.example.com/api/v3", github_token="ghp_secret_value_1")
    with pytest.raises(Conflict, match="refusing to send a secret over plain http to github.example.com") as caught:
        GitHub.from_settings(settings)
    assert "ghp_secret" not in str(caught.value)
    GitHub.from_settings(load_settings(github_api_url="http://github.example.com/api/v3")).close()  # no token: fine
