"""Applying provider delivery reports to outbound messages."""

from __future__ import annotations

import structlog

from balie.conversations.delivery import DeliveryStatus, advance
from balie.conversations.events import DeliveryStatusChanged
from balie.conversations.models import Message
from balie.core.events import publish

log = structlog.get_logger(__name__)


def do_update_delivery_status(
    message_id: int,
    reported: DeliveryStatus,
    *,
    error_code: str = "",
    error_text: str = "",
) -> Message:
    """Apply a delivery report; the status never moves backwards. Call inside a transaction."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .get(pk=message_id)
    )
    current = DeliveryStatus(message.delivery_status)
    new = advance(current, reported)
    if new == current:
        log.info(
            "delivery_status_ignored",
            message_id=message.pk,
            current=current.value,
            reported=reported.value,
        )
        return message
    message.delivery_status = new
    fields = ["delivery_status"]
    if new == DeliveryStatus.FAILED:
        message.error_code, message.error_text = error_code[:32], error_text[:500]
        fields += ["error_code", "error_text"]
    message.save(update_fields=fields)
    publish(
        DeliveryStatusChanged(
            message_id=message.pk,
            conversation_id=message.conversation_id,
            status=new.value,
            error_code=message.error_code,
            organisation_id=message.conversation.organisation_id,
        )
    )
    return message
