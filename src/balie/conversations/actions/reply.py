"""Agents answering: replies to the citizen (through the outbox) and internal notes."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from balie.channels.models import OutboxEntry
from balie.conversations.actions.status import do_assign, lock_conversation
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.events import NoteAdded, ReplyQueued
from balie.conversations.models import Conversation, Direction, Message
from balie.conversations.ports import outbound_guards, reply_policy
from balie.conversations.workflow import REPLYABLE, Status
from balie.core import clock
from balie.core.errors import InvalidInput, WorkflowViolation
from balie.core.events import publish
from balie.organisations.models import Agent

MAX_BODY = 4096


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise InvalidInput("the message is empty", code="empty_body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the message is longer than {MAX_BODY} characters", code="too_long")
    return body


def _reply_target(conversation: Conversation, reply_to_id: int | None) -> Message | None:
    if reply_to_id is None:
        return None
    target = conversation.messages.filter(pk=reply_to_id).first()
    if target is None:
        raise InvalidInput("the message replied to is not in this conversation", code="reply_to")
    return target


def check_send_reply(
    conversation_id: int, agent: Agent, body: str, *, reply_to_id: int | None = None
) -> Message:
    """Validate an agent's reply and queue it in the outbox; returns the pending message.

    Raises WorkflowViolation (409) when the conversation is closed or the channel refuses
    (e.g. WhatsApp's 24-hour window), InvalidInput (400) for an empty or oversized body.
    """
    body = _clean_body(body)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if Status(conversation.status) not in REPLYABLE:
            raise WorkflowViolation(
                "this conversation is closed; start a new one to contact the citizen",
                code="conversation_closed",
            )
        reply_policy(conversation.channel).check_reply_allowed(conversation, clock.now())
        for guard in outbound_guards():  # personal data over an unsafe channel (privacy)
            guard.check_outbound(conversation, agent, body)
        return do_send_reply(
            conversation, agent, body, reply_to=_reply_target(conversation, reply_to_id)
        )


def do_queue_outbound(
    conversation: Conversation,
    body: str,
    *,
    author: Agent | None = None,
    reply_to: Message | None = None,
    metadata: dict[str, Any] | None = None,
) -> Message:
    """Write an outbound message to the outbox (``pending``) and publish ReplyQueued.

    The one place an outbound message is created, for agents' replies and automatic notices.
    Precondition: inside a transaction, ``conversation`` locked, the channel's checks done.
    """
    return do_queue_outbounds(
        [(conversation, body)], author=author, reply_to=reply_to, metadata=metadata
    )[0]


def do_queue_outbounds(
    items: list[tuple[Conversation, str]],
    *,
    author: Agent | None = None,
    reply_to: Message | None = None,
    metadata: dict[str, Any] | None = None,
) -> list[Message]:
    """:func:`do_queue_outbound` for many ``(conversation, body)`` pairs: one INSERT of the
    messages and one of their outbox entries."""
    messages = Message.objects.bulk_create(
        Message(
            conversation=conversation,
            channel_id=conversation.channel_id,
            direction=Direction.OUTBOUND,
            body=body,
            author=author,
            reply_to=reply_to,
            delivery_status=DeliveryStatus.PENDING,
            metadata=dict(metadata or {}),
        )
        for conversation, body in items
    )
    now = clock.now()  # due at once; the sweep takes it over if its task is lost
    OutboxEntry.objects.bulk_create(
        OutboxEntry(message=m, channel_id=m.channel_id, next_attempt_at=now) for m in messages
    )
    for (conversation, _), message in zip(items, messages, strict=True):
        publish(
            ReplyQueued(
                message_id=message.pk,
                conversation_id=conversation.pk,
                channel_id=conversation.channel_id,
                organisation_id=conversation.organisation_id,
            )
        )
    return messages


def do_send_reply(
    conversation: Conversation,
    agent: Agent,
    body: str,
    *,
    reply_to: Message | None = None,
    metadata: dict[str, Any] | None = None,
) -> Message:
    """An agent's reply: assign a waiting conversation to them, queue the message, and note
    the first response time.

    Precondition: inside a transaction, ``conversation`` locked, checks done.
    """
    if Status(conversation.status) in {Status.NEW, Status.QUEUED}:
        do_assign(conversation, agent, actor=agent, reason="answered by the agent")
    message = do_queue_outbound(
        conversation, body, author=agent, reply_to=reply_to, metadata=metadata
    )
    if conversation.first_response_at is None:
        conversation.first_response_at = clock.now()
        conversation.save(update_fields=["first_response_at", "updated_at"])
    return message


def check_add_note(conversation_id: int, agent: Agent, body: str) -> Message:
    """Add an internal note (never sent to the citizen); allowed in every status."""
    body = _clean_body(body)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        message = Message.objects.create(
            conversation=conversation,
            channel_id=conversation.channel_id,
            direction=Direction.NOTE,
            body=body,
            author=agent,
            delivery_status=DeliveryStatus.RECEIVED,
        )
        publish(
            NoteAdded(
                message_id=message.pk,
                conversation_id=conversation.pk,
                organisation_id=conversation.organisation_id,
            )
        )
        return message
