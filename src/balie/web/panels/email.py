"""E-mail on the conversation page: above the composer, the subject and address the reply
will carry (``Re: …`` with the thread token), and a warning when the address bounced."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from balie.channels.base import SendError
from balie.channels.email.adapter import latest_inbound, recipient, reply_subject
from balie.channels.email.models import UndeliverableAddress
from balie.conversations.models import Conversation
from balie.web.panels import Panel, register


def composer_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The reply's subject and recipient; nothing on other channels."""
    if conversation.channel.kind != "email":
        return None
    parent = latest_inbound(conversation)
    meta = (parent.metadata.get("email") or {}) if parent else {}
    try:
        to = recipient(conversation)
    except SendError:
        to = ""
    bounced = (
        bool(to)
        and UndeliverableAddress.objects.filter(
            organisation_id=conversation.organisation_id, address=to.lower()
        ).exists()
    )
    return {"subject": reply_subject(conversation, meta), "to": to, "bounced": bounced}


register(
    Panel(
        key="email",
        place="composer",
        template="web/panels/email_composer.html",
        context=composer_context,
        order=20,
    )
)
