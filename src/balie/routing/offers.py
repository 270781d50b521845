"""Answering an offer: accept, decline, or let it time out (then the next agent gets it)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.core import clock
from balie.core.errors import WorkflowViolation
from balie.organisations.models import Agent
from balie.routing.actions import do_move_entry, do_resolve_offer
from balie.routing.claim import WAITING_STATUSES
from balie.routing.engine import record, route_entry, route_waiting
from balie.routing.models import EntryState, Offer, OfferOutcome, QueueEntry


def _close(offer: Offer, outcome: OfferOutcome) -> None:
    do_resolve_offer(offer, outcome)
    record(offer.entry.conversation_id, outcome.value, agent_id=offer.agent_id)


def _locked_offer(offer_id: int) -> tuple[QueueEntry, Offer]:
    """Lock the offer's entry, then the offer (the lock order of :mod:`.actions`)."""
    offer = Offer.objects.select_related("entry").get(pk=offer_id)
    entry = QueueEntry.objects.select_for_update(no_key=True).get(pk=offer.entry_id)
    offer = Offer.objects.select_for_update(no_key=True).get(pk=offer_id)
    offer.entry = entry
    return entry, offer


def do_accept_offer(offer_id: int, agent: Agent) -> None:
    """The agent takes the offered contact; raises WorkflowViolation if it is no longer theirs.

    When the contact was handled meanwhile, the offer is closed and the entry done (committed)
    before the agent is told, so the stale offer does not stay pending.
    """
    with transaction.atomic():
        entry, offer = _locked_offer(offer_id)
        if offer.agent_id != agent.pk:
            raise WorkflowViolation("this offer is for another agent", code="not_your_offer")
        if offer.outcome != OfferOutcome.PENDING or offer.expires_at < clock.now():
            raise WorkflowViolation("the offer has lapsed", code="offer_lapsed")
        conversation = lock_conversation(entry.conversation_id)
        _close(offer, OfferOutcome.ACCEPTED)
        handled_meanwhile = conversation.status not in WAITING_STATUSES
        if handled_meanwhile:
            do_move_entry(entry, EntryState.DONE)
        else:
            do_move_entry(entry, EntryState.ASSIGNED, agent_id=agent.pk)
            do_assign(conversation, agent, actor=agent, reason="accepted the offer")
    if handled_meanwhile:
        raise WorkflowViolation("the contact was handled meanwhile", code="offer_lapsed")


def _release(offer_id: int, outcome: OfferOutcome) -> QueueEntry | None:
    with transaction.atomic():
        entry, offer = _locked_offer(offer_id)
        if offer.outcome != OfferOutcome.PENDING:
            return None
        _close(offer, outcome)
        if entry.state == EntryState.OFFERED and entry.agent_id == offer.agent_id:
            do_move_entry(entry, EntryState.WAITING)
            return entry
    return None


def do_decline_offer(offer_id: int, agent: Agent) -> None:
    """The agent declines; the decline is recorded and the contact goes to the next agent."""
    offer = Offer.objects.get(pk=offer_id)
    if offer.agent_id != agent.pk:
        raise WorkflowViolation("this offer is for another agent", code="not_your_offer")
    entry = _release(offer_id, OfferOutcome.DECLINED)
    if entry is not None:
        route_entry(entry)


def expire_offers() -> int:
    """Periodic: lapse offers past their timeout and route those contacts again."""
    lapsed = list(
        Offer.objects.filter(outcome=OfferOutcome.PENDING, expires_at__lt=clock.now()).values_list(
            "pk", flat=True
        )[:500]
    )
    released: dict[int, list[int]] = defaultdict(list)
    for offer_id in lapsed:
        entry = _release(offer_id, OfferOutcome.TIMED_OUT)
        if entry is not None:
            released[entry.organisation_id].append(entry.pk)
    for organisation_id, entry_ids in released.items():  # one board and claim per organisation
        route_waiting(organisation_id, entry_ids)
    return sum(len(ids) for ids in released.values())
