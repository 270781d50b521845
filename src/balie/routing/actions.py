"""Queue entries and offers: the one way routing changes their state.

A queue entry's state moves only along :data:`ENTRY_TRANSITIONS` (data, like the conversation
workflow; ``tests/routing/test_entry_workflow.py`` walks it). Single writes go through
:func:`do_move_entry`; the claim and the enqueue write many entries in one statement, so they
move each entry in memory with :func:`move_entry` (the same table check) and write the batch
themselves. Offers end through :func:`do_resolve_offer` (the agent's answer, a timeout) or
:func:`do_withdraw_offers` (the contact went elsewhere): both set ``decided_at`` and publish
``OfferResolved``.

**Lock order.** An action that locks several rows takes them in this order, always:

1. the queue entry (:func:`lock_entry`; several: by id);
2. its offers (only while holding the entry);
3. the conversation (``lock_conversation``);
4. the agent's routing state (``AgentRoutingState``).

Two actions taking the same two rows in opposite orders can each hold what the other waits
for; PostgreSQL then aborts one of them ("deadlock detected"). The claim takes the same order
with ``SKIP LOCKED`` (it never waits); the supervisor's assignment, accepting or declining an
offer, a finished conversation and a hung-up call wait, in this order.
``tests/routing/test_lock_order.py`` runs two of them against each other on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from balie.core import clock
from balie.core.errors import WorkflowViolation
from balie.core.events import publish
from balie.core.workflow import Table
from balie.routing.events import OfferResolved
from balie.routing.models import EntryState, Offer, OfferOutcome, QueueEntry


@dataclass(frozen=True)
class EntryTransition:
    """An allowed move of a queue entry and why it happens."""

    source: EntryState
    target: EntryState
    meaning: str


E = EntryState
ENTRY_TRANSITIONS: tuple[EntryTransition, ...] = (
    EntryTransition(E.WAITING, E.OFFERED, "the router offers it to an agent"),
    EntryTransition(E.WAITING, E.ASSIGNED, "the router assigns it (auto-accept), or a person"),
    EntryTransition(E.WAITING, E.DONE, "answered or closed while it waited"),
    EntryTransition(E.OFFERED, E.ASSIGNED, "the agent accepts, or a supervisor assigns it"),
    EntryTransition(E.OFFERED, E.WAITING, "the agent declines or the offer times out"),
    EntryTransition(E.OFFERED, E.DONE, "answered meanwhile, or the caller hung up"),
    EntryTransition(E.ASSIGNED, E.ASSIGNED, "a supervisor hands it to another agent"),
    EntryTransition(E.ASSIGNED, E.WAITING, "back in the queue"),
    EntryTransition(E.ASSIGNED, E.DONE, "the conversation is finished"),
    EntryTransition(E.DONE, E.WAITING, "the citizen wrote again: back in the queue"),
    EntryTransition(E.DONE, E.ASSIGNED, "reopened by an agent, or assigned by hand"),
)


class EntryTransitionNotAllowed(WorkflowViolation):
    """The move is not in :data:`ENTRY_TRANSITIONS`."""

    code = "entry_transition_not_allowed"


_TABLE: Table[EntryTransition] = Table(
    ENTRY_TRANSITIONS,
    key="target",
    coerce=(EntryState, EntryState),
    error=EntryTransitionNotAllowed,
    refused="a queue entry cannot go from {source} to {key}",
)


class _Keep(Enum):
    AGENT = 0


#: ``agent_id=KEEP``: the entry keeps its agent.
KEEP = _Keep.AGENT


def check_entry_transition(source: str, target: str) -> EntryTransition:
    """Return the transition from ``source`` to ``target`` or raise EntryTransitionNotAllowed."""
    return _TABLE.check(source, target)


def move_entry(
    entry: QueueEntry, target: EntryState, *, agent_id: int | _Keep | None = KEEP
) -> bool:
    """Move ``entry`` to ``target`` in memory, checked against the table; the caller writes
    ``state`` and ``agent_id`` (alone, or with a batch). A waiting entry has no agent.

    Returns whether anything changed: the same state with the same agent is no move (and is
    allowed from any state, so repeating a move is harmless).
    """
    agent = None if target == EntryState.WAITING else agent_id
    new_agent = entry.agent_id if agent is KEEP else agent
    if entry.state == target and entry.agent_id == new_agent:
        return False
    check_entry_transition(entry.state, target)
    entry.state, entry.agent_id = target, new_agent
    return True


def do_move_entry(
    entry: QueueEntry, target: EntryState, *, agent_id: int | _Keep | None = KEEP
) -> bool:
    """:func:`move_entry` and write it; returns whether it changed.

    Precondition: inside a transaction, ``entry`` locked (:func:`lock_entry`).
    """
    changed = move_entry(entry, target, agent_id=agent_id)
    if changed:
        entry.save(update_fields=["state", "agent"])
    return changed


def lock_entry(conversation_id: int) -> QueueEntry | None:
    """The conversation's queue entry with its row locked, or None if it was never queued.

    Take it before the conversation's lock (the lock order above).
    """
    return (
        QueueEntry.objects.select_for_update(no_key=True)
        .filter(conversation_id=conversation_id)
        .first()
    )


def lock_entries(conversation_ids: Sequence[int], states: Sequence[EntryState]) -> list[QueueEntry]:
    """Lock the queue entries in ``states`` of ``conversation_ids`` (in id order), before
    their conversations' locks."""
    return list(
        QueueEntry.objects.select_for_update(no_key=True)
        .filter(conversation_id__in=conversation_ids, state__in=states)
        .order_by("pk")
    )


def _resolved(offer: Offer, conversation_id: int) -> None:
    publish(
        OfferResolved(
            offer_id=offer.pk,
            conversation_id=conversation_id,
            agent_id=offer.agent_id,
            outcome=OfferOutcome(offer.outcome).value,
        )
    )


def do_resolve_offer(offer: Offer, outcome: OfferOutcome) -> None:
    """End one pending offer with ``outcome`` (accepted, declined, timed out) now.

    Precondition: inside a transaction, the offer's entry and the offer locked (in that
    order), ``offer.entry`` loaded, the offer still pending.
    """
    offer.outcome, offer.decided_at = outcome, clock.now()
    offer.save(update_fields=["outcome", "decided_at"])
    _resolved(offer, offer.entry.conversation_id)


def do_withdraw_offers(entries: Sequence[QueueEntry], *, at: datetime | None = None) -> list[Offer]:
    """Withdraw the pending offers of ``entries`` (the contact went elsewhere or ended): one
    UPDATE setting the outcome and ``decided_at`` (``at``, default now), then one
    ``OfferResolved`` per offer. Returns the offers withdrawn.

    Precondition: inside a transaction, every entry locked, so no agent accepts meanwhile.
    """
    by_id = {entry.pk: entry for entry in entries}
    if not by_id:
        return []
    offers = list(Offer.objects.filter(entry_id__in=by_id, outcome=OfferOutcome.PENDING))
    if not offers:
        return []
    at = at or clock.now()
    Offer.objects.filter(pk__in=[o.pk for o in offers]).update(
        outcome=OfferOutcome.WITHDRAWN, decided_at=at
    )
    for offer in offers:
        offer.outcome, offer.decided_at = OfferOutcome.WITHDRAWN, at
        _resolved(offer, by_id[offer.entry_id].conversation_id)
    return offers
