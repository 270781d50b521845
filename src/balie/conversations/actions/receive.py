"""Receiving an inbound message: party, conversation and message in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from balie.channels.models import Channel
from balie.conversations.actions.status import do_change_status
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.events import ConversationCreated, MessageReceived
from balie.conversations.models import Conversation, Direction, Message
from balie.conversations.workflow import OPEN_FOR_INBOUND, Status
from balie.core import clock
from balie.core.events import publish
from balie.organisations.models import Topic
from balie.parties.actions import SenderIdentity, do_find_or_create_party
from balie.parties.models import DigitalAddress


@dataclass(frozen=True)
class InboundMessage:
    """What a channel adapter parsed from the provider: everything but the sender."""

    provider_id: str
    body: str
    sent_at: datetime | None = None
    reply_to_provider_id: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    topic_code: str = ""
    language: str = ""
    subject: str = ""


@dataclass(frozen=True)
class ReceiveResult:
    """The stored message and whether this call stored it (False: a duplicate delivery)."""

    message: Message
    created: bool
    conversation_created: bool = False


def _existing(channel: Channel, provider_id: str) -> Message | None:
    if not provider_id:
        return None
    return Message.objects.filter(channel=channel, provider_id=provider_id).first()


def do_receive_message(
    channel: Channel, sender: SenderIdentity, inbound: InboundMessage
) -> ReceiveResult:
    """Store an inbound message exactly once per provider id; publish the events.

    Safe under concurrent duplicate deliveries: the unique (channel, provider_id) constraint
    decides, and the loser returns the winner's message. May be called inside an outer
    transaction (one webhook POST with several messages); it uses a savepoint.
    """
    existing = _existing(channel, inbound.provider_id)
    if existing is not None:
        return ReceiveResult(existing, created=False)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _receive(channel, sender, inbound)
        except IntegrityError:
            existing = _existing(channel, inbound.provider_id)
            if existing is not None:
                return ReceiveResult(existing, created=False)
            if attempt == 2:  # a party/address race that kept losing: let it surface
                raise
    raise AssertionError("unreachable")


def _receive(channel: Channel, sender: SenderIdentity, inbound: InboundMessage) -> ReceiveResult:
    party = do_find_or_create_party(channel.organisation_id, sender)
    conversation = (
        Conversation.objects.select_for_update()
        .filter(party=party, channel=channel, status__in=[s.value for s in OPEN_FOR_INBOUND])
        .order_by("-created_at")
        .first()
    )
    created = conversation is None
    if conversation is None:
        conversation = _open_conversation(channel, party.pk, sender, inbound)
    reply_to = _existing(channel, inbound.reply_to_provider_id)
    now = clock.now()
    message = Message.objects.create(
        conversation=conversation,
        channel=channel,
        direction=Direction.INBOUND,
        body=inbound.body,
        provider_id=inbound.provider_id,
        reply_to=reply_to if reply_to and reply_to.conversation_id == conversation.pk else None,
        delivery_status=DeliveryStatus.RECEIVED,
        metadata=inbound.metadata,
        sent_at=inbound.sent_at,
    )
    conversation.last_inbound_at = now
    conversation.save(update_fields=["last_inbound_at", "updated_at"])
    if created:
        publish(
            ConversationCreated(
                conversation_id=conversation.pk,
                organisation_id=conversation.organisation_id,
                channel_id=channel.pk,
                party_id=party.pk,
            )
        )
    else:
        _reopen_if_waiting(conversation)
    publish(
        MessageReceived(
            message_id=message.pk,
            conversation_id=conversation.pk,
            channel_kind=channel.kind,
            organisation_id=conversation.organisation_id,
        )
    )
    return ReceiveResult(message, created=True, conversation_created=created)


def _open_conversation(
    channel: Channel, party_id: int, sender: SenderIdentity, inbound: InboundMessage
) -> Conversation:
    topic = (
        Topic.objects.filter(organisation_id=channel.organisation_id, code=inbound.topic_code)
        .select_related("team")
        .first()
        if inbound.topic_code
        else None
    )
    address = DigitalAddress.objects.filter(
        organisation_id=channel.organisation_id,
        kind=sender.primary.kind,
        value=sender.primary.value,
    ).first()
    return Conversation.objects.create(
        organisation_id=channel.organisation_id,
        channel=channel,
        party_id=party_id,
        address=address,
        topic=topic,
        language=inbound.language[:8],
        priority=topic.priority if topic else 0,
        team=(topic.team if topic and topic.team_id else None) or channel.team,
        subject=inbound.subject[:200],
        status=Status.NEW,
    )


def _reopen_if_waiting(conversation: Conversation) -> None:
    """A citizen writing again brings a waiting or resolved conversation back to an agent."""
    status = Status(conversation.status)
    if status == Status.RESOLVED:
        do_change_status(conversation, Status.QUEUED, reason="the citizen wrote again")
    elif status == Status.PENDING:
        target = Status.ASSIGNED if conversation.assignee_id else Status.QUEUED
        do_change_status(conversation, target, reason="the citizen replied")
