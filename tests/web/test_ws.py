"""/ws over a real connection: events made by other processes arrive, logs can be followed,
and a client that stops reading holds up nobody."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import textwrap
import time

import pytest
from websockets.sync.client import connect

from tests.helpers import capture, retry_until
from tests.web.conftest import TOKEN


def open_socket(server, token: str = TOKEN, **options):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return connect(server.ws_url, additional_headers=headers, open_timeout=10, **options)


def receive_until(ws, predicate, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no matching message within {timeout}s; got {[m.get('type') for m in seen]}")
        try:
            message = json.loads(ws.recv(timeout=remaining))
        except TimeoutError:
            continue
        if predicate(message):
            return message
        seen.append(message)


def in_another_process(cli_env, code: str) -> str:
    """Run `code` in a fresh interpreter with the test's environment; its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=cli_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_task_added_by_another_process_reaches_the_socket(server, cli_env):
    with open_socket(server) as ws:
        hello = receive_until(ws, lambda m: m["type"] == "hello")
        assert isinstance(hello["last_event_id"], int)
        in_another_process(
            cli_env,
            """
            from cc_orchestrator.core.orchestrator import Orchestrator
            Orchestrator().tasks.add("added from the CLI's process", priority="high")
        """,
        )
        update = receive_until(ws, lambda m: m["type"] == "task_update")
        assert update["status"] == "PENDING" and update["priority"] == "HIGH"
        assert "added from the CLI's process" in update["message"]
        assert update["id"] > hello["last_event_id"] and update["task_id"] >= 1


def test_an_instance_started_by_another_process_reaches_the_socket(server, cli_env, orch, git_repo):
    with open_socket(server) as ws:
        receive_until(ws, lambda m: m["type"] == "hello")
        instance_id = in_another_process(
            cli_env,
            f"""
            from pathlib import Path
            from cc_orchestrator.core.orchestrator import Orchestrator
            print(Orchestrator().instances.start(Path({str(git_repo)!r})).id)
        """,
        )
        status = receive_until(ws, lambda m: m["type"] == "instance_status" and m["instance_id"] == instance_id)
        assert status["status"] == "RUNNING" and status["previous"] == "STARTING"
        metrics = receive_until(ws, lambda m: m["type"] == "metrics" and instance_id in m["instances"])
        assert metrics["instances"][instance_id]["memory_mb"] > 0
    orch.instances.stop(instance_id)


def test_a_stop_by_the_cli_reaches_the_socket(server, cli_env, orch, git_repo):
    """Another process changes an instance: the server's Live sees the database move and pushes."""
    with server.client() as http:
        instance = http.post("/api/instances", json={}).json()
    with open_socket(server) as ws:
        receive_until(ws, lambda m: m["type"] == "hello")
        stopped = subprocess.run(
            [sys.executable, "-m", "cc_orchestrator", "instances", "stop", instance["id"]],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert stopped.returncode == 0, stopped.stderr
        receive_until(
            ws,
            lambda m: (
                m["type"] == "instance_status" and m["instance_id"] == instance["id"] and m["status"] == "STOPPED"
            ),
        )
    with server.client() as http:  # and the REST list, read from the same snapshots, agrees
        retry_until(lambda: http.get(f"/api/instances/{instance['id']}").json()["status"] == "STOPPED")


def test_a_question_on_an_agents_screen_reaches_the_socket(server, orch, git_repo):
    """The agent (a process of its own) asks; nobody polls: its pane log moves, Live reads the screen."""
    with server.client() as http:
        instance = http.post("/api/instances", json={}).json()
        retry_until(lambda: "fake-agent ready" in capture(orch.settings.tmux_socket, instance["tmux_session"]))
        with open_socket(server) as ws:
            receive_until(ws, lambda m: m["type"] == "hello")
            orch.tmux.send_text(instance["tmux_session"], "ask pushed.txt")
            waiting = receive_until(
                ws,
                lambda m: (
                    m["type"] == "instance_status"
                    and m["instance_id"] == instance["id"]
                    and m["status"] == "WAITING_INPUT"
                ),
            )
            assert waiting["previous"] in ("RUNNING", "IDLE")
        http.post(f"/api/instances/{instance['id']}/stop")


def test_following_an_instance_log(server, orch, git_repo):
    with server.client() as http:
        instance = http.post("/api/instances", json={}).json()
        retry_until(lambda: "fake-agent ready" in capture(orch.settings.tmux_socket, instance["tmux_session"]))
        with open_socket(server) as follower, open_socket(server) as other:
            follower.send(json.dumps({"type": "subscribe", "instance_id": instance["id"]}))
            replay = receive_until(follower, lambda m: m["type"] == "log_message" and m.get("replay"))
            assert replay["source"] == "agent" and replay["instance_id"] == instance["id"]
            assert any("fake-agent ready" in line for line in replay["lines"])

            http.post(f"/api/instances/{instance['id']}/send", json={"text": "echo this"})
            live = receive_until(
                follower,
                lambda m: (
                    m["type"] == "log_message"
                    and m.get("source") == "agent"
                    and not m["replay"]
                    and any("received: echo this" in line for line in m["lines"])
                ),
            )
            assert live["level"] == "INFO"
            # the other client did not subscribe: it gets the orchestrator's events, not the pane
            other.send(json.dumps({"type": "ping"}))
            receive_until(other, lambda m: m["type"] == "pong")
            other.send(json.dumps({"type": "ping"}))
            seen = []
            receive_until(other, lambda m: seen.append(m) or m["type"] == "pong")
            assert not any(m.get("source") == "agent" for m in seen)
        http.post(f"/api/instances/{instance['id']}/stop")


def test_requests_on_the_socket(server):
    with open_socket(server) as ws:
        ws.send(json.dumps({"type": "ping"}))
        assert receive_until(ws, lambda m: m["type"] in ("pong", "error"))["type"] == "pong"
        ws.send("not json")
        assert receive_until(ws, lambda m: m["type"] == "error")["message"]
        ws.send(json.dumps({"type": "subscribe", "instance_id": "ffffff"}))
        assert "no instance" in receive_until(ws, lambda m: m["type"] == "error")["message"]
        ws.send(json.dumps({"type": "subscribe", "instance_id": "../../etc/passwd"}))
        assert receive_until(ws, lambda m: m["type"] == "error")["message"]


def test_a_client_that_stops_reading_holds_up_nobody(server, orch):
    with open_socket(server) as slow, open_socket(server) as fast:
        receive_until(fast, lambda m: m["type"] == "hello")
        started = time.monotonic()
        for n in range(300):
            orch.tasks.add(f"burst {n}")
        got = []
        receive_until(fast, lambda m: m["type"] == "task_update" and got.append(m) is None and len(got) == 300)
        assert [m["message"].split(": ", 1)[1] for m in got] == [f"burst {n}" for n in range(300)]
        assert time.monotonic() - started < 30
        del slow  # never read a byte


def test_a_full_queue_is_dropped_for_one_resync():
    from cc_orchestrator.web import events

    async def scenario():
        client = events.Client()
        for n in range(events.QUEUE_SIZE + 10):
            client.offer(json.dumps({"n": n}))
        return client

    client = asyncio.run(scenario())
    assert client.queue.qsize() <= events.QUEUE_SIZE
    last = [json.loads(client.queue.get_nowait()) for _ in range(client.queue.qsize())]
    assert last[0]["type"] == "resync" and client.skipped == events.QUEUE_SIZE + 1
    assert [m["n"] for m in last[1:]] == list(range(events.QUEUE_SIZE + 1, events.QUEUE_SIZE + 10))


@pytest.mark.parametrize("count", [1, 3])
def test_each_client_gets_each_event_once(server, orch, count):
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(open_socket(server)) for _ in range(count)]
        for ws in sockets:
            receive_until(ws, lambda m: m["type"] == "hello")
        task = orch.tasks.add("once")
        orch.tasks.update(task.id, priority="low")
        for ws in sockets:
            first = receive_until(ws, lambda m: m["type"] == "task_update")
            second = receive_until(ws, lambda m: m["type"] == "task_update")
            assert (first["priority"], second["priority"]) == ("MEDIUM", "LOW")
            assert second["id"] == first["id"] + 1
