"""Events of the WhatsApp channel."""

from __future__ import annotations

from dataclasses import dataclass, field

from balie.core.events import Event, event


@event("whatsapp_webhook_received")
@dataclass(frozen=True)
class WebhookReceived(Event):
    """Signed webhook POSTs were committed; their messages and reports are still to be applied.

    One event per commit: the lean ingest commits many POSTs together and lists them all in
    ``event_ids``; ``event_id`` and ``channel_id`` name the first (older payloads carry only
    those two).
    """

    event_id: int
    channel_id: int
    event_ids: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, event_ids: list[int], channel_id: int) -> WebhookReceived:
        """The event for stored rows ``event_ids`` (at least one)."""
        return cls(event_id=event_ids[0], channel_id=channel_id, event_ids=list(event_ids))

    @property
    def all_ids(self) -> list[int]:
        """Every stored event this commit announced."""
        return list(self.event_ids) or [self.event_id]
