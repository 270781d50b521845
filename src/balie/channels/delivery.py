"""The outbox worker: sends pending outbound messages through their channel's adapter.

A message is claimed under its row lock (status ``pending`` → attempt recorded) before the
provider is called, and the result is recorded in a second transaction.
"""

from __future__ import annotations

import structlog
from django.db import transaction

from balie.channels.base import SendError
from balie.channels.registry import adapter_for
from balie.conversations.actions import do_update_delivery_status
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.events import ReplyQueued
from balie.conversations.models import Message
from balie.core import clock

log = structlog.get_logger(__name__)


def on_reply_queued(evt: ReplyQueued) -> None:
    """Handler: deliver the queued reply."""
    deliver(evt.message_id)


def deliver(message_id: int) -> None:
    """Send one pending message; idempotent (a message already past pending is left alone)."""
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("channel").get(pk=message_id)
        if message.delivery_status != DeliveryStatus.PENDING or message.provider_id:
            return
        attempts = int(message.metadata.get("attempts", 0)) + 1
        message.metadata = {**message.metadata, "attempts": attempts}
        message.save(update_fields=["metadata"])
    adapter = adapter_for(message.channel)
    try:
        result = adapter.send(message)
    except SendError as exc:
        log.warning(
            "message_send_failed", message_id=message_id, code=exc.code, retryable=exc.retryable
        )
        with transaction.atomic():
            do_update_delivery_status(
                message_id, DeliveryStatus.FAILED, error_code=exc.code, error_text=exc.text
            )
        return
    with transaction.atomic():
        Message.objects.filter(pk=message_id).update(
            provider_id=result.provider_id, sent_at=clock.now()
        )
        do_update_delivery_status(message_id, DeliveryStatus.SENT)
    log.info("message_sent", message_id=message_id, channel_kind=message.channel.kind)
