"""Realtime pushes to agents' browsers over the channel layer (in-memory or Redis).

Pushes carry event names and ids only — never message bodies or personal data; the browser
fetches what it needs through the authorised API. Groups: ``org.<id>`` for everyone of an
organisation, ``agent.<id>`` for one agent.
"""

from __future__ import annotations

from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from balie.core.events import Event

log = structlog.get_logger(__name__)


def org_group(organisation_id: int) -> str:
    """The group of everyone working for an organisation."""
    return f"org.{organisation_id}"


def agent_group(agent_id: int) -> str:
    """The group of one agent's connections."""
    return f"agent.{agent_id}"


def _organisation_of(evt: Event) -> int | None:
    payload = evt.to_payload()
    if payload.get("organisation_id"):
        return int(payload["organisation_id"])
    if "conversation_id" in payload:
        from balie.conversations.models import Conversation

        return (
            Conversation.objects.filter(pk=payload["conversation_id"])
            .values_list("organisation_id", flat=True)
            .first()
        )
    return None


def push(evt: Event) -> None:
    """Send ``evt`` to its organisation's group (and to the assigned agent's group)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message: dict[str, Any] = {"type": "balie.event", "name": evt.name, "data": evt.to_payload()}
    organisation_id = _organisation_of(evt)
    if organisation_id is not None:
        async_to_sync(layer.group_send)(org_group(organisation_id), message)
    agent_id = evt.to_payload().get("agent_id")
    if agent_id:
        async_to_sync(layer.group_send)(agent_group(int(agent_id)), message)
    log.debug("realtime_pushed", event_name=evt.name)
