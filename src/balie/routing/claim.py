"""Claiming agents for queue entries, many at once, safely under any number of processes.

Locks, always in this order: the queue entries (``SKIP LOCKED``: another worker has them), their
conversations (by id), the candidate agents' routing states (``SKIP LOCKED``: try the next
agent). The candidates' load is counted again under those locks, so capacity is never exceeded
and no contact is assigned twice. On SQLite the database serialises writers (``BEGIN
IMMEDIATE``), which gives the same guarantees.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from balie.conversations.actions import do_assign_many
from balie.conversations.actions.bulk import (
    Statement,
    insert_statement,
    run_statements,
    update_statement,
)
from balie.conversations.models import Conversation
from balie.conversations.workflow import Status
from balie.core import clock, events
from balie.core.events import publish
from balie.organisations.models import Agent, Presence
from balie.routing import selection as sel
from balie.routing.board import Board, load_counts
from balie.routing.events import ContactOffered
from balie.routing.models import AgentRoutingState, EntryState, Offer, QueueEntry, RoutingRecord

#: Candidates tried per contact before it waits for the next round. Few: each is locked for the
#: whole batch and parallel sweepers skip locked agents; with 8, four sweepers of 50 contacts
#: locked most of 500 agents and took turns instead of working side by side.
CLAIM_TRIES = 3
#: The reason on the router's own assignments (``handlers.wants_status_change`` knows it).
ROUTED = "routed"
WAITING_STATUSES = (Status.NEW, Status.QUEUED)


@dataclass(frozen=True)
class Claim:
    """The outcome of one routing decision."""

    agent_id: int | None
    offered: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Request:
    """One contact to place: its entry, requirements, and the agents ranked best first."""

    entry_id: int
    need: sel.Need
    ranked: list[sel.AgentId]


def claim(board: Board, requests: list[Request]) -> dict[int, Claim]:
    """Assign or offer each request (in the given queue order) in one transaction."""
    results: dict[int, Claim] = {}
    with transaction.atomic(), events.batch():
        # The entry and its conversation in one locking read; a conversation locked elsewhere
        # (a message arriving) is skipped this round and retried by the next sweep.
        entries = {
            e.pk: e
            for e in QueueEntry.objects.select_for_update(
                skip_locked=True, of=("self", "conversation")
            )
            .filter(pk__in=[r.entry_id for r in requests], state=EntryState.WAITING)
            .select_related("conversation")
        }
        conversations = {e.conversation_id: e.conversation for e in entries.values()}
        wanted = {int(a) for r in requests if r.entry_id in entries for a in r.ranked[:CLAIM_TRIES]}
        locks = {
            s.agent_id: s
            for s in AgentRoutingState.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(agent_id__in=wanted, agent__presence=Presence.AVAILABLE)
            .select_related("agent")
        }
        loads = load_counts(board.organisation.pk, list(locks)) if locks else {}
        states = {a: replace(board.states[a], load=loads.get(a, {}), present=True) for a in locks}
        records: list[RoutingRecord] = []
        assign: list[tuple[Conversation, Agent]] = []
        for request in requests:
            results[request.entry_id] = _place(
                board, request, entries, conversations, locks, states, records, assign
            )
        # One write per table for the whole batch, sent together (one round trip on
        # PostgreSQL).
        writes: list[Statement] = []
        do_assign_many(assign, reason=ROUTED, defer=writes)
        writes.append(insert_statement(RoutingRecord, records))
        moved = [e for e in entries.values() if e.state != EntryState.WAITING]
        writes.append(update_statement(QueueEntry, moved, ["state", "agent_id", "attempts"]))
        given = [lock for lock in locks.values() if lock.last_assigned_at == board.now]
        writes.append(
            update_statement(AgentRoutingState, given, ["handled_today", "day", "last_assigned_at"])
        )
        run_statements(writes)
        for agent_id, state in states.items():
            board.states[agent_id] = state
    return results


def _place(
    board: Board,
    request: Request,
    entries: dict[int, QueueEntry],
    conversations: dict[int, Conversation],
    locks: dict[int, AgentRoutingState],
    states: dict[int, sel.AgentState],
    records: list[RoutingRecord],
    assign: list[tuple[Conversation, Agent]],
) -> Claim:
    entry = entries.get(request.entry_id)
    if entry is None:
        return Claim(None, reason="taken")
    conversation = conversations[entry.conversation_id]
    if conversation.status not in WAITING_STATUSES:
        entry.state = EntryState.DONE
        return Claim(None, reason="not waiting")
    for candidate in request.ranked[:CLAIM_TRIES]:
        agent_id = int(candidate)
        if agent_id not in locks:
            continue  # absent, or another worker is giving this agent work right now
        if not sel.eligible(board.profiles[agent_id], states[agent_id], request.need, board.mixing):
            continue
        offered = _give(board, entry, conversation, locks[agent_id], records, assign)
        state = states[agent_id]
        load = dict(state.load)
        load[entry.channel_kind] = load.get(entry.channel_kind, 0) + 1
        states[agent_id] = replace(
            state,
            load=load,
            idle_since=board.now.timestamp(),
            handled_today=state.handled_today + 1,
        )
        return Claim(agent_id, offered=offered)
    return Claim(None, reason="no free agent")


def _give(
    board: Board,
    entry: QueueEntry,
    conversation: Conversation,
    lock: AgentRoutingState,
    records: list[RoutingRecord],
    assign: list[tuple[Conversation, Agent]],
) -> bool:
    """Assign (auto-accept: collected for one ``do_assign_many``) or offer; whether offered."""
    now = board.now
    local_day = now.astimezone(ZoneInfo(board.organisation.time_zone)).date()
    lock.handled_today = lock.handled_today + 1 if lock.day == local_day else 1
    lock.day, lock.last_assigned_at = local_day, now  # written in bulk by claim()
    entry.agent_id = lock.agent_id
    entry.attempts += 1
    kinds = board.settings.auto_accept_kinds
    auto = entry.channel_kind in kinds if kinds else entry.channel_kind != "phone"
    entry.state = EntryState.ASSIGNED if auto else EntryState.OFFERED
    kind = "assigned" if auto else "offered"
    records.append(
        RoutingRecord(conversation=conversation, kind=kind, agent_id=lock.agent_id, at=clock.now())
    )
    if auto:
        assign.append((conversation, lock.agent))
        return False
    offer = Offer.objects.create(
        entry=entry,
        agent_id=lock.agent_id,
        created_at=now,
        expires_at=now + timedelta(seconds=board.settings.offer_timeout_s),
    )
    publish(
        ContactOffered(
            offer_id=offer.pk,
            conversation_id=conversation.pk,
            agent_id=lock.agent_id,
            expires_at=offer.expires_at.isoformat(),
        )
    )
    return True
