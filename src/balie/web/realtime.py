"""Realtime pushes to agents' browsers over the channel layer (in-memory or Redis).

Pushes carry event names and ids only — never message bodies or personal data; the browser
fetches what it needs through the authorised API. Groups: ``org.<id>`` for everyone of an
organisation, ``agent.<id>`` for one agent.

A push never blocks the action that committed: it is handed to an event loop — the loop the
WebSocket consumers of this process live on, or, for a cross-process layer (Redis) in a
process without consumers (a worker), a small pump thread of its own — where one task per loop
sends the pushes one after the other, in the order they were made, over one connection (a
coroutine per push opened a Redis connection per concurrent push under a burst: a sixth of
a worker's busy time at 20 messages/s). With the in-memory layer and no consumer in this
process, nobody could hear the push, so none is made.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import structlog
from channels.layers import InMemoryChannelLayer, get_channel_layer

from balie.core.events import Event

log = structlog.get_logger(__name__)

_consumer_loop: asyncio.AbstractEventLoop | None = None
_pump_loop: asyncio.AbstractEventLoop | None = None
_pump_lock = threading.Lock()
#: per event loop: its queue of pushes and the task sending them
_outboxes: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[asyncio.Queue[Any], asyncio.Task[None]]
] = weakref.WeakKeyDictionary()


def org_group(organisation_id: int) -> str:
    """The group of everyone working for an organisation."""
    return f"org.{organisation_id}"


def agent_group(agent_id: int) -> str:
    """The group of one agent's connections."""
    return f"agent.{agent_id}"


def bind_consumer_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by a consumer on connect: this process's sockets live on ``loop``."""
    global _consumer_loop  # noqa: PLW0603 -- one loop per process, set by the first socket
    _consumer_loop = loop


def _pump() -> asyncio.AbstractEventLoop:
    global _pump_loop  # noqa: PLW0603 -- started once per process, on first need
    with _pump_lock:
        if _pump_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="balie-realtime", daemon=True).start()
            _pump_loop = loop
        return _pump_loop


def _organisation_of(payload: dict[str, Any]) -> int | None:
    """Every event pushed carries its organisation (set by the action that publishes it)."""
    organisation_id = payload.get("organisation_id")
    return int(organisation_id) if organisation_id else None


async def _send(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    for group in groups:
        await layer.group_send(group, message)


def _enqueue(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    """On the loop: queue the push for the loop's sending task (started on first need)."""
    loop = asyncio.get_running_loop()
    if loop not in _outboxes:
        outbox: asyncio.Queue[Any] = asyncio.Queue()
        _outboxes[loop] = (outbox, loop.create_task(_drain(layer, outbox)))
    _outboxes[loop][0].put_nowait((groups, message))


async def _drain(layer: Any, outbox: asyncio.Queue[Any]) -> None:
    """Send the loop's pushes one by one, in order; a failed one is logged and skipped."""
    while True:
        groups, message = await outbox.get()
        try:
            await _send(layer, groups, message)
        except Exception:  # best effort: the browser resynchronises on its next refresh
            log.warning("realtime_push_failed", event_name=message["name"], exc_info=True)


def push(evt: Event) -> None:
    """Hand ``evt`` to its organisation's group (and the agent's, if it names one)."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _consumer_loop if _consumer_loop is not None and _consumer_loop.is_running() else None
    if loop is None:
        if isinstance(layer, InMemoryChannelLayer):
            return  # no socket in this process, and the in-memory layer reaches no other
        loop = _pump()
    payload = evt.to_payload()
    groups = []
    organisation_id = _organisation_of(payload)
    if organisation_id is not None:
        groups.append(org_group(organisation_id))
    if payload.get("agent_id"):
        groups.append(agent_group(int(payload["agent_id"])))
    message = {"type": "balie.event", "name": evt.name, "data": payload}
    loop.call_soon_threadsafe(_enqueue, layer, groups, message)
    log.debug("realtime_pushed", event_name=evt.name)
