"""A pull request merged on GitHub makes its REVIEW task DONE: asked on the integrations' thread,
with conditional requests, against the fake GitHub API on loopback."""

from __future__ import annotations

from cc_orchestrator.core.models import TaskStatus
from cc_orchestrator.core.orchestrator import Orchestrator
from cc_orchestrator.core.store.tables import CursorRow
from tests.fakes.github_api import FakeGitHub
from tests.helpers import retry_until


def test_a_pull_request_merged_on_github_makes_its_task_done_and_unchanged_ones_cost_nothing(cli_env, data_dir):
    with FakeGitHub() as gh:
        gh.add_repo("acme/app")
        orch = Orchestrator(data_dir, github_api_url=gh.api_url, github_token=gh.token)
        client = orch.integrations.github()
        pull = client.open_pull_request("acme/app", head="task-1", base="main", title="Feature", body="")
        client.close()
        task = orch.tasks.add("Feature")
        orch.tasks.update(task.id, status="in_progress")
        orch.tasks.update(task.id, status="review")
        orch.tasks.set_pull_request(task.id, pull.url)
        watch = orch.dispatcher.pulls

        assert watch.poll() == []  # open: an answer with an ETag
        first = gh.requests[-1]
        assert (first.method, first.path) == ("GET", f"/api/v3/repos/acme/app/pulls/{pull.number}")
        remaining, asked = gh.rate_limit_remaining, len(gh.requests)
        assert watch.poll(force=True) == []
        assert gh.requests[-1].headers["if-none-match"] == watch.etags[pull.url]  # answered 304
        assert gh.rate_limit_remaining == remaining  # which costs nothing
        assert watch.poll() == [] and len(gh.requests) == asked + 1  # within the minute: not asked

        gh.merge_pull("acme/app", pull.number)
        orch.store.write(lambda: CursorRow.update(value=0).where(CursorRow.name == "github_pulls").execute())
        watch._next = 0.0  # a minute later
        orch.dispatcher.kick()  # a face's sweep: the integrations' thread asks
        retry_until(lambda: orch.tasks.get(task.id).status is TaskStatus.DONE)
        assert any(f"pull request {pull.url} was merged on GitHub" in e.message for e in orch.events.since(0))
        orch.close()
