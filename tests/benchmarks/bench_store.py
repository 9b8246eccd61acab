"""How fast the task board reads with 10,000 tasks: prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_store.py [--runs 50] [--seed 7]

Targets: a filtered page of 100 under 10 ms; the ready queue under 20 ms.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cc_orchestrator.core.events import EventLog, utcnow  # noqa: E402
from cc_orchestrator.core.models import Priority, TaskStatus  # noqa: E402
from cc_orchestrator.core.store.database import Store  # noqa: E402
from cc_orchestrator.core.store.tables import TaskDependencyRow, TaskRow  # noqa: E402
from cc_orchestrator.core.tasks import TaskService  # noqa: E402

TASKS = 10_000
EDGES = 5_000
# A board that has been in use for a while: most work done, a queue waiting.
STATUS_MIX = {
    TaskStatus.DONE: 0.45,
    TaskStatus.PENDING: 0.35,
    TaskStatus.ASSIGNED: 0.03,
    TaskStatus.IN_PROGRESS: 0.07,
    TaskStatus.REVIEW: 0.10,
}
PRIORITY_MIX = {Priority.HIGH: 0.2, Priority.MEDIUM: 0.5, Priority.LOW: 0.3}
REPOS = ["/src/api", "/src/web", "/src/infra", None]


def populate(store: Store, rng: random.Random) -> None:
    """Bulk-insert the tasks and dependency edges (each edge points to an older task)."""
    start = utcnow() - timedelta(days=90)
    statuses = rng.choices(list(STATUS_MIX), weights=list(STATUS_MIX.values()), k=TASKS)
    priorities = rng.choices(list(PRIORITY_MIX), weights=list(PRIORITY_MIX.values()), k=TASKS)
    rows = []
    for i in range(TASKS):
        status, priority = statuses[i], priorities[i]
        stamp = start + timedelta(minutes=13 * i)
        working = status in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.REVIEW)
        rows.append(
            {
                "title": f"Task {i + 1}: fix the thing in module {i % 97}",
                "description": "Steps to reproduce, expected and actual behaviour. " * 4,
                "source": "github" if i % 5 == 0 else "manual",
                "source_id": str(1000 + i) if i % 5 == 0 else "",
                "status": status.value,
                "assigned_instance": f"inst{i:06x}" if working else None,
                "priority": priority.value,
                "priority_rank": priority.rank,
                "repo": REPOS[i % len(REPOS)],
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    edges: set[tuple[int, int]] = set()
    while len(edges) < EDGES:
        task = rng.randint(2, TASKS)
        # Mostly recent work: a dependency is usually a few dozen tasks older.
        dep = max(1, task - int(rng.expovariate(1 / 40)) - 1)
        edges.add((task, dep))

    edge_fields = [TaskDependencyRow.task, TaskDependencyRow.depends_on]

    def write() -> None:
        for chunk in range(0, TASKS, 500):
            TaskRow.insert_many(rows[chunk : chunk + 500]).execute()
        pairs = sorted(edges)
        for chunk in range(0, len(pairs), 500):
            TaskDependencyRow.insert_many(pairs[chunk : chunk + 500], fields=edge_fields).execute()

    store.write(write)


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, object]:
    fn()  # warm the page cache and Peewee's query compilation paths
    samples = []
    result = None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, result


def report(service: TaskService, rng: random.Random, runs: int) -> None:
    pending = service.count(status=TaskStatus.PENDING)
    pages = max(1, pending // 100)

    def pending_page() -> list:
        return service.list(status=TaskStatus.PENDING, limit=100, offset=100 * rng.randrange(pages))

    def add_task() -> object:
        return service.add("new task", dependencies=[rng.randint(1, TASKS)])

    def add_dependency() -> object:
        task = rng.randint(TASKS // 2, TASKS)
        return service.update(task, add_dependencies=[task - rng.randint(1, 200)])

    cases: list[tuple[str, Callable[[], object], str]] = [
        ("list(status=PENDING, limit=100, offset=random page)", pending_page, "< 10 ms"),
        ("list(limit=100, offset=5000)", lambda: service.list(limit=100, offset=5000), "< 10 ms"),
        ("count(status=PENDING)", lambda: service.count(status=TaskStatus.PENDING), ""),
        ("ready(limit=100)", lambda: service.ready(limit=100), "< 20 ms"),
        ("ready(limit=100, repo=/src/web)", lambda: service.ready(100, "/src/web"), "< 20 ms"),
        ("ready()  [unlimited]", lambda: service.ready(), "< 20 ms"),
        ("get(random id)", lambda: service.get(rng.randint(1, TASKS)), ""),
        # Writes come last so the reads above all see the same board.
        ("add(dependencies=[random task])", add_task, ""),
        ("update(add_dependencies=[older task]), cycle check", add_dependency, ""),
    ]
    print(f"{'operation':<52} {'median':>9} {'p95':>9} {'rows':>6}  target")
    for name, fn, target in cases:
        median, p95, result = timed(fn, runs)
        rows = len(result) if isinstance(result, list) else "-"
        print(f"{name:<52} {median:>7.2f}ms {p95:>7.2f}ms {rows:>6}  {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="cco-bench-"))
    store = Store(folder / "orchestrator.db")
    try:
        began = time.perf_counter()
        populate(store, rng)
        service = TaskService(store, EventLog(store))
        print(
            f"{TASKS} tasks, {EDGES} dependency edges inserted in "
            f"{time.perf_counter() - began:.2f}s; {args.runs} runs each\n"
        )
        for status in TaskStatus:
            print(f"  {status.value:<12} {service.count(status=status):>6}")
        print(f"  ready        {len(service.ready()):>6}\n")
        report(service, rng, args.runs)
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
