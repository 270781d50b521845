"""Routing's reactions to events and its periodic jobs (registered in ``balie.handlers``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import structlog
from django.db import transaction

from balie.conversations.events import (
    ConversationCreated,
    ConversationStatusChanged,
    MessageReceived,
)
from balie.conversations.models import Conversation
from balie.conversations.workflow import Status
from balie.core.events import batch
from balie.organisations.events import AgentPresenceChanged
from balie.organisations.models import Presence
from balie.routing.actions import do_move_entry, do_withdraw_offers, lock_entries, lock_entry
from balie.routing.board import forget
from balie.routing.claim import ROUTED
from balie.routing.engine import do_enqueue_many, route_waiting, sweep_organisation
from balie.routing.models import EntryState, QueueEntry
from balie.routing.offers import expire_offers
from balie.routing.waiting import notify_waiting_many

log = structlog.get_logger(__name__)
FINISHED = {Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}


def _enqueue_and_route(conversation_ids: list[int], reason: str) -> None:
    """Queue the conversations still new or queued that the queue does not already hold
    (waiting or offered: a PBX call routed on arrival, a second event for one contact);
    decide for them together, in queue order (one board, one claim per organisation); tell
    those left waiting."""
    with transaction.atomic(), batch():
        # The entries it may send back to the queue first, then the conversations (the lock
        # order of :mod:`balie.routing.actions`); a new conversation has no entry yet.
        lock_entries(conversation_ids, [EntryState.ASSIGNED, EntryState.DONE])
        held = QueueEntry.objects.filter(
            conversation_id__in=conversation_ids,
            state__in=[EntryState.WAITING, EntryState.OFFERED],
        ).values("conversation_id")
        conversations = list(
            Conversation.objects.select_for_update(no_key=True, of=("self",))
            .select_related("channel")
            .filter(pk__in=conversation_ids, status__in=[Status.NEW, Status.QUEUED])
            .exclude(pk__in=held)
            .order_by("pk")
        )
        entries = do_enqueue_many(conversations, reason=reason)
    by_organisation: dict[int, list[int]] = defaultdict(list)
    for entry in entries:
        by_organisation[entry.organisation_id].append(entry.pk)
    for organisation_id, entry_ids in by_organisation.items():
        claims = route_waiting(organisation_id, entry_ids)
        waiting = [e for e in entry_ids if e not in claims or claims[e].agent_id is None]
        log.info("routing_decided", entries=len(entry_ids), waiting=len(waiting))
        notify_waiting_many(waiting)


def on_conversations_created(evts: list[ConversationCreated]) -> None:
    """Queue new conversations and give each to the best eligible agent, or tell the citizen.

    A batch handler: all the conversations a worker claimed at once are decided together."""
    _enqueue_and_route([e.conversation_id for e in evts], "waiting for an agent")


def wants_status_change(payload: dict[str, Any]) -> bool:
    """Whether :func:`on_status_changed` has work for this change (asked at publish time).

    Not for ``new → queued`` (routing itself queued it), nor for the router's own assignments
    (``claim`` marked the entry assigned in the same transaction, and a waiting entry has no
    pending offer to withdraw): a durable task for those would be a second write per decision
    and a worker transaction that changes nothing. Everything else (back in the queue, done,
    assigned by hand or by accepting an offer) still runs as a durable task.
    """
    target, source = payload["to_status"], payload["from_status"]
    if target == Status.QUEUED:
        return bool(source != Status.NEW)
    if target == Status.ASSIGNED:
        return not (payload["reason"] == ROUTED and payload["actor_agent_id"] is None)
    return target in FINISHED


def on_status_changed(evt: ConversationStatusChanged) -> None:
    """Back in the queue: route again. Finished or taken by hand: free the agent's capacity."""
    target = Status(evt.to_status)
    if target == Status.QUEUED and evt.from_status != Status.NEW:
        _enqueue_and_route([evt.conversation_id], evt.reason or "back in the queue")
        return
    if target not in FINISHED and target != Status.ASSIGNED:
        return
    with transaction.atomic():
        entry = lock_entry(evt.conversation_id)
        if entry is None:
            return
        do_withdraw_offers([entry])
        do_move_entry(entry, EntryState.ASSIGNED if target == Status.ASSIGNED else EntryState.DONE)
        organisation_id = entry.organisation_id
    if target in FINISHED:
        sweep_organisation(organisation_id)


def wants_message(payload: dict[str, Any]) -> bool:
    """Whether :func:`on_messages_received` has work: only a message on a queued conversation
    (a new one is routed by ``conversation_created``; an assigned one has its agent)."""
    return payload.get("conversation_status") in ("", None, Status.QUEUED)


def on_messages_received(evts: list[MessageReceived]) -> None:
    """A citizen wrote on a queued conversation the queue does not hold: queue and route it
    (``_enqueue_and_route`` leaves those the queue holds alone).

    A batch handler: all the messages a worker claimed at once in one call."""
    _enqueue_and_route(sorted({e.conversation_id for e in evts}), "the citizen wrote while queued")


def on_presence_changed(evt: AgentPresenceChanged) -> None:
    """An agent came available: offer them the waiting contacts (the sweep reloads the
    board); otherwise this process stops counting on them."""
    if evt.presence == Presence.AVAILABLE:
        sweep_organisation(evt.organisation_id)
    else:
        forget(evt.organisation_id)


def sweep_queue() -> None:
    """Periodic: retry every organisation's waiting contacts; tell those still waiting."""
    organisations = (
        QueueEntry.objects.filter(state=EntryState.WAITING)
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    for organisation_id in list(organisations):
        assigned = sweep_organisation(organisation_id)  # on a freshly loaded board
        log.info("routing_sweep", organisation_id=organisation_id, assigned=assigned)
    unnoticed = QueueEntry.objects.filter(
        state=EntryState.WAITING, notice_sent_at__isnull=True
    ).values_list("pk", flat=True)[:200]
    notify_waiting_many(list(unnoticed))


def lapse_offers() -> None:
    """Periodic: offers past their timeout move to the next agent."""
    expire_offers()
