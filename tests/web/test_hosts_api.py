"""Hosts in the API: /api/hosts with their health, instances filtered by host, a host named
on a new task or instance checked before anything happens. Remote hosts are saved rows here
(no ssh server): their health is what the core's refresh last wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cc_orchestrator.core.store.tables import HostRow

AWAY = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def add_host(orch, name: str, *, latency_ms: float | None = None, unreachable_since: datetime | None = None) -> None:
    orch.store.write(
        lambda: HostRow.create(
            name=name,
            url=f"ssh://dev@{name}.example",
            added_at=AWAY - timedelta(days=1),
            last_seen=AWAY,
            latency_ms=latency_ms,
            unreachable_since=unreachable_since,
        )
    )


@pytest.fixture
def http_with_hosts(orch, make_server):
    add_host(orch, "box", latency_ms=7.2)
    add_host(orch, "gpu", unreachable_since=AWAY)
    with make_server().client() as client:
        yield client


def test_only_local_without_remote_hosts(http):
    (local,) = http.get("/api/hosts").json()
    assert local["name"] == "local" and local["is_local"] and local["reachable"]
    assert local["unreachable_since"] is None


def test_hosts_with_their_health(http_with_hosts):
    hosts = {h["name"]: h for h in http_with_hosts.get("/api/hosts").json()}
    assert list(hosts) == ["local", "box", "gpu"]
    assert hosts["box"]["reachable"] and hosts["box"]["latency_ms"] == 7.2 and not hosts["box"]["is_local"]
    assert not hosts["gpu"]["reachable"]
    assert datetime.fromisoformat(hosts["gpu"]["unreachable_since"]) == AWAY
    assert http_with_hosts.get("/openapi.json").json()["components"]["schemas"]["HostOut"]["required"]


def test_instances_filtered_by_host(http_with_hosts):
    started = http_with_hosts.post("/api/instances", json={"branch": "feature/here"})
    assert started.status_code == 201, started.text
    instance = started.json()
    assert instance["host"] == "local" and instance["unreachable_since"] is None
    on_local = http_with_hosts.get("/api/instances", params={"host": "LOCAL"}).json()
    assert [i["id"] for i in on_local["items"]] == [instance["id"]]
    assert http_with_hosts.get("/api/instances", params={"host": "box"}).json()["total"] == 0
    missing = http_with_hosts.get("/api/instances", params={"host": "nowhere"})
    assert missing.status_code == 404 and "no host named 'nowhere'" in missing.json()["error"]["message"]


def test_a_task_names_its_host_and_an_unknown_one_is_refused(http_with_hosts):
    made = http_with_hosts.post("/api/tasks", json={"title": "on the box", "host": "box"})
    assert made.status_code == 201, made.text
    assert made.json()["host"] == "box"
    refused = http_with_hosts.post("/api/tasks", json={"title": "nowhere", "host": "nowhere"})
    assert refused.status_code == 404
    refused = http_with_hosts.post("/api/instances", json={"host": "nowhere"})
    assert refused.status_code == 404
    assert http_with_hosts.get("/api/tasks").json()["total"] == 1
    assert http_with_hosts.get("/api/instances").json()["total"] == 0  # nothing half-made
