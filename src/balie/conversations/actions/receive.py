"""Receiving an inbound message: party, conversation and message in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from django.db import IntegrityError, transaction

from balie.channels.models import Channel
from balie.conversations.actions.status import do_change_statuses
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.events import (
    ConversationCreated,
    InboundFromBlockedParty,
    MessageReceived,
)
from balie.conversations.models import Conversation, Direction, Message
from balie.conversations.ports import inbound_screen
from balie.conversations.workflow import OPEN_FOR_INBOUND, Status
from balie.core import clock
from balie.core.events import batch, publish
from balie.core.sql import run_statements, update_statement
from balie.organisations.models import Topic
from balie.parties.actions import FoundParty, SenderIdentity, do_find_or_create_parties

log = structlog.get_logger(__name__)


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
    #: a notice from the platform about the citizen (e.g. "changed number"), not written by
    #: them: stored as a system message; it neither opens the reply window nor reopens
    system: bool = False


@dataclass(frozen=True)
class ReceiveResult:
    """The stored message and whether this call stored it (False: a duplicate delivery)."""

    message: Message
    created: bool
    conversation_created: bool = False


Item = tuple[SenderIdentity, InboundMessage]


def do_receive_message(
    channel: Channel, sender: SenderIdentity, inbound: InboundMessage
) -> ReceiveResult:
    """Store an inbound message exactly once per provider id; publish the events.

    Safe under concurrent duplicate deliveries: the unique (channel, provider_id) constraint
    decides, and the loser returns the winner's message. May be called inside an outer
    transaction (one webhook POST with several messages); it uses a savepoint.
    """
    return do_receive_messages(channel, [(sender, inbound)])[0]


def do_receive_messages(channel: Channel, items: Sequence[Item]) -> list[ReceiveResult]:
    """:func:`do_receive_message` for many messages on one channel, in order, with a few
    queries for all of them (parties, conversations, messages: one read and one write each).

    A provider id already stored, or repeated in ``items``, is a duplicate: its result is the
    stored message with ``created=False``. The handler tasks of every event are written with
    one INSERT (:func:`balie.core.events.batch`; a caller's open batch takes them). A batch
    that loses a race with another transaction (an IntegrityError) is received again message
    by message.
    """
    if len(items) > 1:
        try:
            with transaction.atomic(), batch():
                return _receive(channel, items)
        except IntegrityError:
            log.info("receive_batch_split", size=len(items))
    return [_receive_one(channel, item) for item in items]


def _receive_one(channel: Channel, item: Item) -> ReceiveResult:
    for attempt in range(3):
        try:
            with transaction.atomic(), batch():
                return _receive(channel, [item])[0]
        except IntegrityError:
            if attempt == 2:  # a party/address race that kept losing: let it surface
                raise
    raise AssertionError("unreachable")


def _receive(channel: Channel, items: Sequence[Item]) -> list[ReceiveResult]:
    ids = {inbound.provider_id for _, inbound in items} - {""}
    replies = {inbound.reply_to_provider_id for _, inbound in items} - {""}
    known = _by_provider_id(channel, ids | replies)  # duplicates and reply targets, one read
    stored: dict[str, Message | None] = {k: m for k, m in known.items() if k in ids}
    fresh: list[int] = []
    for n, (_, inbound) in enumerate(items):
        if not inbound.provider_id or inbound.provider_id not in stored:
            fresh.append(n)
            if inbound.provider_id:
                stored[inbound.provider_id] = None  # a repeat later in ``items`` is a duplicate
    found = do_find_or_create_parties(channel.organisation_id, [items[n][0] for n in fresh])
    parties = {f.party.pk for f in found}
    blocked = inbound_screen().blocked(channel.organisation_id, parties, clock.now())
    conversations, opened = _conversations(channel, found, [items[n][1] for n in fresh], blocked)
    created: dict[int, ReceiveResult] = {}
    first_of: set[int] = set()  # conversations whose first message is already placed
    for n, party in zip(fresh, found, strict=True):
        inbound = items[n][1]
        conversation = conversations[party.party.pk]
        reply_to = known.get(inbound.reply_to_provider_id)
        message = Message(
            conversation=conversation,
            channel=channel,
            direction=Direction.SYSTEM if inbound.system else Direction.INBOUND,
            body=inbound.body,
            provider_id=inbound.provider_id,
            reply_to=reply_to if reply_to and reply_to.conversation_id == conversation.pk else None,
            delivery_status=DeliveryStatus.RECEIVED,
            metadata=inbound.metadata,
            sent_at=inbound.sent_at,
        )
        first = conversation.pk in opened and conversation.pk not in first_of
        first_of.add(conversation.pk)
        created[n] = ReceiveResult(message, True, conversation_created=first)
    Message.objects.bulk_create([result.message for result in created.values()])
    for result in created.values():
        if result.message.provider_id:
            stored[result.message.provider_id] = result.message
    _close_blocked(conversations, blocked, list(created.values()))
    _announce(channel, opened, list(created.values()))
    return [
        created[n] if n in created else ReceiveResult(_stored(stored, inbound), created=False)
        for n, (_, inbound) in enumerate(items)
    ]


def _by_provider_id(channel: Channel, provider_ids: set[str]) -> dict[str, Message | None]:
    if not provider_ids:
        return {}
    rows = Message.objects.filter(channel=channel, provider_id__in=provider_ids)
    return {message.provider_id: message for message in rows}


def _stored(stored: dict[str, Message | None], inbound: InboundMessage) -> Message:
    message = stored[inbound.provider_id]
    assert message is not None  # the first of the repeats was stored above
    return message


def _conversations(
    channel: Channel,
    found: list[FoundParty],
    inbound: list[InboundMessage],
    blocked: frozenset[int] = frozenset(),
) -> tuple[dict[int, Conversation], set[int]]:
    """The open conversation of each party on ``channel`` (locked), or a new one; and the
    ids of the new ones. A blocked party's messages always start a new one (closed below)."""
    conversations: dict[int, Conversation] = {}
    rows = (
        Conversation.objects.select_for_update(no_key=True)
        .filter(
            party_id__in={f.party.pk for f in found} - blocked,
            channel=channel,
            status__in=[s.value for s in OPEN_FOR_INBOUND],
        )
        .order_by("-created_at")
    )
    for conversation in rows:
        conversations.setdefault(conversation.party_id, conversation)
    codes = {i.topic_code for i in inbound} - {""}
    topics = {
        t.code: t
        for t in Topic.objects.filter(
            organisation_id=channel.organisation_id, code__in=codes
        ).select_related("team")
    }
    new: list[Conversation] = []
    now = clock.now()
    wrote: dict[int, datetime] = {}  # per party: when they last wrote in this batch
    for party, message in zip(found, inbound, strict=True):
        if not message.system:
            wrote[party.party.pk] = later(wrote.get(party.party.pk), citizen_time(message, now))
    for party, message in zip(found, inbound, strict=True):
        if party.party.pk not in conversations:
            conversations[party.party.pk] = _new_conversation(
                channel, party, message, topics.get(message.topic_code), wrote.get(party.party.pk)
            )
            new.append(conversations[party.party.pk])
    Conversation.objects.bulk_create(new)
    return conversations, {c.pk for c in new}


def _new_conversation(
    channel: Channel,
    party: FoundParty,
    inbound: InboundMessage,
    topic: Topic | None,
    last_inbound_at: datetime | None,
) -> Conversation:
    return Conversation(
        organisation_id=channel.organisation_id,
        channel=channel,
        party=party.party,
        address=party.address,
        topic=topic,
        language=inbound.language[:8],
        priority=topic.priority if topic else 0,
        team=(topic.team if topic and topic.team_id else None) or channel.team,
        subject=inbound.subject[:200],
        status=Status.NEW,
        last_inbound_at=last_inbound_at,
    )


def _close_blocked(
    conversations: dict[int, Conversation], blocked: frozenset[int], results: list[ReceiveResult]
) -> None:
    """A blocked party's new conversations close at once, unanswered and unrouted (routing
    takes only new and queued ones); the messages stay stored and counted."""
    closing = [conversations[party_id] for party_id in sorted(blocked & conversations.keys())]
    if not closing:
        return
    do_change_statuses(closing, Status.CLOSED, reason="blocked sender: closed without reply")
    for result in results:
        conversation = result.message.conversation
        if conversation.party_id in blocked:
            publish(
                InboundFromBlockedParty(
                    message_id=result.message.pk,
                    conversation_id=conversation.pk,
                    party_id=conversation.party_id,
                    organisation_id=conversation.organisation_id,
                )
            )


def citizen_time(inbound: InboundMessage, now: datetime) -> datetime:
    """When the citizen wrote: the provider's timestamp (a re-delivery days later keeps its
    own time), never later than ``now`` (clock skew); ``now`` when the provider gave none."""
    return min(inbound.sent_at, now) if inbound.sent_at is not None else now


def later(current: datetime | None, candidate: datetime) -> datetime:
    """The later of two moments: ``last_inbound_at`` never moves backwards."""
    return candidate if current is None or candidate > current else current


def _announce(channel: Channel, opened: set[int], results: list[ReceiveResult]) -> None:
    """Mark the existing conversations written to and bring back those that were waiting or
    resolved (one write per kind of move); publish the events in message order."""
    now = clock.now()
    existing = {r.message.conversation.pk: r.message.conversation for r in results}
    touched = sorted(existing.keys() - opened)
    wrote: dict[int, datetime] = {}  # per conversation: when the citizen last wrote
    for result in results:
        if result.message.direction == Direction.INBOUND:
            conversation_id = result.message.conversation.pk
            moment = min(result.message.sent_at, now) if result.message.sent_at else now
            wrote[conversation_id] = later(wrote.get(conversation_id), moment)
    for conversation_id in touched:
        conversation = existing[conversation_id]
        conversation.updated_at = now
        if conversation_id in wrote:
            conversation.last_inbound_at = later(
                conversation.last_inbound_at, wrote[conversation_id]
            )
    rows = [existing[pk] for pk in touched]
    run_statements([update_statement(Conversation, rows, ["last_inbound_at", "updated_at"])])
    moves: dict[tuple[Status, str], list[Conversation]] = defaultdict(list)
    for conversation_id in touched:
        if conversation_id not in wrote:  # only a system notice: nothing to bring back
            continue
        move = _reopen_move(existing[conversation_id])
        if move is not None:
            moves[move].append(existing[conversation_id])
    for (target, reason), conversations in moves.items():
        do_change_statuses(conversations, target, reason=reason)
    for result in results:
        conversation = result.message.conversation
        if result.conversation_created:
            publish(
                ConversationCreated(
                    conversation_id=conversation.pk,
                    organisation_id=conversation.organisation_id,
                    channel_id=channel.pk,
                    party_id=conversation.party_id,
                )
            )
        publish(
            MessageReceived(
                message_id=result.message.pk,
                conversation_id=conversation.pk,
                channel_kind=channel.kind,
                organisation_id=conversation.organisation_id,
                conversation_status=conversation.status,
            )
        )


def _reopen_move(conversation: Conversation) -> tuple[Status, str] | None:
    """A citizen writing again brings a waiting or resolved conversation back to an agent."""
    status = Status(conversation.status)
    if status == Status.RESOLVED:
        return Status.QUEUED, "the citizen wrote again"
    if status == Status.PENDING:
        target = Status.ASSIGNED if conversation.assignee_id else Status.QUEUED
        return target, "the citizen replied"
    return None
