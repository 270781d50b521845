"""Helpers for WhatsApp tests: status payloads and the conversation of a delivered message."""

from __future__ import annotations

from typing import Any

from balie.channels.simulators.whatsapp_payloads import envelope, status
from balie.conversations.models import Direction, Message
from tests.whatsapp.conftest import PHONE_NUMBER_ID


def status_payload(wamid: str, state: str, **kwargs: Any) -> dict[str, Any]:
    """A webhook carrying one delivery status for ``wamid``."""
    value = {"statuses": [status(wamid, "31612345678", state, **kwargs)]}
    return envelope(PHONE_NUMBER_ID, "31201234567", "messages", value)


def last_inbound() -> Message:
    """The most recent inbound message."""
    return Message.objects.filter(direction=Direction.INBOUND).latest("pk")


def agent_messages() -> list[Message]:
    """Outbound messages written by an agent (not automatic notices)."""
    return list(Message.objects.filter(direction=Direction.OUTBOUND, author__isnull=False))
