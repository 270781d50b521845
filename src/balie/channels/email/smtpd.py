"""Optional direct intake over SMTP with aiosmtpd: mail handed to Balie's own listener goes
through the same intake as IMAP (one message per DATA, stored before the 250 answer)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

from balie.channels.email.intake import RawMail, ingest_batch
from balie.channels.models import Channel


class IntakeHandler:
    """aiosmtpd handler: store the message, then answer 250 (451 when storing failed)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        try:
            await sync_to_async(_store, thread_sensitive=False)(self.channel, raw)
        except Exception:
            return "451 4.3.0 temporary failure, try again later"
        return "250 2.0.0 stored"


def _store(channel: Channel, raw: bytes) -> None:
    """Store in a worker thread, whose database connection is closed afterwards (the pool's
    threads outlive the message)."""
    close_old_connections()
    try:
        ingest_batch(channel, [RawMail(raw, "smtp")])
    finally:
        connection.close()


def listener(channel: Channel, host: str, port: int) -> Any:
    """An aiosmtpd Controller for the channel (``start()`` and ``stop()`` it)."""
    from aiosmtpd.controller import Controller

    return Controller(IntakeHandler(channel), hostname=host, port=port)
