"""`cco run` and `tasks show` as a user runs them: subprocesses, the fake agent, a real repository."""

from __future__ import annotations

import json

from cc_orchestrator.core.review.checks import REPO_FILE
from tests.helpers import FAKE_AGENT_COMMAND, git
from tests.test_cli import ok, run


def test_run_walks_the_board_until_only_a_person_can_move_it(cli_env, git_repo):
    (git_repo / REPO_FILE).write_text('[review]\nchecks = "test -f a.txt && echo fine"\n')
    git(git_repo, "add", REPO_FILE)
    git(git_repo, "commit", "-q", "-m", "checks")
    cli_env["CC_ORCHESTRATOR_AGENT_COMMAND"] = f"{FAKE_AGENT_COMMAND} --one-turn"
    ok(cli_env, git_repo, "tasks", "add", "First", "-d", "work 0.3\nwrite a.txt one\ncommit add a")
    ok(cli_env, git_repo, "tasks", "add", "Second", "--depends-on", "1", "-d", "work 0.3\nwrite b.txt two")
    if True:  # the tmux server is killed after the test, and the agents with it
        result = run(cli_env, git_repo, "run", "--no-merge", "--interval", "1")
        assert result.returncode == 1, result.stdout + result.stderr
        last = result.stdout.strip().splitlines()[-1]
        waits = "1 in REVIEW wait for a person (cco tasks merge ID); 1 blocked by tasks that are not DONE"
        assert last == f"nothing can move: {waits}"
        assert "review 1 · done 0/2" in result.stdout

        shown = ok(cli_env, git_repo, "tasks", "show", "1")
        assert "checks: test -f a.txt && echo fine  (.cc-orchestrator.toml); last word: passed" in shown
        assert " gate  passed " in shown
        data = json.loads(ok(cli_env, git_repo, "tasks", "show", "1", "--json"))
        assert data["status"] == "REVIEW" and data["checks"] == "passed"
        assert data["checks_source"] == REPO_FILE and [r["status"] for r in data["runs"]] == ["passed"]


def test_run_with_no_tasks_says_so(cli_env, git_repo):
    result = run(cli_env, git_repo, "run", "--interval", "1")
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1] == "no tasks: add some with `cco tasks add`"
