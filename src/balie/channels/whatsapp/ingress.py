"""The lean ASGI path for WhatsApp webhook POSTs, mounted in front of Django.

``POST /webhooks/whatsapp/<key>/`` is answered here without Django's middleware, URL resolver
and request objects: check the Host against ``ALLOWED_HOSTS`` (400), find the channel (cached
per process for ``CHANNEL_TTL`` seconds), check size and media type (413, 415), read the raw
bytes, verify the signature over them (401, 403) and the envelope (400) with the same functions
the Django view uses, then hand the body to the process's
:class:`~balie.channels.whatsapp.groupcommit.GroupCommitter` and answer 200 only after the
commit that holds it. A failed or late commit answers 503, which Meta retries; the
wamid dedupes the retry. Everything else (the GET handshake, other channels, the workspace)
goes to the wrapped application unchanged.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.conf import settings
from django.db import close_old_connections, connection
from django.http.request import split_domain_port, validate_host

from balie.channels.base import WebhookRejected, body_limit, check_declared, check_received
from balie.channels.models import Channel
from balie.channels.whatsapp.adapter import SIGNATURE_HEADER, checked_text
from balie.channels.whatsapp.groupcommit import GroupCommitter

log = structlog.get_logger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PATH = re.compile(r"^/webhooks/whatsapp/(?P<key>[-a-zA-Z0-9_]+)/$")
#: seconds a channel lookup (or a miss) is reused; a changed secret applies within this time
CHANNEL_TTL = 5.0
#: seconds a request waits for its commit before answering 503
COMMIT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ChannelKeys:
    """What the ingest needs of a channel: its id and its (decrypted) app secret."""

    pk: int
    app_secret: str = field(repr=False)


class ChannelCache:
    """Active WhatsApp channels by key, looked up in a helper thread, reused for a TTL."""

    def __init__(self, ttl: float = CHANNEL_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, ChannelKeys | None]] = {}
        self._pending: dict[str, asyncio.Future[ChannelKeys | None]] = {}
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="balie-whatsapp-lookup")

    async def get(self, key: str) -> ChannelKeys | None:
        """The channel for ``key``, or None when there is no active one; raises if the
        database cannot be asked (nothing is cached then)."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        pending = self._pending.get(key)
        if pending is None:  # one lookup per key, however many requests wait for it
            pending = asyncio.get_running_loop().run_in_executor(self._executor, _lookup, key)
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._store(key, done))
        # shielded: one waiter that goes away must not cancel the lookup for the others
        return await asyncio.shield(pending)

    def _store(self, key: str, done: asyncio.Future[ChannelKeys | None]) -> None:
        self._pending.pop(key, None)
        if not done.cancelled() and done.exception() is None:
            self._entries[key] = (time.monotonic() + self.ttl, done.result())

    def close(self) -> None:
        """Close the lookup thread's database connection and stop the thread."""
        self._entries.clear()
        self._executor.submit(_close_connection).result()
        self._executor.shutdown()


def _close_connection() -> None:
    connection.close()  # the calling thread's own connection


def _lookup(key: str) -> ChannelKeys | None:
    close_old_connections()  # this thread's connection follows CONN_MAX_AGE like a request's
    channel = Channel.objects.filter(kind="whatsapp", key=key, is_active=True).first()
    if channel is None:
        return None
    return ChannelKeys(channel.pk, str(channel.secrets.get("app_secret", "")))


class WhatsAppIngress:
    """ASGI wrapper: WhatsApp webhook POSTs are ingested here, all else passes to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.channels = ChannelCache()
        self.committer = GroupCommitter()

    def close(self) -> None:
        """Finish queued commits and release this process's ingest connections."""
        self.committer.close()
        self.channels.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = PATH.match(scope["path"])
            if match is not None:
                await self.ingest(match["key"], scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def ingest(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Check, store durably, then acknowledge one webhook POST."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            _check_host(headers.get("host", ""))
            try:
                channel = await self.channels.get(key)
            except Exception as exc:  # the database is unreachable: Meta must retry
                log.warning("whatsapp_ingest_unavailable", key=key, error=type(exc).__name__)
                await _unavailable(send)
                return
            if channel is None:
                raise WebhookRejected(404, "unknown_channel", "no such channel")
            check_declared(headers.get("content-length"), headers.get("content-type"))
            body = await _read_body(receive)
            text = checked_text(channel.app_secret, body, headers.get(SIGNATURE_HEADER.lower()))
        except WebhookRejected as rejected:
            log.info("webhook_rejected", kind="whatsapp", key=key, code=rejected.code)
            await _respond(send, rejected.status, json.dumps(rejected.payload()).encode())
            return
        except _ClientGone:
            return
        try:
            committed = self.committer.submit(channel.pk, text)
            await asyncio.wait_for(committed, COMMIT_TIMEOUT)
        except Exception as exc:  # the commit failed or is late: Meta must retry
            log.warning("whatsapp_ingest_unavailable", key=key, error=type(exc).__name__)
            await _unavailable(send)
            return
        await _respond(send, 200, b"")


def _check_host(host: str) -> None:
    """``ALLOWED_HOSTS`` as Django applies it (400), since this path skips Django's request."""
    domain, _port = split_domain_port(host)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed):
        raise WebhookRejected(400, "disallowed_host", f"host {host!r} is not served here")


class _ClientGone(Exception):
    """The client disconnected before its body arrived."""


async def _read_body(receive: Receive) -> bytes:
    limit = body_limit()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:  # stop reading at once: a declared length can lie
            check_received(b"".join(chunks) + chunk)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return check_received(b"".join(chunks))


async def _unavailable(send: Send) -> None:
    """503 with Retry-After: nothing was stored, and Meta should deliver again."""
    body = WebhookRejected(503, "unavailable", "not stored; retry later").payload()
    await _respond(send, 503, json.dumps(body).encode(), retry_after=True)


async def _respond(send: Send, status: int, body: bytes, *, retry_after: bool = False) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", b"application/json"))
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
