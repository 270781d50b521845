"""Claiming agents for queue entries, many at once, safely under any number of processes.

Locks, always in this order: the queue entries (``SKIP LOCKED``: another worker has them), their
conversations (by id), the candidate agents' routing states (``SKIP LOCKED``: try the next
agent). The candidates' load is counted again under those locks, so capacity is never exceeded
and no contact is assigned twice. On SQLite the database serialises writers (``BEGIN
IMMEDIATE``), which gives the same guarantees.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Model

from balie.conversations.actions import do_assign_many
from balie.conversations.models import Conversation
from balie.conversations.workflow import Status
from balie.core import clock, events
from balie.core.events import publish
from balie.core.sql import (
    Statement,
    any_of,
    fetch_statements,
    insert_statement,
    run_statements,
    update_statement,
)
from balie.organisations.models import Agent, Presence
from balie.routing import selection as sel
from balie.routing.actions import move_entry
from balie.routing.board import Board, agent_load_statement, count_loads
from balie.routing.events import ContactOffered
from balie.routing.models import AgentRoutingState, EntryState, Offer, QueueEntry, RoutingRecord

#: Candidates tried per contact before it waits for the next round. Few: each is locked for the
#: whole batch and parallel sweepers skip locked agents; with 8, four sweepers of 50 contacts
#: locked most of 500 agents and took turns instead of working side by side.
CLAIM_TRIES = 3
#: The reason on the router's own assignments (``handlers.wants_status_change`` knows it).
ROUTED = "routed"
WAITING_STATUSES = (Status.NEW, Status.QUEUED)
NO_FREE_AGENT = "no free agent"


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
    """Assign or offer each request (in the given queue order) in one transaction.

    A contact whose first ``CLAIM_TRIES`` candidates are all taken (locked by another worker,
    or filled since this process read its board) gets its next ``CLAIM_TRIES``, locked in one
    more round trip for all such contacts of the batch, rather than waiting for the next sweep.
    """
    results: dict[int, Claim] = {}
    with transaction.atomic(), events.batch():
        batch = _lock(board, requests)
        for request in requests:
            results[request.entry_id] = _place(board, request, batch, first=True)
        again = [r for r in requests if results[r.entry_id].reason == NO_FREE_AGENT]
        # Those of the next candidates locked for other contacts already need no new lock.
        more = {int(a) for r in again for a in r.ranked[CLAIM_TRIES : 2 * CLAIM_TRIES]}
        if more - batch.locks.keys():
            batch.add(
                board, *fetch_statements(_agent_statements(sorted(more - batch.locks.keys())))
            )
        for request in again:
            results[request.entry_id] = _place(board, request, batch, first=False)
        # One write per table for the whole batch, sent together (one round trip on
        # PostgreSQL).
        _write_offers(batch.offers)
        writes: list[Statement] = []
        do_assign_many(batch.assign, reason=ROUTED, defer=writes)
        writes.append(insert_statement(RoutingRecord, batch.records))
        moved = [e for e in batch.entries.values() if e.state != EntryState.WAITING]
        writes.append(update_statement(QueueEntry, moved, ["state", "agent_id", "attempts"]))
        placed = {c.agent_id for c in results.values() if c.agent_id is not None}
        given = [lock for agent_id, lock in batch.locks.items() if agent_id in placed]
        writes.append(
            update_statement(AgentRoutingState, given, ["handled_today", "day", "last_assigned_at"])
        )
        run_statements(writes)
        board.states.update(batch.states)
    return results


#: What a claim reads of each locked row (attribute names; the other fields stay deferred and
#: are not used: the writes name their columns).
_ENTRY = frozenset({"id", "conversation_id", "channel_kind", "state", "agent_id", "attempts"})
_CONVERSATION = frozenset({"id", "organisation_id", "status", "assignee_id"})
_STATE = frozenset({"id", "agent_id", "day", "handled_today"})
_AGENT = frozenset({"id", "organisation_id"})


@dataclass
class _Batch:
    """What one claim holds: locked entries and conversations by id, locked agents' states by
    agent with their load as counted under the lock, and the rows it will write."""

    entries: dict[int, QueueEntry] = field(default_factory=dict)
    conversations: dict[int, Conversation] = field(default_factory=dict)
    locks: dict[int, AgentRoutingState] = field(default_factory=dict)
    states: dict[int, sel.AgentState] = field(default_factory=dict)
    records: list[RoutingRecord] = field(default_factory=list)
    assign: list[tuple[Conversation, Agent]] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)

    def add(
        self, board: Board, locked: list[tuple[Any, ...]], loads: list[tuple[Any, ...]]
    ) -> None:
        """Take the rows of :func:`_agent_statements`: the agents locked, and their load."""
        db, split = connection.alias, len(_columns(AgentRoutingState, _STATE))
        counted = count_loads(loads)
        for row in locked:
            lock = AgentRoutingState.from_db(db, _STATE, row[:split])
            lock.agent = Agent.from_db(db, _AGENT, row[split:])
            agent_id = lock.agent_id
            self.locks[agent_id] = lock
            self.states[agent_id] = replace(
                board.states[agent_id], load=counted.get(agent_id, {}), present=True
            )


def _lock(board: Board, requests: list[Request]) -> _Batch:
    """Lock the waiting entries with their conversations, then the first candidates' states
    (present ones), and count those agents' load: three raw statements, one round trip on
    PostgreSQL (built by hand: the ORM's compilation of these cost more than their work in
    the database)."""
    wanted = sorted({int(a) for r in requests for a in r.ranked[:CLAIM_TRIES]})
    statements = [_entries_statement([r.entry_id for r in requests])]
    if wanted:
        statements += _agent_statements(wanted)
    found = fetch_statements(statements)
    batch, db = _Batch(), connection.alias
    split = len(_columns(QueueEntry, _ENTRY))
    for row in found[0]:
        entry = QueueEntry.from_db(db, _ENTRY, row[:split])
        conversation = Conversation.from_db(db, _CONVERSATION, row[split:])
        entry.conversation = conversation
        batch.entries[entry.pk], batch.conversations[conversation.pk] = entry, conversation
    if wanted:
        batch.add(board, found[1], found[2])
    return batch


def _agent_statements(agent_ids: list[int]) -> list[Statement]:
    """Lock the candidates' states, then count their load (rows for :meth:`_Batch.add`)."""
    return [_agents_statement(agent_ids), agent_load_statement(agent_ids)]


@dataclass(frozen=True)
class _Table:
    """One side of a locking read: its SQL alias, model, the attributes read, and a column.

    For the left side the column is the key matched against the ids; for the right side it is
    the left side's column that points at the right row's id."""

    alias: str
    model: type[Model]
    fields: frozenset[str]
    column: str


@dataclass(frozen=True)
class _Where:
    """The extra condition ``column = value`` of a locking read."""

    column: str
    value: str


def _entries_statement(entry_ids: list[int]) -> Statement:
    """Lock the waiting ones of ``entry_ids`` and their conversations; an entry or
    conversation locked elsewhere (a message arriving) is skipped this round and retried by
    the next sweep."""
    return _locked_pair(
        _Table("e", QueueEntry, _ENTRY, "id"),
        _Table("c", Conversation, _CONVERSATION, "conversation_id"),
        entry_ids,
        _Where("e.state", EntryState.WAITING.value),
        "e, c",
    )


def _agents_statement(agent_ids: list[int]) -> Statement:
    """Lock the routing states of those of ``agent_ids`` who are present; one locked
    elsewhere (another worker giving that agent work) is skipped: the next candidate is tried."""
    return _locked_pair(
        _Table("s", AgentRoutingState, _STATE, "agent_id"),
        _Table("a", Agent, _AGENT, "agent_id"),
        agent_ids,
        _Where("a.presence", Presence.AVAILABLE.value),
        "s",
    )


def _locked_pair(
    left: _Table, right: _Table, ids: list[int], where: _Where, locked: str
) -> Statement:
    """``SELECT`` the ``left`` rows whose key column is one of ``ids``, joined to the ``right``
    row that left's column points at, where ``where`` holds; locked ``FOR UPDATE OF locked
    SKIP LOCKED`` where the database can."""
    quote = connection.ops.quote_name
    la, ra = left.alias, right.alias
    key, params = any_of(f"{la}.{left.column}", ids)
    # Names from the models' meta; every value is a parameter.
    sql = (
        f"SELECT {_select(la, left.model, left.fields)}, "  # noqa: S608
        f"{_select(ra, right.model, right.fields)}"
        f" FROM {quote(left.model._meta.db_table)} {la}"
        f" INNER JOIN {quote(right.model._meta.db_table)} {ra} ON {ra}.id = {la}.{right.column}"
        f" WHERE {key} AND {where.column} = %s{_for_update(locked)}"
    )
    return sql, [*params, where.value]


def _for_update(tables: str) -> str:
    """The row-lock clause on PostgreSQL; none on SQLite, where the database serialises
    writers (``BEGIN IMMEDIATE``)."""
    if connection.features.has_select_for_update_skip_locked:
        return f" FOR UPDATE OF {tables} SKIP LOCKED"
    return ""


@cache
def _columns(model: type[Model], names: frozenset[str]) -> tuple[str, ...]:
    """The columns of ``names`` (attribute names) in the order of the model's fields, which
    is the order ``Model.from_db`` takes values in."""
    return tuple(f.column for f in model._meta.concrete_fields if f.attname in names)


@cache
def _select(alias: str, model: type[Model], names: frozenset[str]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(column)}" for column in _columns(model, names))


def _place(board: Board, request: Request, batch: _Batch, *, first: bool) -> Claim:
    """Give the request's entry to the best of its candidates that is locked and still
    eligible: the first ``CLAIM_TRIES``, or (``first=False``) the next ones."""
    entry = batch.entries.get(request.entry_id)
    if entry is None:
        return Claim(None, reason="taken")
    conversation = batch.conversations[entry.conversation_id]
    if conversation.status not in WAITING_STATUSES:
        move_entry(entry, EntryState.DONE)
        return Claim(None, reason="not waiting")
    tries = request.ranked[:CLAIM_TRIES] if first else request.ranked[CLAIM_TRIES : 2 * CLAIM_TRIES]
    for candidate in tries:
        agent_id = int(candidate)
        if agent_id not in batch.locks:
            continue  # absent, or another worker is giving this agent work right now
        state = batch.states[agent_id]
        if not sel.eligible(board.profiles[agent_id], state, request.need, board.mixing):
            continue
        offered = _give(board, entry, conversation, batch.locks[agent_id], batch)
        batch.states[agent_id] = state.given(entry.channel_kind, board.now.timestamp())
        return Claim(agent_id, offered=offered)
    return Claim(None, reason=NO_FREE_AGENT)


def _give(
    board: Board,
    entry: QueueEntry,
    conversation: Conversation,
    lock: AgentRoutingState,
    batch: _Batch,
) -> bool:
    """Assign (auto-accept: collected for one ``do_assign_many``) or offer; whether offered."""
    now = board.now
    local_day = now.astimezone(ZoneInfo(board.organisation.time_zone)).date()
    lock.handled_today = lock.handled_today + 1 if lock.day == local_day else 1
    lock.day, lock.last_assigned_at = local_day, now  # written in bulk by claim()
    entry.attempts += 1
    kinds = board.settings.auto_accept_kinds
    auto = entry.channel_kind in kinds if kinds else entry.channel_kind != "phone"
    move_entry(entry, EntryState.ASSIGNED if auto else EntryState.OFFERED, agent_id=lock.agent_id)
    kind = "assigned" if auto else "offered"
    batch.records.append(
        RoutingRecord(conversation=conversation, kind=kind, agent_id=lock.agent_id, at=clock.now())
    )
    if auto:
        batch.assign.append((conversation, lock.agent))
        return False
    batch.offers.append(  # written with the batch's others (``_write_offers``)
        Offer(
            entry=entry,
            agent_id=lock.agent_id,
            created_at=now,
            expires_at=now + timedelta(seconds=board.settings.offer_timeout_s),
        )
    )
    return True


def _write_offers(offers: list[Offer]) -> None:
    """One INSERT for the batch's offers (their ids come back), then their events."""
    Offer.objects.bulk_create(offers)
    for offer in offers:
        publish(
            ContactOffered(
                offer_id=offer.pk,
                conversation_id=offer.entry.conversation_id,
                agent_id=offer.agent_id,
                expires_at=offer.expires_at.isoformat(),
            )
        )
