"""A long history does not slow requests down: Live starts at the newest event, and a burst
longer than one snapshot holds is read out at once, not a page per sweep."""

from __future__ import annotations

from cc_orchestrator.core.models import EventKind

HISTORY = 2_500  # more than a snapshot's page of events (1,000)
LONG_HISTORY = 8_000  # more pages than a request makes commits


def _history(orch, count: int) -> None:
    def add() -> None:
        for n in range(count):
            orch.events.add(EventKind.LOG_MESSAGE, f"old event {n}")

    orch.store.write(add)


def test_a_request_on_a_long_history_sees_its_change_without_waiting_for_a_sweep(orch, make_server):
    _history(orch, LONG_HISTORY)
    server = make_server(sweep=120)  # no sweep comes to the rescue within the test
    feed = server.app.state.services.feed
    with server.client() as http:
        created = http.post("/api/tasks", json={"title": "after a long history"})
        assert created.status_code == 201, created.text
        # the request waited for the snapshot holding its event (settle), and did not time out
        assert feed.snapshot.last_event_id >= orch.events.latest_id()
        assert http.get(f"/api/tasks/{created.json()['id']}").json()["title"] == "after a long history"


def test_a_burst_longer_than_a_snapshot_is_read_out_at_once(orch):
    from tests.test_live import Pushed

    pushed = Pushed()
    live = orch.live(pushed, pushed.errors.append, sweep=120)
    try:
        pushed.until(lambda s: s.live)
        _history(orch, HISTORY)  # a burst: one commit, 2.5 snapshots' worth of events
        newest = orch.events.latest_id()
        pushed.until(lambda s: s.last_event_id >= newest, timeout=60)
        seen = [e.id for s in list(pushed.snapshots) for e in s.events]
        assert len(seen) == len(set(seen)) == HISTORY  # each once, none skipped
    finally:
        live.stop()
    assert not pushed.errors, pushed.errors
