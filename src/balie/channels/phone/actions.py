"""Calls from a PBX: a call task is routed like any contact; call events become contact moments.

The PBX posts a task (caller, IVR language, topic); Balie reserves an agent (an offer) and
answers with an instruction: ``dequeue`` to the agent's extension, ``queue`` with the expected
wait, or ``redirect`` when nobody can take the call (closed, or nobody qualified on shift).
Later reservations are posted to the PBX's callback URL (:mod:`.callbacks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from balie.channels.models import Channel
from balie.channels.phone.models import Call
from balie.conversations.actions import InboundMessage, do_change_status, do_receive_message
from balie.conversations.actions.status import lock_conversation
from balie.conversations.events import CallConnected
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.errors import InvalidInput, NotFound
from balie.core.events import publish
from balie.organisations.models import Agent
from balie.parties.actions import AddressClaim, SenderIdentity
from balie.parties.normalise import normalise_phone
from balie.routing.actions import do_move_entry, do_withdraw_offers, lock_entry
from balie.routing.engine import do_enqueue, record, route_entry
from balie.routing.models import EntryState, Offer, OfferOutcome, QueueEntry
from balie.routing.offers import do_accept_offer, do_decline_offer
from balie.routing.waiting import estimate

CALL_EVENTS = ("answered", "rejected", "abandoned", "ended")


@dataclass(frozen=True)
class CallTask:
    """What the PBX tells about a new call."""

    call_id: str
    caller: str
    language: str = ""
    topic: str = ""


def instruction(channel: Channel, call: Call) -> dict[str, Any]:
    """The instruction for the PBX for ``call`` now."""
    entry = QueueEntry.objects.get(conversation_id=call.conversation_id)
    offer = Offer.objects.filter(entry=entry, outcome=OfferOutcome.PENDING).order_by("-pk").first()
    if offer is not None:
        agent = Agent.objects.select_related("user").get(pk=offer.agent_id)
        extensions: dict[str, str] = channel.settings.get("extensions", {})
        return {
            "call_id": call.call_id,
            "instruction": "dequeue",
            "reservation_id": offer.pk,
            "agent_id": agent.pk,
            "extension": extensions.get(agent.user.get_username(), ""),
            "timeout_s": max(0, round((offer.expires_at - clock.now()).total_seconds())),
        }
    if entry.state != EntryState.WAITING:
        return {"call_id": call.call_id, "instruction": "hangup"}
    wait, opens_at = estimate(entry.organisation, entry)
    if wait is None:
        return {
            "call_id": call.call_id,
            "instruction": "redirect",
            "to": channel.settings.get("redirect_to", ""),
            "reason": "closed" if opens_at else "no_agent",
            "opens_at": opens_at.isoformat() if opens_at else None,
        }
    return {"call_id": call.call_id, "instruction": "queue", "expected_wait_s": wait}


def do_receive_call(channel: Channel, task: CallTask) -> dict[str, Any]:
    """Register the call (once per call id), queue it, reserve an agent; return the instruction."""
    if not task.call_id or not task.caller:
        raise InvalidInput("call_id and caller are required", code="invalid_task")
    with transaction.atomic():
        result = do_receive_message(
            channel,
            # the PBX is authenticated and passes the network's caller id: verified when it
            # is a real number (a withheld "anonymous" is not; docs/parties.md)
            SenderIdentity(
                primary=AddressClaim("phone", task.caller, bool(normalise_phone(task.caller)))
            ),
            InboundMessage(
                provider_id=f"call:{task.call_id}",
                body="",
                topic_code=task.topic,
                language=task.language,
                metadata={"call": True},
            ),
        )
        conversation = lock_conversation(result.message.conversation_id)
        call, _ = Call.objects.get_or_create(
            channel=channel,
            call_id=task.call_id,
            defaults={"conversation": conversation, "queued_at": clock.now()},
        )
        entry = do_enqueue(conversation, reason="call waiting") if result.created else None
    if entry is not None:
        route_entry(entry)
    return instruction(channel, call)


def _at(at: datetime | None) -> datetime:
    """When the event happened: ``at`` as the PBX gave it, or now."""
    if at is None:
        return clock.now()
    if at.utcoffset() is None:  # a PBX's local time is ambiguous: wait and talk times would lie
        raise InvalidInput("at must carry a UTC offset", code="invalid_time")
    return at


def _superseded(call: Call) -> bool:
    """A later call from the same caller joined this call's conversation and carries it now."""
    return Call.objects.filter(conversation_id=call.conversation_id, pk__gt=call.pk).exists()


def _end_superseded(call: Call, at: datetime) -> Call:
    """End an earlier call whose conversation a later call carries: its own times only."""
    with transaction.atomic():
        call = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
        call.ended_at = at
        if call.answered_at is None:
            call.abandoned = True
            call.wait_s = max(0.0, (at - call.queued_at).total_seconds())
        else:
            call.talk_s = max(0.0, (at - call.answered_at).total_seconds())
        call.save(update_fields=["ended_at", "abandoned", "wait_s", "talk_s"])
    return call


def _answer(call: Call, offer: Offer | None, at: datetime) -> Call:
    """The agent picked up: the reservation becomes the assignment, the wait is measured and
    the agent's workspace opens the contact (``CallConnected``)."""
    if offer is not None:
        do_accept_offer(offer.pk, Agent.objects.get(pk=offer.agent_id))
    with transaction.atomic():
        call = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
        conversation = lock_conversation(call.conversation_id)
        call.answered_at, call.agent_id = at, conversation.assignee_id
        call.wait_s = max(0.0, (at - call.queued_at).total_seconds())
        call.save(update_fields=["answered_at", "agent", "wait_s"])
        if call.agent_id:
            publish(CallConnected(agent_id=call.agent_id, conversation_id=conversation.pk))
    return call


def do_call_event(channel: Channel, call_id: str, kind: str, at: datetime | None = None) -> Call:
    """Apply a PBX call event: answered, rejected (reservation refused), abandoned, ended;
    ``at`` (with its UTC offset) when it happened, default now."""
    if kind not in CALL_EVENTS:
        raise InvalidInput(f"event must be one of {', '.join(CALL_EVENTS)}", code="invalid_event")
    call = Call.objects.filter(channel=channel, call_id=call_id).first()
    if call is None:
        raise NotFound("unknown call")
    at = _at(at)
    offer = (
        Offer.objects.filter(entry__conversation_id=call.conversation_id, outcome="pending")
        .order_by("-pk")
        .first()
    )
    if kind == "rejected" and offer is not None:
        do_decline_offer(offer.pk, Agent.objects.get(pk=offer.agent_id))
        return call
    if kind == "answered" and call.answered_at is None:
        return _answer(call, offer, at)
    if kind in ("abandoned", "ended") and call.ended_at is None and _superseded(call):
        return _end_superseded(call, at)  # the caller's later call keeps the conversation
    if kind in ("abandoned", "ended") and call.ended_at is None:
        with transaction.atomic():
            call = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
            entry = lock_entry(call.conversation_id)  # before the conversation (lock order)
            conversation = lock_conversation(call.conversation_id)
            call.ended_at = at
            if call.answered_at is None:
                call.abandoned = True
                call.wait_s = max(0.0, (at - call.queued_at).total_seconds())
                if entry is not None:
                    do_withdraw_offers([entry], at=at)
                    do_move_entry(entry, EntryState.DONE)
                record(conversation.pk, "abandoned", reason="the caller hung up")
                if conversation.status in (Status.NEW, Status.QUEUED):
                    do_change_status(
                        conversation, Status.CLOSED, reason="the caller hung up before an answer"
                    )
            else:
                call.talk_s = max(0.0, (at - call.answered_at).total_seconds())
                if conversation.status == Status.ASSIGNED:
                    do_change_status(
                        conversation,
                        Status.RESOLVED,
                        actor=conversation.assignee,
                        reason="the call ended",
                    )
                    # the call's one klantcontact, for the after-call form to complete (.wrapup)
                    call.klantcontact = conversation.klantcontacten.latest("pk")
            call.save(update_fields=["ended_at", "abandoned", "wait_s", "talk_s", "klantcontact"])
    return call
