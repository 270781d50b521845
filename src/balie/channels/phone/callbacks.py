"""Calling the PBX back when a waiting call gets an agent (or its reservation moves on)."""

from __future__ import annotations

import httpx
import structlog

from balie.channels.phone.actions import instruction
from balie.channels.phone.models import Call
from balie.routing.events import ContactOffered

log = structlog.get_logger(__name__)
TIMEOUT_S = 5.0


def on_contact_offered(evt: ContactOffered) -> None:
    """A call was reserved for an agent: post the ``dequeue`` instruction to the PBX."""
    call = (
        Call.objects.select_related("channel")
        .filter(conversation_id=evt.conversation_id)
        .order_by("-pk")  # the latest call carries the conversation
        .first()
    )
    if call is None:
        return
    url = call.channel.settings.get("callback_url")
    if not url:
        return
    body = instruction(call.channel, call)
    token = call.channel.secrets.get("pbx_token", "")
    response = httpx.post(
        url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S
    )
    log.info("pbx_callback", call=call.pk, status=response.status_code)
    response.raise_for_status()
