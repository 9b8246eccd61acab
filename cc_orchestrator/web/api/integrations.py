"""GitHub and Jira: issues in as tasks, a task's pull request out. The same service calls as
`cco tasks import github|jira` and `cco tasks pr`.

These endpoints wait on the network (and `git push`): plain `def`, so each waits in a worker
thread, never on the event loop. A failure upstream answers 502 with the service's one line;
what is settled here (no worktree, no remote, nothing to push, no token) answers 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from cc_orchestrator.web.api.deps import Svc
from cc_orchestrator.web.models import (
    GitHubImport,
    ImportRequest,
    ImportResultOut,
    IntegrationsOut,
    OutcomeOut,
    PullRequestCreate,
    TaskOut,
)

router = APIRouter(prefix="/api", tags=["integrations"])


@router.get("/integrations", response_model=IntegrationsOut, summary="Which integrations are set up")
def integrations(svc: Svc):
    """True where the settings (and tokens) an integration needs are present; nothing is
    contacted to find out."""
    return IntegrationsOut(**svc.orchestrator.integrations.configured())


@router.post("/tasks/import", response_model=ImportResultOut, summary="Import tasks from GitHub or Jira")
def import_tasks(
    svc: Svc,
    body: Annotated[
        ImportRequest,
        Body(
            openapi_examples={
                "github": {"value": {"source": "github", "repository": "acme/web", "labels": ["bug"], "state": "open"}},
                "jira": {"value": {"source": "jira", "jql": "project = WEB AND statusCategory != Done"}},
            }
        ),
    ],
):
    """One task per issue, all written in one transaction (a failed import changes nothing).
    Re-importing refreshes the tasks it made before and never duplicates them."""
    # like the CLI's: the repository named, else the one the server runs in, else none
    repo = str(svc.repo(body.repo)) if body.repo or svc.default_repo else None
    service = svc.orchestrator.integrations
    if isinstance(body, GitHubImport):
        result = service.import_github(body.repository, body.labels, body.state, repo=repo)
    else:
        result = service.import_jira(body.jql, repo=repo)
    svc.feed.settle(kick=False)
    return ImportResultOut(
        source=result.source or body.source,  # an import that found nothing names no source
        created=[TaskOut.model_validate(t) for t in result.created],
        updated=[TaskOut.model_validate(t) for t in result.updated],
        unchanged=result.unchanged,
        skipped=result.skipped,
        summary=result.summary(),
    )


@router.post("/tasks/{task_id}/pull-request", response_model=OutcomeOut, summary="Open a task's pull request")
def open_pull_request(svc: Svc, task_id: Annotated[int, Path(ge=1)], body: PullRequestCreate | None = None):
    """Push the branch the task's latest instance worked on, then open its pull request (or
    find the open one) and record it as the task's `pr_url`."""
    body = body or PullRequestCreate()
    outcome = svc.orchestrator.integrations.open_pull_request(task_id, body.repository, body.draft)
    svc.feed.settle(kick=False)
    return OutcomeOut.model_validate(outcome)
