"""Reading a sealed original: restricted (supervisors of the organisation), with a stated
reason, and audited (``privacy.unseal``: allowed or refused, the reason in the entry)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from balie.audit.trail import record
from balie.conversations import access
from balie.conversations.actions.privacy import MASK
from balie.conversations.models import Direction, Message
from balie.core.errors import Forbidden, InvalidInput, NotFound
from balie.privacy.models import SealedOriginal

#: the longest reason kept in the audit entry
REASON_MAX = 300


def check_reason(reason: str) -> str:
    """The reason, trimmed; InvalidInput (``reason_required``, ``reason_too_long``) else."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("give a reason for reading the original", code="reason_required")
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            f"the reason is longer than {REASON_MAX} characters", code="reason_too_long"
        )
    return reason


def unseal(request: HttpRequest, message_id: int, reason: str) -> str:
    """The text of a masked message as received. The caller must see the conversation (else
    NotFound, as for an absent id), be a supervisor (else Forbidden) and give a reason (else
    InvalidInput); every attempt on a visible message, allowed or refused, leaves an audit
    entry with the reason given."""
    message = (
        Message.objects.filter(
            pk=message_id, conversation__in=access.visible_conversations(request.user)
        )
        .select_related("conversation")
        .first()
    )
    if message is None:
        raise NotFound("not found")
    given = " ".join(str(reason).split())[:REASON_MAX]
    try:
        access.require(request.user, message.conversation, access.Action.SUPERVISE)
    except Forbidden:
        record(
            request=request,
            action="privacy.unseal",
            obj=message,
            result="refused",
            detail={"reason": given},
        )
        raise
    reason = check_reason(reason)
    sealed = SealedOriginal.objects.filter(message_id=message.pk).first()
    if sealed is None:
        raise NotFound("not found")
    record(request=request, action="privacy.unseal", obj=message, detail={"reason": reason})
    content: dict[str, Any] = sealed.content
    return str(content.get("body", ""))


def sealed_among(messages: Iterable[Message]) -> set[int]:
    """The ids of those ``messages`` whose original is sealed (one query, none when no
    received text holds a masked character)."""
    masked = [m.pk for m in messages if m.direction == Direction.INBOUND and MASK in m.body]
    if not masked:
        return set()
    return set(
        SealedOriginal.objects.filter(message_id__in=masked).values_list("message_id", flat=True)
    )
