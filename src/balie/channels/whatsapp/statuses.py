"""Delivery reports of Balie's own WhatsApp messages: applied in arrival order, only forwards,
and linked to a message whose send outcome a crash left unrecorded (part of :mod:`.ingest`)."""

from __future__ import annotations

import structlog

from balie.channels.models import Channel
from balie.channels.whatsapp.parse import ParsedStatus
from balie.conversations.actions.attachments import do_set_provider_ids
from balie.conversations.actions.delivery import Report
from balie.conversations.actions.delivery import do_update_delivery_statuses as update_statuses
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.models import Direction, Message

log = structlog.get_logger(__name__)

STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "played": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def apply_statuses(channel: Channel, statuses: list[ParsedStatus]) -> None:
    """Apply delivery reports in arrival order: one lookup and one write for all of them."""
    known = STATUSES.keys()
    for status in statuses:
        if status.status not in known:
            log.info("whatsapp_status_ignored", status=status.status)
    statuses = [s for s in statuses if s.status in known]
    wamids = {s.wamid for s in statuses}
    ids = dict(
        Message.objects.filter(channel=channel, provider_id__in=wamids).values_list(
            "provider_id", "pk"
        )
    )
    reports: list[Report] = []
    for status in statuses:
        message_id = ids.get(status.wamid)
        if message_id is None and status.callback_data:
            message_id = _reconcile(channel, status)
            if message_id is not None:
                ids[status.wamid] = message_id
        if message_id is None:
            log.info("whatsapp_status_unknown_message", channel_id=channel.pk, status=status.status)
            continue
        reports.append(
            Report(
                message_id,
                STATUSES[status.status],
                status.error_code,
                status.error_text,
                at=status.sent_at,
            )
        )
    if reports:
        update_statuses(reports)


def _reconcile(channel: Channel, status: ParsedStatus) -> int | None:
    """Link a report to an outbound message whose send outcome was never recorded (a crash).

    We send our message uuid as ``biz_opaque_callback_data``; Meta echoes it in statuses.
    """
    if not _is_uuid(status.callback_data):
        return None  # not one of ours
    message = (
        Message.objects.select_for_update(no_key=True)
        .filter(channel=channel, direction=Direction.OUTBOUND, provider_id="")
        .filter(uuid=status.callback_data)
        .first()
    )
    if message is None:
        return None
    do_set_provider_ids([(message, status.wamid)])
    log.info("whatsapp_send_reconciled", message_id=message.pk)
    return message.pk


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
