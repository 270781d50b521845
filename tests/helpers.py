"""Small helpers for tests: inbound messages through the real action."""

from __future__ import annotations

import itertools

from django.db import transaction

from balie.channels.models import Channel
from balie.conversations.actions import InboundMessage, ReceiveResult, do_receive_message
from balie.parties.actions import AddressClaim, SenderIdentity

_ids = itertools.count(1)


def receive(
    channel: Channel,
    text: str = "Hoe vraag ik een paspoort aan?",
    *,
    email: str = "jan@example.nl",
    name: str = "Jan Jansen",
    provider_id: str | None = None,
    **inbound: object,
) -> ReceiveResult:
    """Receive a message from ``email`` on ``channel`` the way an adapter does."""
    with transaction.atomic():
        return do_receive_message(
            channel,
            SenderIdentity(primary=AddressClaim("email", email), name=name),
            InboundMessage(
                provider_id=provider_id or f"test-{next(_ids)}",
                body=text,
                **inbound,  # type: ignore[arg-type]
            ),
        )
