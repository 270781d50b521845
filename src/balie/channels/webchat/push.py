"""Telling a visitor's open sockets that something is waiting for them, from sync code (the
outbox worker, an agent's request) over the channel layer.

The push carries only a message id: the socket reads the message itself and sends what the
widget has not seen (the same path as a resync), so a lost push costs nothing but a delay
until the next push or reconnect. Like :mod:`balie.web.realtime`, a push is handed to the
event loop the visitor sockets of this process live on (the in-memory layer is bound to it);
in a process without sockets (a worker) it goes over a cross-process layer (Redis) directly,
and with the in-memory layer nobody could hear it, so none is made.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

log = structlog.get_logger(__name__)

_loop: asyncio.AbstractEventLoop | None = None


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by a visitor socket on connect: this process's visitor sockets live on ``loop``."""
    global _loop  # noqa: PLW0603 -- one loop per process, set by the first socket
    _loop = loop


def notify(group: str, message: dict[str, Any]) -> bool:
    """Send ``message`` to ``group`` without waiting for it; False when nobody can hear it."""
    layer = get_channel_layer()
    if layer is None:
        return False
    loop = _loop if _loop is not None and _loop.is_running() else None
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if loop is not None:
        if running is loop:
            loop.create_task(_send(layer, group, message))
        else:
            asyncio.run_coroutine_threadsafe(_send(layer, group, message), loop)
        return True
    if isinstance(layer, InMemoryChannelLayer):
        return False
    async_to_sync(layer.group_send)(group, message)
    return True


async def _send(layer: Any, group: str, message: dict[str, Any]) -> None:
    try:
        await layer.group_send(group, message)
    except Exception:  # best effort: the widget resyncs on its next push or reconnect
        log.warning("webchat_push_failed", group=group, exc_info=True)
