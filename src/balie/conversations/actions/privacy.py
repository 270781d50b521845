"""Masking personal data in received messages (the privacy guard's one write to messages).

The guard (``balie.privacy``) decides what to mask; this action writes it: each character of
a masked span becomes ``•``, so the text keeps its length and the spans their offsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from balie.conversations.models import Direction, Message
from balie.core.events import Event, event, publish

MASK = "•"


@event("message_masked")
@dataclass(frozen=True)
class MessageMasked(Event):
    """Personal data in a received message was masked; ``kinds`` names what, never the data."""

    message_id: int
    conversation_id: int
    kinds: list[str]
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


def masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with the characters of every ``(start, end)`` span replaced by ``•``."""
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(end, len(chars))):
            if not chars[i].isspace():
                chars[i] = MASK
    return "".join(chars)


def do_mask_messages(
    spans: Mapping[int, Sequence[tuple[int, int, str]]], organisation_id: int | None = None
) -> list[Message]:
    """Mask the given ``(start, end, kind)`` spans of received messages (keyed by message
    id); one UPDATE per message is avoided: one locking read, one bulk UPDATE, one event each.

    Precondition: inside a transaction; the spans are offsets into the bodies as stored.
    """
    messages = list(
        Message.objects.select_for_update(no_key=True)
        .filter(pk__in=list(spans), direction=Direction.INBOUND)
        .only("pk", "body", "conversation_id")
        .order_by("pk")
    )
    for message in messages:
        message.body = masked(message.body, [(s, e) for s, e, _ in spans[message.pk]])
    Message.objects.bulk_update(messages, ["body"])
    for message in messages:
        publish(
            MessageMasked(
                message_id=message.pk,
                conversation_id=message.conversation_id,
                kinds=sorted({kind for _, _, kind in spans[message.pk]}),
                organisation_id=organisation_id,
            )
        )
    return messages
