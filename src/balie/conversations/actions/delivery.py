"""Applying provider delivery reports to outbound messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import structlog

from balie.conversations.delivery import OUTCOME_UNKNOWN, DeliveryStatus, advance
from balie.conversations.events import DeliveryStatusChanged
from balie.conversations.models import Message
from balie.core import clock
from balie.core.events import publish
from balie.core.sql import Statement, run_statements, update_statement

log = structlog.get_logger(__name__)


class Report(NamedTuple):
    """A delivery report: the message, the reported status, the provider's error code and
    text, and when the provider says it happened (None: now)."""

    message_id: int
    status: DeliveryStatus
    error_code: str = ""
    error_text: str = ""
    at: datetime | None = None


#: the column keeping the time of each reported status (``sent_at`` is the send itself)
TIME_OF = {
    DeliveryStatus.SENT: "sent_at",
    DeliveryStatus.DELIVERED: "delivered_at",
    DeliveryStatus.READ: "read_at",
    DeliveryStatus.FAILED: "failed_at",
}
FIELDS = ["delivery_status", "error_code", "error_text", *TIME_OF.values()]


def do_update_delivery_status(
    message_id: int,
    reported: DeliveryStatus,
    *,
    error_code: str = "",
    error_text: str = "",
    at: datetime | None = None,
) -> Message:
    """Apply a delivery report; the status never moves backwards. Call inside a transaction."""
    report = Report(message_id, reported, error_code, error_text, at)
    return do_update_delivery_statuses([report])[0]


def do_update_delivery_statuses(
    reports: Sequence[Report | tuple[Any, ...]], *, defer: list[Statement] | None = None
) -> list[Message]:
    """Apply delivery reports (one locked read and one write for all), in order; the status
    of each message never moves backwards and ``failed`` is final. The first time each status
    is reported is kept (``sent_at``, ``delivered_at``, ``read_at``, ``failed_at``; the
    provider's time, never later than now), also when the status itself does not move (a
    ``delivered`` after ``read``). Call inside a transaction. Returns the messages, one per
    report. With ``defer``, the write is appended to it for the caller to run
    (``run_statements``) together with its own."""
    items = [Report(*report) for report in reports]
    messages = {
        m.pk: m
        for m in Message.objects.select_for_update(no_key=True, of=("self",))
        .select_related("conversation")
        .filter(pk__in={report.message_id for report in items})
        .order_by("pk")
    }
    now = clock.now()
    changed: dict[int, Message] = {}
    for report in items:
        message = messages[report.message_id]
        if _note_time(message, report, now):
            changed[message.pk] = message
        current = DeliveryStatus(message.delivery_status)
        unsure = message.error_code == OUTCOME_UNKNOWN
        new = advance(current, report.status, unsure=unsure)
        settled = unsure and report.status == DeliveryStatus.FAILED  # the provider's own word
        if new == current and not settled:
            log.info(
                "delivery_status_ignored",
                message_id=message.pk,
                current=current.value,
                reported=report.status.value,
            )
            continue
        message.delivery_status = new
        if DeliveryStatus.FAILED in (new, current):  # failing, or settling an unsure failure
            message.error_code, message.error_text = report.error_code[:32], report.error_text[:500]
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
    write = update_statement(Message, list(changed.values()), FIELDS)
    if defer is None:
        run_statements([write])
    else:
        defer.append(write)
    return [messages[report.message_id] for report in items]


def _note_time(message: Message, report: Report, now: datetime) -> bool:
    """Keep when ``report``'s status first happened on an outbound message; True if new."""
    column = TIME_OF.get(report.status)
    if column is None or message.delivery_status == DeliveryStatus.RECEIVED:
        return False
    if getattr(message, column) is not None:
        return False
    setattr(message, column, min(report.at, now) if report.at else now)
    return True
