"""The visitor's WebSocket, ``/ws/webchat/<channel key>/``: one per open widget.

Frames are JSON objects with a ``type``. The widget starts with ``start`` (its session
token when it has one, ``last_id`` of the last message it showed, optionally ``identifier``
and ``hmac``) and gets ``ready`` (the token to keep, the topics, the availability) followed
by every message it has not seen. Then: ``topic``, ``message``, ``file``, ``typing``,
``email``, ``transcript``, ``seen``, ``ping``. Balie sends ``message``, ``ack``, ``typing``
and ``error`` frames. Bad input of any kind gets an ``error`` frame (``code``, ``message``)
and the socket stays open; only a refused origin, identity or channel closes it (4403, 4401,
4404). docs/channels.md ("Web chat") describes the protocol.

Not behind ``AllowedHostsOriginValidator`` (the widget runs on the organisation's sites):
the Origin is checked here against the channel's ``allowed_origins``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from typing import Any

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from balie.channels.models import Channel
from balie.channels.webchat import push, ratelimit
from balie.channels.webchat.availability import availability
from balie.channels.webchat.config import WebchatSettings
from balie.channels.webchat.identity import IdentityRefused
from balie.channels.webchat.models import VisitorSession
from balie.channels.webchat.sessions import (
    Upload,
    VisitorError,
    check_choose_topic,
    check_leave_email,
    check_start,
    check_upload,
    do_mark_delivered,
    do_publish_typing,
    do_receive_visitor_message,
    messages_after,
)
from balie.channels.webchat.transcript import check_request_transcript
from balie.core import safejson

log = structlog.get_logger(__name__)

#: the visitor's typing is passed on at most this often (seconds)
TYPING_EVERY = 2.0
MAX_CLIENT_ID = 64


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def client_address(scope: dict[str, Any]) -> str:
    """The visitor's IP as far as Balie trusts it (``BALIE_PROXY_COUNT``, as for HTTP)."""
    peer = str((scope.get("client") or ("",))[0] or "")
    count = int(getattr(settings, "PROXY_COUNT", 0))
    if count <= 0:
        return peer
    forwarded = [p.strip() for p in _header(scope, b"x-forwarded-for").split(",") if p.strip()]
    return forwarded[-count] if len(forwarded) >= count else peer


def _channel_of(key: str) -> Channel | None:
    return (
        Channel.objects.select_related("organisation", "team")
        .filter(key=key, kind="webchat", is_active=True)
        .first()
    )


def _sync(fn: Any) -> Any:
    """``fn`` on a thread of the pool, not the process's one thread-sensitive thread: many
    visitors' writes would otherwise queue there in front of the agents' sockets' reads."""
    return database_sync_to_async(fn, thread_sensitive=False)


class VisitorConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """One open widget: its session, its rate limits, its view of the conversation."""

    channel: Channel | None = None
    session: VisitorSession | None = None
    settings: WebchatSettings
    last_id = 0
    ip = ""
    _typing_at = 0.0

    async def connect(self) -> None:
        key = str(self.scope["url_route"]["kwargs"].get("key", ""))
        self.ip = client_address(self.scope)
        channel = await _sync(_channel_of)(key)
        await self.accept()
        if channel is None:
            await self._refuse(4404, "unknown_channel", "this chat does not exist or is closed")
            return
        self.settings = WebchatSettings.of(channel.settings)
        origin = _header(self.scope, b"origin")
        if not self.settings.origin_allowed(origin, _header(self.scope, b"host")):
            log.info("webchat_origin_refused", channel_id=channel.pk, origin=origin[:200])
            await self._refuse(4403, "origin_refused", "this site may not open this chat")
            return
        wait = ratelimit.hit("ip-connect", self.ip, self.settings.ip_connections_per_minute)
        if wait:
            await self._refuse(
                4429, "rate_limited", "too many connections; try again shortly", retry_after=wait
            )
            return
        self.channel = channel
        push.bind_loop(asyncio.get_running_loop())

    async def _refuse(self, code: int, error: str, message: str, **extra: Any) -> None:
        await self._send({"type": "error", "code": error, "message": message, **extra})
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.session is not None:
            await self.channel_layer.group_discard(self.session.group, self.channel_name)

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Parse a frame and act on it; whatever goes wrong is answered with an error frame."""
        if self.channel is None:
            return
        limit = self.settings.max_upload_bytes * 4 // 3 + 64 * 1024
        if text_data is None or len(text_data) > limit:
            await self._send(
                VisitorError("bad_frame", "send JSON text frames within the size limit").frame()
            )
            return
        try:  # NUL characters and lone surrogates cleaned, deep nesting refused
            frame = safejson.loads(text_data)
        except safejson.MalformedJSON:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._send(
                VisitorError("bad_frame", 'a frame is a JSON object with a "type"').frame()
            )
            return
        handler = getattr(self, f"on_{frame['type']}", None)
        try:
            if handler is None:
                raise VisitorError("unknown_type", f"unknown frame type {frame['type'][:40]!r}")
            if frame["type"] not in ("start", "ping") and self.session is None:
                raise VisitorError("not_started", 'send a "start" frame first')
            await handler(frame)
        except VisitorError as exc:
            client_id = frame.get("client_id")  # the widget marks which message was refused
            extra = {"client_id": client_id} if isinstance(client_id, str) else {}
            await self._send(exc.frame() | extra)
        except IdentityRefused as exc:
            await self._refuse(4401, exc.code, exc.message)
        except Exception:
            log.exception("webchat_frame_failed", frame_type=str(frame["type"])[:40])
            await self._send(
                VisitorError("internal_error", "something went wrong; please try again").frame()
            )

    # ---- frames from the widget ---------------------------------------------------------

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self._send({"type": "pong"})

    async def on_start(self, frame: dict[str, Any]) -> None:
        if self.session is not None:
            raise VisitorError("already_started", "this socket has started already")
        assert self.channel is not None
        started = await _sync(check_start)(
            self.channel,
            token=_text(frame, "token", 100),
            identifier=_text(frame, "identifier", 400),
            proof=_text(frame, "hmac", 200),
            language=_text(frame, "language", 8),
        )
        self.session = started.session
        await self.channel_layer.group_add(self.session.group, self.channel_name)
        language = self.session.language or "nl"
        self.last_id = _int(frame.get("last_id"))
        await self._send(
            {
                "type": "ready",
                "token": started.token,
                "resumed": started.resumed,
                "verified": self.session.verified,
                "topics": [
                    {"code": t["code"], "label": t.get(language) or t.get("nl") or t["code"]}
                    for t in self.settings.topics
                ],
                "topic": self.session.topic_code,
                "chatting": self.session.conversation_id is not None,
                "availability": await _sync(availability)(self.channel, language),
                "theme": self.settings.theme,
                "organisation": self.channel.organisation.name,
                "limits": {
                    "max_upload_bytes": self.settings.max_upload_bytes,
                    "upload_types": list(self.settings.upload_types),
                    "max_message_chars": self.settings.max_message_chars,
                },
            }
        )
        await self._resync()

    async def on_topic(self, frame: dict[str, Any]) -> None:
        assert self.session is not None
        topic = await _sync(check_choose_topic)(self.session, _text(frame, "code", 64))
        await self._send({"type": "topic", "code": topic["code"]})

    def _limit(self) -> None:
        """The visitor's and the IP address's message limits (VisitorError when over)."""
        assert self.session is not None
        wait = ratelimit.hit(
            "visitor", str(self.session.pk), self.settings.messages_per_minute
        ) or ratelimit.hit("ip", self.ip, self.settings.ip_messages_per_minute)
        if wait:
            raise VisitorError(
                "rate_limited",
                f"you are sending messages too quickly; try again in {wait} seconds",
                retry_after=wait,
            )

    def _client_id(self, frame: dict[str, Any]) -> str:
        client_id = frame.get("client_id")
        if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID:
            raise VisitorError("bad_frame", "a message needs a client_id (1-64 characters)")
        return client_id

    async def on_message(self, frame: dict[str, Any]) -> None:
        assert self.session is not None
        client_id = self._client_id(frame)
        text = frame.get("text")
        if not isinstance(text, str) or not text.strip():
            raise VisitorError("empty_message", "write a message first")
        if len(text) > self.settings.max_message_chars:
            raise VisitorError(
                "message_too_long",
                f"a message may be at most {self.settings.max_message_chars} characters",
            )
        await _sync(self._limit)()
        message = await _sync(do_receive_visitor_message)(self.session, client_id, text.strip())
        await self._ack(client_id, message.pk)

    async def on_file(self, frame: dict[str, Any]) -> None:
        assert self.session is not None
        client_id = self._client_id(frame)
        data = frame.get("data")
        name = _text(frame, "name", 255).replace("/", "_").replace("\\", "_")
        content_type = _text(frame, "content_type", 128).lower()
        if not isinstance(data, str):
            raise VisitorError("bad_frame", "a file frame carries its data as base64")
        await _sync(check_upload)(self.channel, name, content_type, len(data) * 3 // 4)
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VisitorError("bad_frame", "the file data is not valid base64") from exc
        await _sync(check_upload)(self.channel, name, content_type, len(raw))
        await _sync(self._limit)()
        message = await _sync(do_receive_visitor_message)(
            self.session, client_id, _text(frame, "text", 1000), Upload(name, content_type, raw)
        )
        await self._ack(client_id, message.pk)

    async def _ack(self, client_id: str, message_id: int) -> None:
        """Confirm a stored message; the widget shows it already, so a resync skips it
        (an answer with a lower id still comes: its push names it)."""
        self.last_id = max(self.last_id, message_id)
        await self._send({"type": "ack", "client_id": client_id, "id": message_id})

    async def on_typing(self, frame: dict[str, Any]) -> None:
        assert self.session is not None
        now = time.monotonic()
        if now - self._typing_at < TYPING_EVERY:
            return
        self._typing_at = now
        await _sync(do_publish_typing)(self.session)

    async def on_email(self, frame: dict[str, Any]) -> None:
        assert self.session is not None
        await _sync(self._limit)()
        address = await _sync(check_leave_email)(self.session, _text(frame, "address", 320))
        await self._send({"type": "email_saved", "address": address})

    async def on_transcript(self, frame: dict[str, Any]) -> None:
        assert self.session is not None
        await _sync(self._limit)()
        await _sync(check_request_transcript)(self.session, _text(frame, "address", 320))
        await self._send({"type": "transcript_queued"})

    async def on_seen(self, frame: dict[str, Any]) -> None:
        assert self.session is not None
        ids = frame.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise VisitorError("bad_frame", '"ids" is a list of message ids')
        await _sync(do_mark_delivered)(self.session, ids)

    # ---- pushes from Balie --------------------------------------------------------------

    async def webchat_outbound(self, event: dict[str, Any]) -> None:
        """An answer for this visitor: send it (and whatever else the widget missed)."""
        await self._resync(only=_int(event.get("message_id")))

    async def webchat_typing(self, event: dict[str, Any]) -> None:
        await self._send({"type": "typing", "from": "organisation"})

    async def _resync(self, only: int | None = None) -> None:
        assert self.session is not None
        for frame in await _sync(messages_after)(self.session, self.last_id, only=only):
            self.last_id = max(self.last_id, frame["id"])
            await self._send(frame)


def _text(frame: dict[str, Any], key: str, limit: int) -> str:
    value = frame.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise VisitorError("bad_frame", f'"{key}" must be text')
    if len(value) > limit:
        raise VisitorError("bad_frame", f'"{key}" is longer than {limit} characters')
    return value


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
