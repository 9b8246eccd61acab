"""What the integrations cost: imports, re-imports, and the dispatcher on every tick.

    .venv/bin/python tests/benchmarks/bench_integrations.py [--issues 1000] [--runs 5]

Real HTTP against the fake GitHub, Jira and Slack servers on loopback (so the figures are our
own cost plus a local round trip, not the internet's). Prints figures, asserts nothing.
Targets: 1,000 issues imported in under 3 s; a tick with nothing to do under 1 ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cc_orchestrator.core.models import EventKind  # noqa: E402
from cc_orchestrator.core.orchestrator import Orchestrator  # noqa: E402
from tests.fakes.github_api import FakeGitHub  # noqa: E402
from tests.fakes.jira_api import FakeJira  # noqa: E402
from tests.fakes.slack_webhook import FakeSlack  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.3f} ms"


def bench_github(issues: int, runs: int) -> None:
    with FakeGitHub() as gh:
        for n in range(issues):
            gh.add_issue("acme/app", f"issue {n}", body="text " * 40, labels=["bug"] if n % 3 else ["P1"])
        first, again = [], []
        for _ in range(runs):
            folder = Path(tempfile.mkdtemp(prefix="cco-bench-"))
            orch = Orchestrator(folder, github_api_url=gh.api_url, github_token=gh.token)
            first.append(timed(lambda o=orch: o.integrations.import_github("acme/app")))
            again.append(timed(lambda o=orch: o.integrations.import_github("acme/app")))
            orch.close()
            shutil.rmtree(folder)
        pages = -(-issues // 100)
        print(f"GitHub import of {issues} issues ({pages} pages): median {median_ms(first)}")
        print(f"GitHub re-import, nothing changed:            median {median_ms(again)}")


def bench_jira(issues: int, runs: int) -> None:
    with FakeJira() as jira:
        for n in range(issues):
            jira.add_issue(f"story {n}", description="Some words.\n\nMore words.")
        samples = []
        for _ in range(runs):
            folder = Path(tempfile.mkdtemp(prefix="cco-bench-"))
            orch = Orchestrator(folder, jira_url=jira.url, jira_email=jira.email, jira_token=jira.token)
            samples.append(timed(lambda o=orch: o.integrations.import_jira("project = PROJ")))
            orch.close()
            shutil.rmtree(folder)
        print(f"Jira import of {issues} issues:                 median {median_ms(samples)}")


def bench_dispatch(runs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="cco-bench-"))
    with FakeSlack() as slack:
        bare = Orchestrator(folder)
        bare.tasks.add("warm up")
        idle_off = [timed(bare.integrations.dispatch) for _ in range(runs * 200)]
        orch = Orchestrator(folder, slack_webhook_url=slack.webhook_url)
        orch.integrations.dispatch()
        idle_on = [timed(orch.integrations.dispatch) for _ in range(runs * 200)]
        notices = []
        for n in range(runs * 20):
            orch.store.write(
                lambda n=n: orch.events.add(
                    EventKind.INSTANCE_STATUS,
                    f"instance abc123 ERROR: failure {n}",
                    instance_id="abc123",
                    data={"status": "ERROR", "previous": "RUNNING"},
                )
            )
            notices.append(timed(orch.integrations.dispatch))
        print(f"dispatch, nothing set up:                      median {median_ms(idle_off)}")
        print(f"dispatch, Slack set up, no new events:        median {median_ms(idle_on)}")
        print(f"dispatch, one event to a Slack notice:        median {median_ms(notices)} ({len(slack.messages)} sent)")
        orch.close()
        bare.close()
    shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bench_github(args.issues, args.runs)
    bench_jira(args.issues, args.runs)
    bench_dispatch(args.runs)


if __name__ == "__main__":
    main()
