"""Fixed, realistic dashboard data: for snapshot tests and the README's screenshots.

Everything is built from a fixed clock and fixed ids, so pictures never change by themselves.
`demo_view()` is the view the app shows; `DemoReads` serves the rest in place of tmux and git.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cc_orchestrator.core.git.losses import Losses
from cc_orchestrator.core.git.reports import Standing
from cc_orchestrator.core.models import (
    CheckRun,
    ChecksState,
    CheckStatus,
    Event,
    EventKind,
    Host,
    Instance,
    InstanceStatus,
    Level,
    Priority,
    ResourceUsage,
    Task,
    TaskStatus,
    Worktree,
    WorktreeReport,
    WorktreeStatus,
)
from cc_orchestrator.core.review.checks import Checks
from cc_orchestrator.core.snapshot import Snapshot
from cc_orchestrator.tui.reads import Reads
from cc_orchestrator.tui.view import View

NOW = datetime(2025, 6, 2, 14, 30, 0, tzinfo=UTC)
REPO = "/home/dev/src/shopfront"
OTHER = "/home/dev/src/payments-api"
S = InstanceStatus


def fixed_clock() -> datetime:
    return NOW


def _ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


# id, task, status, branch, cpu, mem, tokens in/out, started, active, waiting_for, repo
_INSTANCES = [
    ("a1f3c9", 3, S.RUNNING, "cco/task-3-checkout-retry", 38.0, 412, 182_400, 21_300, 42, 0.1, "", REPO),
    (
        "b27e10",
        5,
        S.WAITING_INPUT,
        "cco/task-5-cart-badge",
        0.4,
        388,
        96_100,
        8_800,
        31,
        2,
        "Do you want to edit src/cart/Badge.tsx?",
        REPO,
    ),
    ("c4d8e2", 7, S.IDLE, "cco/task-7-orders-csv", 0.0, 301, 240_900, 30_200, 95, 12, "", REPO),
    (
        "d9a041",
        8,
        S.WAITING_INPUT,
        "cco/task-8-flaky-login",
        0.2,
        655,
        55_000,
        7_400,
        8,
        1,
        "checks failed 3 times",
        REPO,
    ),
    ("e5b7f3", 11, S.ERROR, "cco/task-11-stripe-webhook", 0.0, 0, 12_900, 1_100, 130, 64, "", OTHER),
    ("f0c2d6", 12, S.STOPPED, "cco/task-12-rate-limits", 0.0, 0, 310_000, 45_000, 300, 180, "", OTHER),
]
# id, title, status, priority, source, source id, deps, blocked, instance, description
_TASKS = [
    (1, "Set up the CI cache for node_modules", TaskStatus.DONE, Priority.MEDIUM, "manual", "", (), False, None),
    (2, "Upgrade React to 19", TaskStatus.DONE, Priority.LOW, "github", "412", (), False, None),
    (
        3,
        "Retry failed checkout payments with backoff",
        TaskStatus.IN_PROGRESS,
        Priority.HIGH,
        "jira",
        "SHOP-1187",
        (),
        False,
        "a1f3c9",
    ),
    (4, "Write the checkout retry runbook", TaskStatus.PENDING, Priority.MEDIUM, "manual", "", (3,), True, None),
    (
        5,
        "Show the item count badge on the cart icon",
        TaskStatus.IN_PROGRESS,
        Priority.MEDIUM,
        "github",
        "398",
        (),
        False,
        "b27e10",
    ),
    (6, "Dark mode for the account pages", TaskStatus.PENDING, Priority.LOW, "github", "377", (), False, None),
    (
        7,
        "Export orders as CSV from the admin",
        TaskStatus.REVIEW,
        Priority.MEDIUM,
        "jira",
        "SHOP-1150",
        (1,),
        False,
        "c4d8e2",
    ),
    (
        8,
        "Fix the flaky login end-to-end test",
        TaskStatus.IN_PROGRESS,
        Priority.HIGH,
        "manual",
        "",
        (),
        False,
        "d9a041",
    ),
    (
        9,
        "Remove the legacy coupon service",
        TaskStatus.PENDING,
        Priority.MEDIUM,
        "jira",
        "SHOP-1201",
        (7, 12),
        True,
        None,
    ),
    (10, "Add a --dry-run flag to the seed script", TaskStatus.PENDING, Priority.HIGH, "manual", "", (), False, None),
    (11, "Verify Stripe webhook signatures", TaskStatus.ASSIGNED, Priority.HIGH, "github", "51", (), False, "e5b7f3"),
    (12, "Rate limits per API key", TaskStatus.REVIEW, Priority.MEDIUM, "jira", "PAY-88", (), False, None),
    (13, "Document the refund flow", TaskStatus.DONE, Priority.LOW, "manual", "", (), False, None),
    (14, "Translate the checkout into German", TaskStatus.PENDING, Priority.LOW, "github", "420", (5,), True, None),
]
_CHECKS = {3: ChecksState.FAILED, 7: ChecksState.PASSED, 8: ChecksState.GAVE_UP, 12: ChecksState.PASSED}
_PULLS = {7: "https://github.com/acme/shopfront/pull/431", 12: "https://github.com/acme/payments-api/pull/97"}
JIRA_SITE = "acme.atlassian.net"


def _upstream(source: str, source_id: str, github_repo: str) -> dict[str, str]:
    """Where an imported task came from, as the importers record it."""
    if source == "github":
        return {"source_project": github_repo, "source_url": f"https://github.com/{github_repo}/issues/{source_id}"}
    if source == "jira":
        return {"source_project": JIRA_SITE, "source_url": f"https://{JIRA_SITE}/browse/{source_id}"}
    return {}


# id, branch, instance, status, repo, last commit
_WORKTREES = [
    ("7f21aa", "cco/task-3-checkout-retry", "a1f3c9", WorktreeStatus.ACTIVE, REPO, "9c1e2f0 Retry with jitter"),
    ("81b0c3", "cco/task-5-cart-badge", "b27e10", WorktreeStatus.ACTIVE, REPO, "d41e7aa Badge component"),
    ("92c4de", "cco/task-7-orders-csv", "c4d8e2", WorktreeStatus.ACTIVE, REPO, "4b9f310 CSV export endpoint"),
    ("a3d5e1", "cco/task-8-flaky-login", "d9a041", WorktreeStatus.ACTIVE, REPO, "77aa019 Wait for the session cookie"),
    ("b4e6f2", "spike/search-ranking", None, WorktreeStatus.STALE, REPO, "0fe3c2b WIP ranking experiment"),
    ("c5f7a3", "cco/task-11-stripe-webhook", None, WorktreeStatus.IDLE, OTHER, "5521bd0 Verify signatures"),
    ("d6a8b4", "cco/task-12-rate-limits", None, WorktreeStatus.IDLE, OTHER, "ab01f9e Token bucket per key"),
]
_REPORTS = {  # worktree id: (dirty files, unpushed commits, ahead, behind)
    "7f21aa": (
        ["src/checkout/retry.ts", "src/checkout/retry.test.ts"],
        ["9c1e2f0 Retry with jitter", "3e8d1a2 Backoff helper"],
        2,
        0,
    ),
    "81b0c3": (["src/cart/Badge.tsx"], ["d41e7aa Badge component"], 1, 3),
    "92c4de": ([], ["4b9f310 CSV export endpoint", "12ce0a9 Admin button", "f00b4d1 Tests"], 3, 1),
    "a3d5e1": (["tests/e2e/login.spec.ts"], [], 0, 0),
    "b4e6f2": (["notes.md"], ["0fe3c2b WIP ranking experiment"], 1, 42),
    "c5f7a3": ([], ["5521bd0 Verify signatures"], 1, 0),
    "d6a8b4": ([], [], 4, 0),
}
_EVENTS = [
    (30, EventKind.TASK_UPDATE, Level.INFO, "task 7 IN_PROGRESS -> REVIEW", "c4d8e2", 7),
    (25, EventKind.INSTANCE_STATUS, Level.INFO, "instance c4d8e2 IDLE", "c4d8e2", 7),
    (22, EventKind.LOG_MESSAGE, Level.INFO, "prompt delivered to instance d9a041", "d9a041", 8),
    (21, EventKind.INSTANCE_STATUS, Level.INFO, "instance d9a041 RUNNING", "d9a041", 8),
    (18, EventKind.INSTANCE_STATUS, Level.ERROR, "instance e5b7f3 ERROR: exited with status 1", "e5b7f3", 11),
    (
        9,
        EventKind.LOG_MESSAGE,
        Level.WARNING,
        "instance a1f3c9 is over its limits: memory 412 MB > 400 MB",
        "a1f3c9",
        3,
    ),
    (6, EventKind.TASK_UPDATE, Level.WARNING, "task 8: checks failed (npm test, exit 1, 47.9 s)", "d9a041", 8),
    (4, EventKind.LOG_MESSAGE, Level.INFO, "sent 38 characters to instance a1f3c9", "a1f3c9", 3),
    (3.4, EventKind.TASK_UPDATE, Level.WARNING, "task 3: checks failed (npm test, exit 1, 38.2 s)", "a1f3c9", 3),
    (
        2,
        EventKind.INSTANCE_STATUS,
        Level.INFO,
        "instance b27e10 WAITING_INPUT: Do you want to edit src/cart/Badge.tsx?",
        "b27e10",
        5,
    ),
    (1.2, EventKind.TASK_UPDATE, Level.WARNING, "task 8: checks failed (npm test, exit 1, 48.2 s)", "d9a041", 8),
    (
        1.2,
        EventKind.INSTANCE_STATUS,
        Level.WARNING,
        "instance d9a041 WAITING_INPUT: checks failed 3 times",
        "d9a041",
        8,
    ),
    (1, EventKind.TASK_UPDATE, Level.INFO, "task 10 added: Add a --dry-run flag to the seed script", None, 10),
    (0.5, EventKind.TASK_UPDATE, Level.INFO, "task 9 depends on 7, 12", None, 9),
]
CHECKS = {
    REPO: Checks("npm test", "detected: package.json test script"),
    OTHER: Checks("pytest -q", ".cc-orchestrator.toml"),
}
LOGIN_FAILURE = """\
$ npm test
> shopfront@2.4.0 test
> vitest run && playwright test tests/e2e

 PASS  src/checkout/retry.test.ts (6 tests) 41ms
 PASS  src/cart/Badge.test.tsx (4 tests) 38ms

Running 12 tests using 4 workers

  1) [chromium] tests/e2e/login.spec.ts:18:5 > login > keeps the session after reload

    Error: expect(page).toHaveURL(expected)
    Expected string: "http://localhost:5173/account"
    Received string: "http://localhost:5173/login"

      24 |     await page.reload();
    > 25 |     await expect(page).toHaveURL("/account");
         |                        ^

  1 failed
    [chromium] tests/e2e/login.spec.ts:18:5 > login > keeps the session after reload
  11 passed (48.2s)

[cc-orchestrator: checks exited with status 1]"""
RETRY_FAILURE = """\
$ npm test
 FAIL  src/checkout/retry.test.ts > pay > gives up after 4 attempts
AssertionError: expected "charge" to be called 4 times, but got 5 times
 Tests  1 failed | 5 passed (6)

[cc-orchestrator: checks exited with status 1]"""
# task: (run id, status, exit status, started minutes ago, seconds, tail)
_RUNS = {
    3: [(21, CheckStatus.FAILED, 1, 4.0, 38.2, RETRY_FAILURE)],
    7: [(11, CheckStatus.FAILED, 1, 70, 51.0, "1 failed"), (13, CheckStatus.PASSED, 0, 32, 49.6, "12 passed")],
    8: [
        (17, CheckStatus.TIMED_OUT, 124, 7.0, 600.0, "[cc-orchestrator] checks timed out after 600 s"),
        (19, CheckStatus.FAILED, 1, 6.8, 47.9, LOGIN_FAILURE),
        (23, CheckStatus.FAILED, 1, 2.0, 48.2, LOGIN_FAILURE),
    ],
    12: [(5, CheckStatus.PASSED, 0, 200, 12.4, "41 passed in 12.40s")],
}
SCREEN = """\
> Retry failed checkout payments with backoff

* I'll add a retry helper with exponential backoff and jitter, then use it in
  the payment step.

  Edit src/checkout/retry.ts (+48 -3)
  Edit src/checkout/retry.test.ts (+61)
  Bash npm test -- retry
    PASS src/checkout/retry.test.ts (6 tests)

* Working... (esc to interrupt)
"""


DIFF = """\
diff --git a/src/checkout/retry.ts b/src/checkout/retry.ts
--- a/src/checkout/retry.ts
+++ b/src/checkout/retry.ts
@@ -1,6 +1,14 @@
-export async function pay(order: Order) {
-  return gateway.charge(order);
+export async function pay(order: Order, attempts = 4) {
+  for (let n = 1; ; n++) {
+    try {
+      return await gateway.charge(order);
+    } catch (err) {
+      if (n >= attempts || !isRetryable(err)) throw err;
+      await sleep(backoff(n));
+    }
+  }
 }
"""


def demo_view() -> View:
    worktree_of = {instance: wid for wid, _, instance, *_ in _WORKTREES if instance}
    worktree_of.update({"e5b7f3": "c5f7a3", "f0c2d6": "d6a8b4"})
    instances = tuple(
        Instance(
            id=iid,
            task_id=task,
            worktree_path=f"~/.local/share/cc-orchestrator/worktrees/{branch.replace('/', '--')}",
            tmux_session=f"cc-orchestrator-{iid}",
            status=status,
            pid=4100 + n if status.is_live else None,
            created_at=_ago(minutes=started),
            last_activity=_ago(minutes=active),
            resource_usage=ResourceUsage(cpu, mem, 3 if mem else 0),
            repo=repo,
            branch=branch,
            worktree_id=worktree_of.get(iid),
            tokens_in=t_in,
            tokens_out=t_out,
            agent="claude",
            model="claude-sonnet-4",
            waiting_for=waiting,
            status_message="exited with status 1" if status is S.ERROR else "",
        )
        for n, (iid, task, status, branch, cpu, mem, t_in, t_out, started, active, waiting, repo) in enumerate(
            _INSTANCES
        )
    )
    tasks = tuple(
        Task(
            id=tid,
            title=title,
            description=f"{title}.\n\nKeep the change small and add tests.",
            source=source,
            source_id=source_id,
            status=status,
            assigned_instance=instance,
            priority=priority,
            created_at=_ago(hours=30 - tid),
            updated_at=_ago(minutes=5 * tid),
            dependencies=deps,
            repo=OTHER if tid in (11, 12) else REPO,
            blocked=blocked,
            pr_url=_PULLS.get(tid, ""),
            checks=_CHECKS.get(tid, ChecksState.NONE),
            **_upstream(source, source_id, "acme/payments-api" if tid in (11, 12) else "acme/shopfront"),
        )
        for tid, title, status, priority, source, source_id, deps, blocked, instance in _TASKS
    )
    worktrees = tuple(
        Worktree(
            id=wid,
            path=f"{repo}-worktrees/{branch.replace('/', '--')}",
            branch=branch,
            base_branch="main",
            instance_id=instance,
            created_at=_ago(hours=n + 1),
            last_commit=commit,
            status=status,
            repo=repo,
        )
        for n, (wid, branch, instance, status, repo, commit) in enumerate(_WORKTREES)
    )
    events = tuple(
        Event(
            id=100 + n,
            created_at=_ago(minutes=minutes),
            kind=kind,
            level=level,
            message=message,
            instance_id=instance,
            task_id=task,
        )
        for n, (minutes, kind, level, message, instance, task) in enumerate(_EVENTS)
    )
    snapshot = Snapshot(
        instances, tasks, worktrees, events=events, last_event_id=events[-1].id, live=True, taken_at=NOW
    )
    return View(snapshot, events, repo=REPO)


# The remote demo: `box` answers, `gpu` has not for 3 minutes; instance id -> its host.
_AWAY = _ago(minutes=3)
_HOSTS = (
    Host("local", "", instances=3),
    Host("box", "ssh://dev@box.lan", latency_ms=7.2, instances=1, last_seen=NOW),
    Host("gpu", "ssh://dev@gpu.lan:2222", latency_ms=41.0, instances=1, last_seen=_AWAY, unreachable_since=_AWAY),
)
_ON = {"b27e10": "box", "c4d8e2": "gpu"}


def demo_remote_view() -> View:
    """The demo with two remote hosts: one instance on `box`, one on `gpu`, which does not answer."""
    view = demo_view()
    instances = tuple(
        replace(
            i,
            host=_ON.get(i.id, "local"),
            status=S.UNREACHABLE if _ON.get(i.id) == "gpu" else i.status,
            unreachable_since=_AWAY if _ON.get(i.id) == "gpu" else None,
        )
        for i in view.instances
    )
    return View(replace(view.snapshot, instances=instances, hosts=_HOSTS), view.events, view.repo)


def demo_runs(task: Task) -> list[CheckRun]:
    """The task's check runs on record, oldest first."""
    instance = task.assigned_instance
    checks = CHECKS[task.repo or REPO]
    return [
        CheckRun(
            id=run_id,
            task_id=task.id,
            instance_id=instance,
            purpose="gate",
            command=checks.command or "",
            source=checks.source,
            folder=f"{task.repo}-worktrees/task-{task.id}",
            head="9c1e2f0",
            status=status,
            exit_code=code,
            log_path=f"~/.local/share/cc-orchestrator/logs/checks/{instance or 'f0c2d6'}-{run_id}.log",
            tail=tail,
            started_at=_ago(minutes=minutes),
            finished_at=_ago(minutes=minutes) + timedelta(seconds=seconds),
        )
        for run_id, status, code, minutes, seconds, tail in _RUNS.get(task.id, [])
    ]


def demo_reports(view: View) -> dict[str, WorktreeReport]:
    return {w.id: WorktreeReport(w, *_REPORTS[w.id]) for w in view.worktrees if w.id in _REPORTS}


def demo_losses(view: View, worktree_id: str) -> Losses:
    """What removing a demo worktree would lose: its report's files and commits, and a
    hand-made ignored file."""
    report = demo_reports(view)[worktree_id]
    return Losses(report.worktree, report.uncommitted_files, [".env.local"], report.unpushed_commits)


class DemoReads(Reads):
    """The demo data in place of tmux, git and the store."""

    def __init__(self) -> None:
        self.data = demo_view()

    def output_mark(self, instance_id: str) -> object:
        return 0  # the agent never writes: its screen is read once

    def report(self, worktree_id: str) -> WorktreeReport | None:
        return demo_reports(self.data).get(worktree_id)

    def standing(self, worktree: Worktree, fresh: bool = False) -> Standing | None:
        report = demo_reports(self.data).get(worktree.id)
        return Standing(tuple(report.uncommitted_files), report.ahead, report.behind) if report else None

    def screen(self, instance_id: str) -> str:
        return SCREEN

    def output(self, instance_id: str, lines: int = 500) -> list[str]:
        return SCREEN.splitlines()

    def diff(self, worktree_id: str) -> str | None:
        return DIFF

    def instance_events(self, instance_id: str, limit: int = 300) -> list[Event]:
        return [e for e in self.data.events if e.instance_id == instance_id]

    def task_events(self, task_id: int, limit: int = 300) -> list[Event]:
        return [e for e in self.data.events if e.task_id == task_id]

    def checks(self, task: Task) -> Checks:
        return CHECKS[task.repo or REPO]

    def check_runs(self, task_id: int) -> list[CheckRun]:
        task = self.data.task(task_id)
        return demo_runs(task) if task else []
