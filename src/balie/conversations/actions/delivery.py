"""Applying provider delivery reports to outbound messages."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from balie.conversations.delivery import DeliveryStatus, advance
from balie.conversations.events import DeliveryStatusChanged
from balie.conversations.models import Message
from balie.core.events import publish
from balie.core.sql import Statement, run_statements, update_statement

log = structlog.get_logger(__name__)


#: A delivery report: the message, the reported status, the provider's error code and text.
Report = tuple[int, DeliveryStatus, str, str]


def do_update_delivery_status(
    message_id: int,
    reported: DeliveryStatus,
    *,
    error_code: str = "",
    error_text: str = "",
) -> Message:
    """Apply a delivery report; the status never moves backwards. Call inside a transaction."""
    return do_update_delivery_statuses([(message_id, reported, error_code, error_text)])[0]


def do_update_delivery_statuses(
    reports: Sequence[Report], *, defer: list[Statement] | None = None
) -> list[Message]:
    """Apply delivery reports (one locked read and one write for all), in order; the status
    of each message never moves backwards. Call inside a transaction. Returns the messages,
    one per report. With ``defer``, the write is appended to it for the caller to run
    (``run_statements``) together with its own."""
    messages = {
        m.pk: m
        for m in Message.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .filter(pk__in={report[0] for report in reports})
        .order_by("pk")
    }
    changed: dict[int, Message] = {}
    for message_id, reported, error_code, error_text in reports:
        message = messages[message_id]
        current = DeliveryStatus(message.delivery_status)
        new = advance(current, reported)
        if new == current:
            log.info(
                "delivery_status_ignored",
                message_id=message.pk,
                current=current.value,
                reported=reported.value,
            )
            continue
        message.delivery_status = new
        if new == DeliveryStatus.FAILED:
            message.error_code, message.error_text = error_code[:32], error_text[:500]
        changed[message.pk] = message
        publish(
            DeliveryStatusChanged(
                message_id=message.pk,
                conversation_id=message.conversation_id,
                status=new.value,
                error_code=message.error_code,
                organisation_id=message.conversation.organisation_id,
            )
        )
    write = update_statement(
        Message, list(changed.values()), ["delivery_status", "error_code", "error_text"]
    )
    if defer is None:
        run_statements([write])
    else:
        defer.append(write)
    return [messages[report[0]] for report in reports]
