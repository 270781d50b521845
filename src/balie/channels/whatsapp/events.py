"""Events of the WhatsApp channel."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("whatsapp_webhook_received")
@dataclass(frozen=True)
class WebhookReceived(Event):
    """A signed webhook POST was committed; its messages and reports are still to be applied."""

    event_id: int
    channel_id: int
