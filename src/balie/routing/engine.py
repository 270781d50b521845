"""The routing engine: queue conversations and claim the best eligible agent for each.

Locks, always in this order: the queue entry (``SKIP LOCKED``: another worker has it), the
conversation, the agent's routing state (``SKIP LOCKED``: try the next agent). The chosen
agent's load is counted again under that lock, so capacity is never exceeded and no contact
is assigned twice, whatever the number of processes. On SQLite the database serialises
writers (``BEGIN IMMEDIATE``), which gives the same guarantees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from django.db import transaction

from balie.conversations.actions import do_assign, do_change_status
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.events import publish
from balie.organisations.models import Agent, Organisation, Presence
from balie.routing import selection as sel
from balie.routing.board import Board, board_for, load_counts
from balie.routing.events import ContactOffered
from balie.routing.models import (
    AgentRoutingState,
    EntryState,
    Offer,
    OfferOutcome,
    QueueEntry,
    RoutingRecord,
)
from balie.routing.needs import answer_target, need_now, steps_for

log = structlog.get_logger(__name__)
#: Candidates tried per decision before the board is considered stale.
CLAIM_TRIES = 8
#: An agent who declined or let an offer lapse is not offered the same contact for this long.
DECLINE_MEMORY = timedelta(minutes=10)
WAITING_STATUSES = (Status.NEW, Status.QUEUED)


@dataclass(frozen=True)
class Claim:
    """The outcome of one routing decision."""

    agent_id: int | None
    offered: bool = False
    reason: str = ""


def record(
    conversation_id: int,
    kind: str,
    *,
    agent_id: int | None = None,
    actor: Agent | None = None,
    reason: str = "",
) -> None:
    """Keep what routing did and why."""
    RoutingRecord.objects.create(
        conversation_id=conversation_id,
        kind=kind,
        agent_id=agent_id,
        actor=actor,
        reason=reason[:500],
        at=clock.now(),
    )


def do_enqueue(conversation: Conversation, *, reason: str = "waiting for an agent") -> QueueEntry:
    """Put ``conversation`` in the queue (or back in it). Precondition: conversation locked."""
    now = clock.now()
    if conversation.status == Status.NEW:
        do_change_status(conversation, Status.QUEUED, reason=reason)
    entry, created = QueueEntry.objects.get_or_create(
        conversation=conversation,
        defaults={
            "organisation_id": conversation.organisation_id,
            "channel_kind": conversation.channel.kind,
            "priority": conversation.priority,
            "enqueued_at": now,
        },
    )
    if not created and entry.state in (EntryState.ASSIGNED, EntryState.DONE):
        entry.state, entry.agent, entry.enqueued_at = EntryState.WAITING, None, now
        entry.notice_sent_at = None
        entry.save(update_fields=["state", "agent", "enqueued_at", "notice_sent_at"])
    record(conversation.pk, "enqueued", reason=reason)
    return entry


def declined_by(entry_ids: list[int], now: datetime) -> dict[int, set[int]]:
    """Agents who recently declined or let lapse an offer, per entry."""
    out: dict[int, set[int]] = {}
    rows = Offer.objects.filter(
        entry_id__in=entry_ids,
        outcome__in=[OfferOutcome.DECLINED, OfferOutcome.TIMED_OUT],
        decided_at__gte=now - DECLINE_MEMORY,
    ).values_list("entry_id", "agent_id")
    for entry_id, agent_id in rows:
        out.setdefault(entry_id, set()).add(agent_id)
    return out


def _fresh_state(board: Board, agent_id: int, state: AgentRoutingState) -> sel.AgentState:
    cached = board.states[agent_id]
    load = load_counts(board.organisation.pk, agent_id).get(agent_id, {})
    return sel.AgentState(
        on_shift=cached.on_shift,
        present=Agent.objects.filter(pk=agent_id, presence=Presence.AVAILABLE).exists(),
        load=load,
        idle_since=cached.idle_since,
        handled_today=state.handled_today,
    )


def _claim(board: Board, entry_id: int, need: sel.Need, ranked: list[sel.AgentId]) -> Claim:
    """One decision: lock the entry and the first free agent of ``ranked``; assign or offer."""
    now = board.now
    with transaction.atomic():
        entry = (
            QueueEntry.objects.select_for_update(skip_locked=True)
            .filter(pk=entry_id, state=EntryState.WAITING)
            .first()
        )
        if entry is None:
            return Claim(None, reason="taken")
        conversation = lock_conversation(entry.conversation_id)
        if conversation.status not in WAITING_STATUSES:
            entry.state = EntryState.DONE
            entry.save(update_fields=["state"])
            return Claim(None, reason="not waiting")
        for agent_id in ranked[:CLAIM_TRIES]:
            assert isinstance(agent_id, int)
            lock = (
                AgentRoutingState.objects.select_for_update(skip_locked=True)
                .filter(agent_id=agent_id)
                .first()
            )
            if lock is None and not AgentRoutingState.objects.filter(agent_id=agent_id).exists():
                lock = _new_state(agent_id)
            if lock is None:
                continue  # another worker is giving this agent work right now
            state = _fresh_state(board, agent_id, lock)
            if not sel.eligible(board.profiles[agent_id], state, need, board.mixing):
                board.states[agent_id] = state
                continue
            offered = _give(board, entry, conversation, agent_id, lock)
            board.note(agent_id, entry.channel_kind, now)
            return Claim(agent_id, offered=offered)
        return Claim(None, reason="no free agent")


def _new_state(agent_id: int) -> AgentRoutingState | None:
    """Create an agent's routing state row on first use and lock it."""
    AgentRoutingState.objects.get_or_create(agent_id=agent_id)
    return (
        AgentRoutingState.objects.select_for_update(skip_locked=True)
        .filter(agent_id=agent_id)
        .first()
    )


def _give(
    board: Board,
    entry: QueueEntry,
    conversation: Conversation,
    agent_id: int,
    lock: AgentRoutingState,
) -> bool:
    now = board.now
    local_day = now.astimezone(ZoneInfo(board.organisation.time_zone)).date()
    lock.handled_today = lock.handled_today + 1 if lock.day == local_day else 1
    lock.day, lock.last_assigned_at = local_day, now
    lock.save(update_fields=["handled_today", "day", "last_assigned_at"])
    entry.agent_id = agent_id
    entry.attempts += 1
    kinds = board.settings.auto_accept_kinds
    auto = entry.channel_kind in kinds if kinds else entry.channel_kind != "phone"
    if auto:
        entry.state = EntryState.ASSIGNED
        entry.save(update_fields=["state", "agent", "attempts"])
        agent = Agent.objects.get(pk=agent_id)
        do_assign(conversation, agent, reason="routed")
        record(conversation.pk, "assigned", agent_id=agent_id, reason="routed")
        return False
    entry.state = EntryState.OFFERED
    entry.save(update_fields=["state", "agent", "attempts"])
    offer = Offer.objects.create(
        entry=entry,
        agent_id=agent_id,
        created_at=now,
        expires_at=now + timedelta(seconds=board.settings.offer_timeout_s),
    )
    record(conversation.pk, "offered", agent_id=agent_id)
    publish(
        ContactOffered(
            offer_id=offer.pk,
            conversation_id=conversation.pk,
            agent_id=agent_id,
            expires_at=offer.expires_at.isoformat(),
        )
    )
    return True


def route_entries(
    organisation: Organisation, entries: list[QueueEntry], *, fresh: bool = False
) -> dict[int, Claim]:
    """Decide for ``entries`` (with conversation and topic loaded) in queue order."""
    now = clock.now()
    board = board_for(organisation, now, fresh=fresh)
    steps = steps_for({e.conversation.topic_id for e in entries if e.conversation.topic_id})
    declined = declined_by([e.pk for e in entries], now)
    needs = {
        e.pk: need_now(organisation, e, e.conversation.topic, e.conversation.language, steps, now)
        for e in entries
    }
    pairs = board.pairs()
    qualified: dict[sel.Need, int] = {}

    def key(e: QueueEntry) -> tuple[int, float]:
        need = needs[e.pk]
        if need not in qualified:
            qualified[need] = sel.count_qualified(need, pairs)
        waited = (now - e.enqueued_at).total_seconds()
        return sel.queue_key(
            e.priority, waited, answer_target(board.settings, need.channel), qualified[need]
        )

    results: dict[int, Claim] = {}
    hopeless: set[sel.Need] = set()
    for entry in sorted(entries, key=key):
        need = needs[entry.pk]
        if need in hopeless:
            results[entry.pk] = Claim(None, reason="no eligible agent")
            continue
        skip = declined.get(entry.pk, set())
        candidates = [(p, s) for p, s in board.pairs() if p.id not in skip]
        ranked = sel.rank_agents(need, candidates, now.timestamp(), board.rare, board.mixing)
        if not ranked:
            if not skip:
                hopeless.add(need)
            results[entry.pk] = Claim(None, reason="no eligible agent")
            continue
        results[entry.pk] = _claim(board, entry.pk, need, ranked)
    return results


def _waiting(organisation_id: int, limit: int, ids: list[int] | None = None) -> list[QueueEntry]:
    rows = QueueEntry.objects.filter(organisation_id=organisation_id, state=EntryState.WAITING)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return list(
        rows.select_related("conversation__topic__required_training").order_by(
            "-priority", "enqueued_at"
        )[:limit]
    )


def route_entry(entry: QueueEntry) -> Claim:
    """Decide for one entry now (a new contact, a declined offer)."""
    organisation = Organisation.objects.get(pk=entry.organisation_id)
    found = _waiting(entry.organisation_id, 1, [entry.pk])
    if not found:
        return Claim(None, reason="not waiting")
    return route_entries(organisation, found)[entry.pk]


def sweep_organisation(organisation_id: int, limit: int = 500) -> int:
    """Retry the waiting contacts of one organisation; returns how many found an agent."""
    organisation = Organisation.objects.get(pk=organisation_id)
    claims = route_entries(organisation, _waiting(organisation_id, limit), fresh=True)
    return sum(1 for c in claims.values() if c.agent_id is not None)
