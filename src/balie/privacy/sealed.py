"""Reading a sealed original: restricted (supervisors of the organisation) and audited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from balie.audit.trail import record
from balie.conversations import access
from balie.conversations.models import Message
from balie.core.errors import Forbidden, NotFound
from balie.privacy.models import SealedOriginal


def unseal(request: HttpRequest, message_id: int) -> str:
    """The text of a masked message as received. The caller must see the conversation and be
    a supervisor; every attempt, allowed or refused, leaves an audit entry."""
    message = (
        Message.objects.filter(
            pk=message_id, conversation__in=access.visible_conversations(request.user)
        )
        .select_related("conversation")
        .first()
    )
    if message is None:
        raise NotFound("not found")
    sealed = SealedOriginal.objects.filter(message_id=message.pk).first()
    try:
        access.require(request.user, message.conversation, access.Action.SUPERVISE)
    except Forbidden:
        record(request=request, action="privacy.unseal", obj=message, result="refused")
        raise
    if sealed is None:
        raise NotFound("not found")
    record(request=request, action="privacy.unseal", obj=message)
    content: dict[str, Any] = sealed.content
    return str(content.get("body", ""))
