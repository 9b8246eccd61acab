"""/ws: live events for one browser or script (message shapes in web/events.py).

The client may send:
  {"type": "subscribe", "instance_id": "..."}   follow that instance's pane output (one at a time;
                                                the instance followed most recently by any client
                                                has its CPU and memory sampled every second)
  {"type": "unsubscribe"}                       stop following it
  {"type": "ping"}                              answered with {"type": "pong"}
Each connection has a sending task that drains its bounded queue, with a timeout per send: a
client that stops reading is disconnected, and never holds up the feed or other clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from cc_orchestrator.errors import OrchestratorError
from cc_orchestrator.web.events import Client, encode
from cc_orchestrator.web.follow import agent_lines

router = APIRouter()

SEND_TIMEOUT = 10.0
TAIL_LINES = 200


@router.websocket("/ws")
async def live(websocket: WebSocket) -> None:
    state = websocket.app.state
    feed = state.services.feed
    client = feed.clients.connect()
    if client is None:
        await websocket.close(code=1013, reason="too many connections")
        return
    try:
        await websocket.accept()
        client.offer(encode({"type": "hello", "last_event_id": feed.last_id}))
        tasks = {
            asyncio.create_task(_send(websocket, client)),
            asyncio.create_task(_receive(websocket, client, state)),
        }
        # whichever ends first (the client left, or it read too slowly) ends the other
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
    except WebSocketDisconnect:
        pass
    finally:
        feed.clients.disconnect(client)
        _unsubscribe(client, state)


async def _send(websocket: WebSocket, client: Client) -> None:
    while True:
        text = await client.queue.get()
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await websocket.send_text(text)
        except (TimeoutError, WebSocketDisconnect, RuntimeError, OSError):
            with contextlib.suppress(Exception):
                await websocket.close(code=1008, reason="too slow")
            return


async def _receive(websocket: WebSocket, client: Client, state) -> None:
    while True:
        text = await websocket.receive_text()
        try:
            request = json.loads(text)
            kind = request.get("type") if isinstance(request, dict) else None
        except ValueError:
            kind = None
        if kind == "ping":
            client.offer(encode({"type": "pong"}))
        elif kind == "subscribe":
            await _subscribe(client, state, request.get("instance_id"))
        elif kind == "unsubscribe":
            _unsubscribe(client, state)
        else:
            client.offer(encode({"type": "error", "message": "unknown request; see /docs for /ws"}))


async def _subscribe(client: Client, state, ref) -> None:
    if not isinstance(ref, str) or not ref.strip():
        client.offer(encode({"type": "error", "message": "subscribe needs an instance_id"}))
        return
    feed, logs = state.services.feed, state.services.orchestrator.instances.logs
    try:
        instance = await asyncio.to_thread(feed.get, ref)  # the id from the snapshot, not the client
        lines = await asyncio.to_thread(logs.tail, instance.id, TAIL_LINES)
    except OrchestratorError as exc:
        client.offer(encode({"type": "error", "message": exc.message}))
        return
    _unsubscribe(client, state)
    client.log_instance = instance.id
    state.followers.follow(instance.id)
    feed.focus(instance.id)
    client.offer(encode({**agent_lines(instance.id, lines, replay=True), "subscribed": True}))


def _unsubscribe(client: Client, state) -> None:
    if client.log_instance is not None:
        state.followers.unfollow(client.log_instance)
        state.services.feed.unfocus(client.log_instance)
        client.log_instance = None
