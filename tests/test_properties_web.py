"""Property: whatever a client sends, the API answers 2xx or a 4xx JSON error, never a 5xx, and
the database stays consistent.

The real app (create_app, its middleware, its lifespan) runs in this process behind Starlette's
TestClient: no socket per example. Bodies go out as JSON with \\u escapes, so a lone surrogate
or a NUL reaches the server as a JSON client may send it; some bodies are not JSON at all.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from cc_orchestrator.core.orchestrator import Orchestrator
from tests import hostile
from tests.invariants import check_database, task_count

TOKEN = "test-token-" + "p" * 32


class Api:
    def __init__(self, client, data_dir) -> None:
        self.client = client
        self.data_dir = data_dir

    def __call__(self, method: str, path: str, body=None, raw: bytes | None = None):
        content = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"Content-Type": "application/json"} if content is not None else {}
        response = self.client.request(method, path, content=content, headers=headers)
        if currently_in_test_context():  # --hypothesis-show-statistics: how many got through
            event(f"{method} {path.split('/')[2]}: {response.status_code}")
        assert_clean(response, f"{method} {path!r:.200} {content!r:.300}")
        return response


def assert_clean(response, said: str) -> None:
    said = f"{said} -> {response.status_code} {response.text[:500]}"
    assert response.status_code < 500, said
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"], said
        assert "\n" not in error["message"] and not error["message"].startswith("unexpected"), said


@pytest.fixture
def api(cli_env, data_dir, git_repo):
    from fastapi.testclient import TestClient

    from cc_orchestrator.web.app import create_app

    orchestrator = Orchestrator(data_dir, stop_timeout=2.0)
    app = create_app(orchestrator, TOKEN, default_repo=git_repo)
    client = TestClient(
        app, base_url="http://127.0.0.1", headers={"Authorization": f"Bearer {TOKEN}"}, raise_server_exceptions=False
    )
    with client:  # the lifespan runs: the event hub and the background loops, as in `serve`
        yield Api(client, data_dir)
    orchestrator.close()


@pytest.fixture
def board(api):
    """Eight tasks, each depending on the one before."""
    for n in range(1, 9):
        assert api("POST", "/api/tasks", {"title": f"task {n}", "dependencies": [n - 1] if n > 1 else []}).is_success
    return api


def path_id(value: str) -> str:
    """One path segment: percent-encoded bytes, even those that are not UTF-8; cut to 1,000
    characters (uvicorn refuses a request line past 16 KB before the app sees it)."""
    return quote(value[:1000].encode("utf-8", "surrogatepass"), safe="")


real_ids = st.integers(min_value=1, max_value=9)
dependency_ids = st.lists(hostile.mostly(real_ids, hostile.big_integers | hostile.json_values, odds=2), max_size=3)
priorities = hostile.mostly(st.sampled_from(["high", "LOW", "medium", " Medium "]), hostile.json_values)
statuses = hostile.mostly(
    st.sampled_from(["pending", "in-progress", "REVIEW", "done", "assigned"]), hostile.json_values
)


def body_of(required: dict | None = None, **optional) -> st.SearchStrategy:
    """A JSON object with the `required` fields and some of the `optional` ones (each a
    strategy), now and then an unknown key too."""
    known = st.fixed_dictionaries(required or {}, optional=optional)
    unknown = st.fixed_dictionaries(required or {}, optional=optional | {"colour": hostile.json_values})
    return hostile.mostly(known, unknown)


texts = hostile.mostly(hostile.text, hostile.json_values)
task_bodies = hostile.mostly(
    body_of(
        {"title": texts},
        description=texts,
        priority=priorities,
        dependencies=hostile.mostly(dependency_ids, hostile.json_values),
        repo=st.none() | hostile.text,
    ),
    hostile.json_values,
)
raw_bodies = st.binary(max_size=64) | hostile.text.map(lambda t: t.encode("utf-8", "surrogatepass"))


@hostile.PROPERTIES
@given(body=task_bodies, raw=hostile.mostly(st.none(), raw_bodies))
def test_post_tasks_answers_cleanly_and_adds_exactly_what_it_says(board, body, raw):
    before = task_count(board.data_dir)
    response = board("POST", "/api/tasks", body, raw=raw)
    assert task_count(board.data_dir) == before + (response.status_code == 201)
    check_database(board.data_dir)


update_bodies = hostile.mostly(
    body_of(
        title=texts,
        description=hostile.text,
        priority=priorities,
        status=statuses,
        dependencies=dependency_ids,
        add_dependencies=dependency_ids,
        remove_dependencies=dependency_ids,
    ),
    hostile.json_values,
)


@hostile.PROPERTIES
@given(
    method=st.sampled_from(["PUT", "PATCH", "GET"]),
    task_id=hostile.mostly(real_ids.map(str), hostile.ids, odds=2),
    body=update_bodies,
)
@example(method="PATCH", task_id="1", body={"status": "assigned"})  # ASSIGNED with no instance: refused
@example(method="PUT", task_id="1", body={"dependencies": [8]})  # a cycle through the whole chain
def test_changing_a_task_answers_cleanly_and_never_makes_a_cycle(board, method, task_id, body):
    before = task_count(board.data_dir)
    board(method, f"/api/tasks/{path_id(task_id)}", None if method == "GET" else body)
    assert task_count(board.data_dir) == before
    check_database(board.data_dir)


@hostile.PROPERTIES
@given(task_id=hostile.mostly(hostile.ids, real_ids.map(str)))
def test_deleting_any_task_id_answers_cleanly(board, task_id):
    before = task_count(board.data_dir)
    response = board("DELETE", f"/api/tasks/{path_id(task_id)}")
    assert task_count(board.data_dir) == before - response.is_success
    check_database(board.data_dir)


@hostile.PROPERTIES
@given(
    method=st.sampled_from(["GET", "DELETE", "PUT", "POST stop", "POST send", "POST approve", "GET logs"]),
    instance_id=hostile.ids,
    body=hostile.json_values,
)
def test_any_instance_id_gets_a_clean_answer_when_none_exists(api, method, instance_id, body):
    verb, _, action = method.partition(" ")
    path = f"/api/instances/{path_id(instance_id)}" + (f"/{action}" if action else "")
    assert not api(verb, path, body if verb in ("PUT", "POST") else None).is_success


@pytest.fixture
def live(api, git_repo):
    """One agent for the whole test: a start per example would take minutes."""
    return api("POST", "/api/instances", {"command": hostile.RAW_CAT}).json()


@settings(hostile.PROPERTIES, max_examples=100)
@given(
    body=hostile.mostly(
        body_of(text=hostile.mostly(hostile.text, hostile.json_values), enter=st.booleans()), hostile.json_values
    ),
    other_id=hostile.mostly(st.none(), hostile.ids),
)
def test_send_takes_any_body_and_wedges_nothing(api, live, body, other_id):
    target = live["id"] if other_id is None else path_id(other_id)
    api("POST", f"/api/instances/{target}/send", body)
    assert api("GET", f"/api/instances/{live['id']}").is_success
    assert api("GET", "/api/instances").is_success
    check_database(api.data_dir)


def _json_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


setting_pairs = st.sampled_from(sorted(hostile.SETTINGS)).flatmap(
    lambda key: st.tuples(
        st.just(key), hostile.mostly(st.sampled_from(hostile.SETTINGS[key]).map(_json_value), hostile.json_values)
    )
)
config_bodies = hostile.mostly(
    st.lists(setting_pairs, min_size=1, max_size=3).map(dict),
    st.dictionaries(hostile.text, hostile.json_values, max_size=3) | hostile.json_values,
)


@hostile.PROPERTIES
@given(body=config_bodies)
@example(body={"agents": {"generic": {"ready_patterns": ["("]}}})
@example(body={"agents": {"x": {"command": 5}}})
@example(body={"max_instances": 2**64})
def test_put_config_takes_any_body_and_nothing_stored_breaks_a_request(api, live, body):
    if not api("PUT", "/api/config", body).is_success:
        return  # nothing changed
    api("POST", f"/api/instances/{live['id']}/send", {"text": "hi"})  # moves the screen: the list reads it again
    for path in ("/api/config", "/api/instances", "/api/tasks"):
        assert api("GET", path).is_success, path
    check_database(api.data_dir)


branch_names = hostile.mostly(
    st.sampled_from(["feature/ok", "a/b", "main", "x" * 200, "-b", "x.lock", "@", "a..b"])
    | st.text("ab/-.@{~^:", max_size=20),
    hostile.text | hostile.json_values,
    odds=1,
)


def _git_state(repo) -> tuple[str, str]:
    from tests.helpers import git

    return git(repo, "worktree", "list", "--porcelain"), git(repo, "branch", "--list")


@hostile.PROPERTIES
@given(
    body=body_of({"branch": branch_names}, base=st.none() | st.sampled_from(["main", "HEAD", "nope"]) | hostile.text)
)
@example(body={"branch": "a\x00b"})
@example(body={"branch": "feature/nul", "base": "main\x00"})
def test_post_worktrees_takes_any_branch_or_leaves_nothing_behind(api, git_repo, body):
    before = _git_state(git_repo)
    response = api("POST", "/api/worktrees", body)
    if response.is_success:
        made = response.json()
        assert made["path"] in _git_state(git_repo)[0]
        assert api("DELETE", f"/api/worktrees/{made['id']}?force=true").is_success
    assert _git_state(git_repo) == before
    assert api("GET", "/api/worktrees").json()["total"] == 0
    check_database(api.data_dir)
