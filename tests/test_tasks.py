"""The task service against a real SQLite file: moves, dependencies, the ready queue, events."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
import traceback
from datetime import UTC
from pathlib import Path

import pytest

from cc_orchestrator.core.events import EventLog, utcnow
from cc_orchestrator.core.models import EventKind, Priority, TaskStatus
from cc_orchestrator.core.store.database import Store
from cc_orchestrator.core.store.tables import InstanceRow, TaskDependencyRow, TaskRow
from cc_orchestrator.core.tasks import TRANSITIONS, TaskService
from cc_orchestrator.errors import Conflict, InvalidInput, NotFound

S = TaskStatus


@pytest.fixture
def events(store) -> EventLog:
    return EventLog(store)


@pytest.fixture
def tasks(store, events) -> TaskService:
    return TaskService(store, events)


def force_status(store: Store, task_id: int, status: TaskStatus, instance: str | None = None):
    """Put a task in a state directly, skipping the transition rules (test setup only)."""
    store.write(
        lambda: TaskRow.update(status=status.value, assigned_instance=instance).where(TaskRow.id == task_id).execute()
    )


def add_instance(store: Store, instance_id: str, task_id: int, status: str) -> None:
    now = utcnow()
    store.write(
        lambda: InstanceRow.create(
            id=instance_id,
            task=task_id,
            worktree_path=f"/tmp/worktrees/{instance_id}",
            tmux_session=f"cco-{instance_id}",
            status=status,
            created_at=now,
            last_activity=now,
        )
    )


def task_events(events: EventLog) -> list:
    return events.since(0, kinds=(EventKind.TASK_UPDATE,))


def dependency_rows(store: Store) -> set[tuple[int, int]]:
    query = TaskDependencyRow.select(TaskDependencyRow.task, TaskDependencyRow.depends_on)
    return store.read(lambda: set(query.tuples()))


# -- adding and reading -----------------------------------------------------------------------


def is_ready(tasks, task_id) -> bool:
    """PENDING with every dependency DONE, as the ready queue says."""
    task = tasks.get(task_id)
    return task.status is S.PENDING and not task.blocked


def test_add_fills_defaults_and_strips_the_title(tasks):
    task = tasks.add("  Fix the login page \n", description="It 500s")

    assert task.id == 1
    assert task.title == "Fix the login page"
    assert task.description == "It 500s"
    assert (task.status, task.priority) == (S.PENDING, Priority.MEDIUM)
    assert task.assigned_instance is None
    assert (task.source, task.source_id, task.repo) == ("manual", "", None)
    assert task.dependencies == () and task.blocked is False
    assert task.created_at.tzinfo is UTC and task.created_at == task.updated_at
    assert tasks.get(task.id) == task


def test_add_keeps_source_and_repo(tasks):
    task = tasks.add("Imported", source="github", source_id="octo/repo#12", repo="/src/api")
    assert (task.source, task.source_id, task.repo) == ("github", "octo/repo#12", "/src/api")


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "task title must not be empty"),
        ("   \t", "task title must not be empty"),
        ("x" * 501, "task title is too long: 501 characters, at most 500"),
    ],
)
def test_add_refuses_a_bad_title(tasks, title, message):
    with pytest.raises(InvalidInput, match=f"^{message}$"):
        tasks.add(title)
    assert tasks.count() == 0


def test_a_title_of_500_characters_is_accepted(tasks):
    assert len(tasks.add("x" * 500).title) == 500


@pytest.mark.parametrize("text", ["high", "HIGH", "High", " hIgH "])
def test_priority_is_accepted_in_any_case(tasks, text):
    assert tasks.add("t", priority=text).priority is Priority.HIGH


def test_an_unknown_priority_names_the_choices(tasks):
    with pytest.raises(InvalidInput) as caught:
        tasks.add("t", priority="urgent")
    assert str(caught.value) == "invalid priority 'urgent': choose one of HIGH, MEDIUM, LOW"
    assert tasks.count() == 0


def test_an_unknown_status_names_the_choices(tasks):
    task = tasks.add("t")
    expected = "invalid status 'started': choose one of PENDING, ASSIGNED, IN_PROGRESS, REVIEW, DONE"
    with pytest.raises(InvalidInput, match=f"^{expected}$"):
        tasks.update(task.id, status="started")
    with pytest.raises(InvalidInput, match=f"^{expected}$"):
        tasks.list(status="started")


def test_add_with_dependencies_accepts_ids_as_text(tasks):
    first, second = tasks.add("a"), tasks.add("b")
    third = tasks.add("c", dependencies=[str(second.id), first.id, first.id])
    assert third.dependencies == (first.id, second.id)
    assert third.blocked is True


def test_add_refuses_an_unknown_dependency_and_adds_nothing(tasks, store):
    first = tasks.add("a")
    with pytest.raises(NotFound, match="^no task 12$"):
        tasks.add("b", dependencies=[first.id, 12])
    assert tasks.count() == 1
    assert dependency_rows(store) == set()


def test_get_accepts_text_ids_and_explains_bad_ones(tasks):
    task = tasks.add("a")
    assert tasks.get(str(task.id)) == task
    assert tasks.get(f" {task.id} ") == task
    with pytest.raises(InvalidInput, match="^invalid task id 'x': ids are whole numbers"):
        tasks.get("x")
    with pytest.raises(InvalidInput, match="^invalid task id '-1': ids are whole numbers"):
        tasks.get("-1")
    with pytest.raises(NotFound, match="^no task 99$"):
        tasks.get(99)
    with pytest.raises(NotFound, match="^no task 99$"):
        tasks.get("99")


# -- listing ----------------------------------------------------------------------------------


def test_list_filters_by_status_priority_and_repo(tasks, store):
    a = tasks.add("a", priority="high", repo="/src/api")
    b = tasks.add("b", priority="low", repo="/src/web")
    c = tasks.add("c", priority="high", repo="/src/web")
    force_status(store, b.id, S.DONE)

    assert [t.id for t in tasks.list()] == [a.id, b.id, c.id]
    assert [t.id for t in tasks.list(status="done")] == [b.id]
    assert [t.id for t in tasks.list(status=S.PENDING)] == [a.id, c.id]
    assert [t.id for t in tasks.list(priority="High")] == [a.id, c.id]
    assert [t.id for t in tasks.list(repo="/src/web")] == [b.id, c.id]
    assert [t.id for t in tasks.list(status="pending", priority="high", repo="/src/web")] == [c.id]
    assert tasks.list(repo="/elsewhere") == []
    assert tasks.count() == 3
    assert tasks.count(status="pending") == 2
    assert tasks.count(priority=Priority.HIGH, repo="/src/web") == 1


def test_list_pages_in_id_order(tasks):
    ids = [tasks.add(f"task {i}").id for i in range(25)]
    assert [t.id for t in tasks.list(limit=10)] == ids[:10]
    assert [t.id for t in tasks.list(limit=10, offset=10)] == ids[10:20]
    assert [t.id for t in tasks.list(limit=10, offset=20)] == ids[20:]
    assert [t.id for t in tasks.list(offset=22)] == ids[22:]
    assert tasks.list(limit=10, offset=30) == []
    assert tasks.list(limit=0) == []
    with pytest.raises(InvalidInput, match="limit must be 0 or more"):
        tasks.list(limit=-1)
    with pytest.raises(InvalidInput, match="offset must be 0 or more"):
        tasks.list(offset=-5)


def test_list_carries_dependencies_and_blocked(tasks, store):
    a, b = tasks.add("a"), tasks.add("b")
    c = tasks.add("c", dependencies=[a.id, b.id])
    d = tasks.add("d", dependencies=[a.id])
    force_status(store, a.id, S.DONE)

    listed = {t.id: t for t in tasks.list()}
    assert listed[c.id].dependencies == (a.id, b.id) and listed[c.id].blocked is True
    assert listed[d.id].dependencies == (a.id,) and listed[d.id].blocked is False
    assert listed[a.id].dependencies == () and listed[a.id].blocked is False


def test_a_page_and_the_ready_queue_are_one_query_each(tasks, store):
    first = tasks.add("first")
    for i in range(30):
        tasks.add(f"task {i}", dependencies=[first.id] if i % 2 else [])
    statements: list[str] = []
    connection = store.db.connection()
    connection.set_trace_callback(statements.append)
    try:
        page = tasks.list(limit=20, offset=5)
        queue = tasks.ready()
    finally:
        connection.set_trace_callback(None)

    assert len(page) == 20 and any(t.blocked for t in page)
    assert len(queue) == 16
    assert len(statements) == 2
    assert "NOT EXISTS" in statements[1]


# -- moves ------------------------------------------------------------------------------------

ALL_MOVES = [(a, b) for a in TaskStatus for b in TaskStatus if a is not b]


@pytest.mark.parametrize(("start", "target"), ALL_MOVES, ids=lambda s: s.value)
def test_moves_follow_the_transition_table(tasks, store, start, target):
    task = tasks.add("t")
    force_status(store, task.id, start, instance=None if start is S.PENDING else "abc123")

    if target in TRANSITIONS[start] and target is not S.ASSIGNED:  # only an instance starting makes it ASSIGNED
        moved = tasks.update(task.id, status=target.value.lower())
        assert moved.status is target
        assert tasks.get(task.id).status is target
    else:
        with pytest.raises(InvalidInput, match=f"^cannot move task 1 from {start} to {target}"):
            tasks.update(task.id, status=target)
        assert tasks.get(task.id).status is start


def test_the_transition_table_is_the_documented_one():
    assert TRANSITIONS == {
        S.PENDING: {S.ASSIGNED, S.IN_PROGRESS, S.DONE},
        S.ASSIGNED: {S.IN_PROGRESS, S.PENDING},
        S.IN_PROGRESS: {S.REVIEW, S.DONE, S.PENDING},
        S.REVIEW: {S.DONE, S.IN_PROGRESS, S.PENDING},
        S.DONE: {S.PENDING},
    }


def test_a_refused_move_lists_the_allowed_ones(tasks, store):
    task = tasks.add("t")
    force_status(store, task.id, S.DONE)
    with pytest.raises(InvalidInput) as caught:
        tasks.update(task.id, status="review")
    assert str(caught.value) == "cannot move task 1 from DONE to REVIEW; allowed: PENDING"


def test_moving_to_pending_clears_the_instance(tasks, store):
    task = tasks.add("t")
    force_status(store, task.id, S.IN_PROGRESS, instance="abc123")
    assert tasks.get(task.id).assigned_instance == "abc123"

    reopened = tasks.update(task.id, status="pending")
    assert (reopened.status, reopened.assigned_instance) == (S.PENDING, None)


def test_a_blocked_task_cannot_start(tasks, store):
    dep = tasks.add("dep")
    task = tasks.add("t", dependencies=[dep.id])
    other = tasks.add("other")
    tasks.update(task.id, add_dependencies=[other.id])

    for status in ("assigned", "in_progress"):
        with pytest.raises(Conflict, match=f"^task {task.id} is blocked by {dep.id}, {other.id}$"):
            tasks.update(task.id, status=status)
    with pytest.raises(Conflict, match="is blocked by"):
        tasks.set_status(task.id, "in_progress", instance_id="abc123")
    with pytest.raises(Conflict, match=f"^task {task.id} is blocked by {dep.id}, {other.id}$"):
        tasks.assign(task.id, "abc123")
    assert tasks.get(task.id).status is S.PENDING

    tasks.update(dep.id, status="done")
    tasks.update(other.id, status="done")
    assert tasks.update(task.id, status="in_progress").status is S.IN_PROGRESS


def test_a_blocked_task_can_still_be_closed(tasks):
    dep = tasks.add("dep")
    task = tasks.add("t", dependencies=[dep.id])
    assert tasks.update(task.id, status="done").status is S.DONE


def test_update_changes_fields_and_keeps_priority_rank_in_sync(tasks, store):
    task = tasks.add("old", description="d", priority="low")
    updated = tasks.update(task.id, title="  new ", description="more", priority="HIGH")

    assert (updated.title, updated.description, updated.priority) == ("new", "more", Priority.HIGH)
    assert updated.updated_at > task.updated_at
    rank = store.read(lambda: TaskRow.get_by_id(task.id).priority_rank)
    assert rank == Priority.HIGH.rank
    with pytest.raises(InvalidInput, match="must not be empty"):
        tasks.update(task.id, title=" ")


def test_an_update_that_changes_nothing_writes_nothing(tasks, events):
    task = tasks.add("same", priority="low")
    before = len(task_events(events))
    assert tasks.update(task.id, title="same", priority="low", status="pending") == task
    assert len(task_events(events)) == before


# -- dependencies and cycles ------------------------------------------------------------------


def test_a_task_cannot_depend_on_itself(tasks):
    task = tasks.add("t")
    with pytest.raises(InvalidInput, match="^task 1 cannot depend on itself$"):
        tasks.update(task.id, add_dependencies=[task.id])


def test_a_direct_cycle_is_refused(tasks):
    a = tasks.add("a")
    b = tasks.add("b", dependencies=[a.id])
    with pytest.raises(InvalidInput, match="^dependency cycle: 1 -> 2 -> 1$"):
        tasks.update(a.id, add_dependencies=[b.id])
    assert tasks.get(a.id).dependencies == ()


def test_an_indirect_cycle_is_refused_and_changes_nothing(tasks, store, events):
    a = tasks.add("a")
    b = tasks.add("b", dependencies=[a.id])
    c = tasks.add("c", dependencies=[b.id])
    d = tasks.add("d")
    tasks.update(a.id, add_dependencies=[d.id])
    rows, count = dependency_rows(store), len(task_events(events))

    with pytest.raises(InvalidInput, match="^dependency cycle: 1 -> 3 -> 2 -> 1$"):
        tasks.update(
            a.id,
            title="renamed",
            status="done",
            remove_dependencies=[d.id],
            add_dependencies=[c.id],
        )

    assert dependency_rows(store) == rows
    after = tasks.get(a.id)
    assert (after.title, after.status, after.dependencies) == ("a", S.PENDING, (d.id,))
    assert len(task_events(events)) == count


def test_dependencies_can_be_added_and_removed(tasks):
    a, b, c = tasks.add("a"), tasks.add("b"), tasks.add("c")
    task = tasks.update(c.id, add_dependencies=[a.id, str(b.id)])
    assert task.dependencies == (a.id, b.id) and task.blocked
    task = tasks.update(c.id, remove_dependencies=[a.id, 99])
    assert task.dependencies == (b.id,)
    with pytest.raises(NotFound, match="^no task 42$"):
        tasks.update(c.id, add_dependencies=[42])
    with pytest.raises(InvalidInput, match="both added to and removed"):
        tasks.update(c.id, add_dependencies=[a.id], remove_dependencies=[a.id])


def test_a_diamond_is_not_a_cycle(tasks):
    a = tasks.add("a")
    b = tasks.add("b", dependencies=[a.id])
    c = tasks.add("c", dependencies=[a.id])
    d = tasks.add("d", dependencies=[b.id])
    assert tasks.update(d.id, add_dependencies=[c.id]).dependencies == (b.id, c.id)


# -- the ready queue --------------------------------------------------------------------------


def test_ready_orders_by_priority_then_age(tasks, store):
    low = tasks.add("low", priority="low")
    high1 = tasks.add("high 1", priority="high")
    medium = tasks.add("medium")
    high2 = tasks.add("high 2", priority="high")
    blocker = tasks.add("blocker", priority="low")
    blocked = tasks.add("blocked", priority="high", dependencies=[blocker.id])
    working = tasks.add("working", priority="high")
    force_status(store, working.id, S.IN_PROGRESS, instance="abc123")

    ready = tasks.ready()
    assert [t.id for t in ready] == [high1.id, high2.id, medium.id, low.id, blocker.id]
    assert all(t.status is S.PENDING and not t.blocked for t in ready)
    assert [t.id for t in tasks.ready(limit=2)] == [high1.id, high2.id]
    assert not is_ready(tasks, blocked.id) and not is_ready(tasks, working.id)
    assert is_ready(tasks, str(low.id))

    tasks.update(blocker.id, status="done")
    ready = tasks.ready(limit=3)
    assert [t.id for t in ready] == [high1.id, high2.id, blocked.id]
    assert ready[2].dependencies == (blocker.id,)
    assert is_ready(tasks, blocked.id)


def test_ready_filters_by_repo(tasks):
    tasks.add("api", repo="/src/api")
    web = tasks.add("web", repo="/src/web")
    assert [t.id for t in tasks.ready(repo="/src/web")] == [web.id]


def test_a_reopened_dependency_blocks_again(tasks):
    dep = tasks.add("dep")
    task = tasks.add("t", dependencies=[dep.id])
    tasks.update(dep.id, status="done")
    assert is_ready(tasks, task.id)
    tasks.update(dep.id, status="pending")
    assert not is_ready(tasks, task.id)
    assert tasks.ready() == [tasks.get(dep.id)]


# -- assign and set_status, inside the orchestrator's transaction -----------------------------


def test_assign_hands_a_ready_task_to_an_instance(tasks, store):
    task = tasks.add("t")
    assigned = store.write(lambda: tasks.assign(task.id, "abc123"))
    assert (assigned.status, assigned.assigned_instance) == (S.ASSIGNED, "abc123")

    with pytest.raises(Conflict, match="^task 1 is ASSIGNED, not PENDING$"):
        store.write(lambda: tasks.assign(task.id, "def456"))

    started = store.write(lambda: tasks.set_status(task.id, "in_progress", instance_id="abc123"))
    assert (started.status, started.assigned_instance) == (S.IN_PROGRESS, "abc123")
    with pytest.raises(Conflict, match="^task 1 is IN_PROGRESS, not PENDING$"):
        tasks.assign(task.id, "def456")


def test_assign_rolls_back_with_the_callers_transaction(tasks, store, events):
    task = tasks.add("t")
    count = len(task_events(events))

    class InstanceFailed(Exception):
        pass

    def start_instance():
        tasks.assign(task.id, "abc123")
        raise InstanceFailed

    with pytest.raises(InstanceFailed):
        store.write(start_instance)
    assert tasks.get(task.id) == task
    assert len(task_events(events)) == count


def test_set_status_pending_undoes_a_failed_start(tasks, store):
    task = tasks.add("t")
    store.write(lambda: tasks.assign(task.id, "abc123"))
    back = store.write(lambda: tasks.set_status(task.id, S.PENDING))
    assert (back.status, back.assigned_instance) == (S.PENDING, None)
    assert is_ready(tasks, task.id)


def test_set_status_checks_the_move(tasks, store):
    task = tasks.add("t")
    with pytest.raises(InvalidInput, match="^cannot move task 1 from PENDING to REVIEW"):
        store.write(lambda: tasks.set_status(task.id, "review"))
    with pytest.raises(InvalidInput, match="invalid status"):
        tasks.set_status(task.id, "later")


# -- removing ---------------------------------------------------------------------------------


def test_remove_is_refused_while_a_live_instance_works_on_the_task(tasks, store):
    task = tasks.add("t")
    add_instance(store, "abc123", task.id, "RUNNING")
    with pytest.raises(Conflict) as caught:
        tasks.remove(task.id)
    assert str(caught.value) == "task 1 is being worked on by instance abc123; stop it first"
    assert tasks.get(task.id) == task


def test_remove_after_the_instance_stopped(tasks, store, events):
    dep = tasks.add("dep")
    task = tasks.add("t")
    dependent = tasks.add("dependent", dependencies=[task.id, dep.id])
    add_instance(store, "abc123", task.id, "STOPPED")
    add_instance(store, "def456", task.id, "ERROR")

    removed = tasks.remove(str(task.id))
    assert removed == task
    with pytest.raises(NotFound):
        tasks.get(task.id)
    with pytest.raises(NotFound, match="^no task 2$"):
        tasks.remove(task.id)
    assert tasks.get(dependent.id).dependencies == (dep.id,)
    assert dependency_rows(store) == {(dependent.id, dep.id)}
    instance_tasks = store.read(lambda: [r.task_id for r in InstanceRow.select()])
    assert instance_tasks == [None, None]
    last = task_events(events)[-1]
    assert (last.task_id, last.message) == (task.id, "task 2 removed: t")
    assert last.data["removed"] is True and last.data["status"] == "PENDING"


# -- events -----------------------------------------------------------------------------------


def test_every_change_writes_a_task_update_event(tasks, store, events):
    task = tasks.add("t", priority="low")
    tasks.update(task.id, priority="high")
    store.write(lambda: tasks.assign(task.id, "abc123"))
    tasks.set_status(task.id, "in_progress")
    tasks.update(task.id, status="done")
    with pytest.raises(InvalidInput):
        tasks.update(task.id, status="review")

    written = task_events(events)
    assert [e.message for e in written] == [
        "task 1 added: t",
        "task 1 priority LOW -> HIGH",
        "task 1 PENDING -> ASSIGNED; assigned to instance abc123",
        "task 1 ASSIGNED -> IN_PROGRESS",
        "task 1 IN_PROGRESS -> DONE",
    ]
    assert all(e.task_id == task.id for e in written)
    assigned = {"status": "ASSIGNED", "previous": "PENDING", "assigned_instance": "abc123", "priority": "HIGH"}
    assert written[2].data == assigned
    assert "previous" not in written[1].data  # only a status move says where it came from
    assert written[2].instance_id == "abc123"
    assert written[0].data == {"status": "PENDING", "assigned_instance": None, "priority": "LOW"}
    other = tasks.add("another")
    assert [e.task_id for e in events.tail(task_id=task.id, limit=100)] == [task.id] * len(written)
    assert [e.message for e in events.since(0, task_id=other.id)] == [f"task {other.id} added: another"]


# -- the module stays light -------------------------------------------------------------------


def test_the_task_service_imports_without_heavy_packages():
    code = (
        "import sys, cc_orchestrator.core.tasks\n"
        "heavy = {'pydantic', 'textual', 'fastapi', 'uvicorn', 'click'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- several processes at once ----------------------------------------------------------------

WORKERS = 4
TASKS_EACH = 150


def _hammer(db_path: str, worker: int, barrier, results) -> None:
    """One process: add tasks, then walk each one through the board, as a face would."""
    errors: list[str] = []
    ids: list[int] = []
    began = ended = 0.0
    try:
        store = Store(Path(db_path))
        service = TaskService(store, EventLog(store))
        barrier.wait(timeout=60)
        began = time.time()
        repo = f"/src/worker{worker}"
        for i in range(TASKS_EACH):
            depends_on = [ids[-1]] if ids and i % 3 == 0 else []
            try:
                ids.append(service.add(f"w{worker} #{i}", dependencies=depends_on, repo=repo).id)
            except Exception:
                errors.append(traceback.format_exc())
        for task_id in ids:
            try:
                store.write(lambda t=task_id: service.assign(t, f"w{worker}-{t}"))
                store.write(lambda t=task_id: service.set_status(t, "in_progress"))
                service.update(task_id, status="review", priority="high")
                service.update(task_id, status="done")
                service.list(repo=repo, limit=20, offset=10)
                service.ready(limit=5)
            except Exception:
                errors.append(traceback.format_exc())
        ended = time.time()
        store.close()
    except Exception:
        errors.append(traceback.format_exc())
    results.put((worker, ids, errors, (began, ended)))


def test_several_processes_share_the_database(tasks, store, events):
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    processes = [context.Process(target=_hammer, args=(str(store.path), n, barrier, results)) for n in range(WORKERS)]
    for process in processes:
        process.start()
    reports = [results.get(timeout=100) for _ in processes]
    for process in processes:
        process.join(timeout=10)

    errors = [error for _, _, errs, _ in reports for error in errs]
    assert errors == []
    ids = sorted(i for _, worker_ids, _, _ in reports for i in worker_ids)
    windows = [window for _, _, _, window in reports]
    assert ids == list(range(1, WORKERS * TASKS_EACH + 1))
    # They really ran at the same time: every worker started before any finished.
    assert max(began for began, _ in windows) < min(ended for _, ended in windows)
    assert tasks.count() == WORKERS * TASKS_EACH
    assert tasks.count(status="done") == WORKERS * TASKS_EACH
    for n in range(WORKERS):
        assert tasks.count(repo=f"/src/worker{n}", priority="high") == TASKS_EACH
    # add, assign, start, review, done: five events per task.
    assert len(events.since(0, kinds=(EventKind.TASK_UPDATE,), limit=10_000)) == 5 * len(ids)
    assert all(process.exitcode == 0 for process in processes)
