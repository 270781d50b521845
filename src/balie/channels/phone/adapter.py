"""The phone channel's adapter: a PBX carries the call, Balie routes it and records it.

Calls come in through the PBX's API (``balie.api.phone_views``), not a webhook, and nothing is
sent: what an agent says on the call is the reply. Registered as ``phone`` in the channel
registry so the workspace and the outbox ask it like any other channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from balie.channels.base import ChannelAdapter, SendError, SendResult

if TYPE_CHECKING:
    from balie.conversations.models import Message


class PhoneAdapter(ChannelAdapter):
    """No webhook (the PBX has its own API), no sending, no reply window."""

    kind = "phone"

    def send(self, message: Message) -> SendResult:
        """A written reply cannot go down a phone line: refused at once, never retried."""
        raise SendError(
            "not_supported", "a phone call has no written replies; add a note", retryable=False
        )
