"""Read receipts: off by default (municipal policy), per channel ``read_receipts: true``;
the organisation's care policy, when it sets one, wins for all its channels."""

from __future__ import annotations

import structlog
from django_tasks import task

from balie.backoffice.afterhours import read_receipts_allowed
from balie.channels.base import SendError
from balie.channels.whatsapp.client import GraphClient
from balie.conversations.models import Message

log = structlog.get_logger(__name__)


@task(queue_name="outbound")
def mark_read(message_id: int) -> None:
    """Tell WhatsApp the citizen's message was read (blue ticks); failures are only logged."""
    message = Message.objects.select_related("channel").get(pk=message_id)
    channel_setting = bool(message.channel.settings.get("read_receipts"))
    allowed = read_receipts_allowed(
        message.channel.organisation_id, channel_setting=channel_setting
    )
    if not allowed or not message.provider_id:  # the organisation's setting wins (issue 11)
        return
    try:
        GraphClient(message.channel).send_message(
            {"messaging_product": "whatsapp", "status": "read", "message_id": message.provider_id}
        )
    except SendError as exc:
        log.warning("whatsapp_mark_read_failed", message_id=message_id, code=exc.code)
