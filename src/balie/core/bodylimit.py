"""Request bodies above the configured limit are refused (413) before they are read in full.

:class:`BodyLimit` wraps the HTTP application. A declared ``Content-Length`` above the limit is
answered at once, without calling the application; a chunked (or lying) body is counted as the
application reads it, and as soon as the bytes received pass the limit the middleware answers
413 itself and tells the application the client went away, so nothing reads the rest. The
limit is ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``BALIE_MAX_BODY_BYTES``), and
``BALIE_MAX_UPLOAD_BYTES`` on the file-upload paths (:data:`UPLOAD_PATHS`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from django.conf import settings

log = structlog.get_logger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: paths that take file uploads, and so the larger limit
UPLOAD_PATHS = re.compile(r"^/(api/v1/conversations/[^/]+/files|gesprekken/\d+/bestand)/$")


def limit_for(path: str) -> int:
    """The largest body accepted on ``path``, in bytes."""
    if UPLOAD_PATHS.match(path):
        return int(settings.BALIE_MAX_UPLOAD_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _too_large(limit: int) -> bytes:
    error = {"code": "body_too_large", "message": f"the body exceeds {limit} bytes"}
    return json.dumps({"error": error}).encode()


class BodyLimit:
    """ASGI middleware: 413 for bodies above :func:`limit_for` the path, read no further."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            log.info("body_refused", path=scope["path"], declared=declared, limit=limit)
            await _respond_413(send, limit)
            return
        guard = _Guard(limit, scope["path"], receive, send)
        await self.app(scope, guard.receive, guard.send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _respond_413(send: Send, limit: int) -> None:
    body = _too_large(limit)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Guard:
    """Counts the body as the application reads it; past the limit, answers 413 instead."""

    def __init__(self, limit: int, path: str, receive: Receive, send: Send) -> None:
        self.limit = limit
        self.path = path
        self._receive = receive
        self._send = send
        self.received = 0
        self.refused = False
        self.started = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.refused = True
                log.info("body_refused", path=self.path, received=self.received, limit=self.limit)
                if not self.started:
                    await _respond_413(self._send, self.limit)
                    self.started = True
                return {"type": "http.disconnect"}  # the application stops reading here
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # our 413 answered the request; the application's answer is dropped
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
