"""The routing engine: queue conversations; rank agents for them in queue order; claim.

Ranking is the pure code in :mod:`balie.routing.selection` over the cached board; claiming
(:mod:`balie.routing.claim`) locks and re-checks, in batches of ``BATCH`` contacts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.db import transaction
from django.db.models import Q

from balie.conversations.actions.status import do_change_statuses
from balie.conversations.models import Conversation
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.sql import update_rows
from balie.organisations.models import Agent, Organisation
from balie.routing import selection as sel
from balie.routing.actions import move_entry
from balie.routing.board import board_for
from balie.routing.claim import Claim, Request, claim
from balie.routing.models import EntryState, Offer, OfferOutcome, QueueEntry, RoutingRecord
from balie.routing.needs import answer_target, need_now

log = structlog.get_logger(__name__)
#: An agent who declined or let an offer lapse is not offered the same contact for this long.
DECLINE_MEMORY = timedelta(minutes=10)
#: Contacts claimed per transaction in a sweep.
BATCH = 50


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
    return do_enqueue_many([conversation], reason=reason)[0]


def do_enqueue_many(
    conversations: list[Conversation], *, reason: str = "waiting for an agent"
) -> list[QueueEntry]:
    """:func:`do_enqueue` for many conversations (each once, channel loaded), a few statements
    for all. Precondition: inside a transaction; the conversations' assigned or done entries
    locked (``actions.lock_entries``), then the conversations (the lock order of
    :mod:`balie.routing.actions`; a conversation never queued has no entry to lock)."""
    now = clock.now()
    do_change_statuses(
        [c for c in conversations if c.status == Status.NEW], Status.QUEUED, reason=reason
    )
    entries = {
        e.conversation_id: e for e in QueueEntry.objects.filter(conversation__in=conversations)
    }
    new = [
        QueueEntry(
            conversation=c,
            organisation_id=c.organisation_id,
            channel_kind=c.channel.kind,
            priority=c.priority,
            enqueued_at=now,
        )
        for c in conversations
        if c.pk not in entries
    ]
    QueueEntry.objects.bulk_create(new)
    back = [e for e in entries.values() if e.state in (EntryState.ASSIGNED, EntryState.DONE)]
    for entry in back:
        move_entry(entry, EntryState.WAITING)
        entry.enqueued_at, entry.notice_sent_at = now, None
    update_rows(QueueEntry, back, ["state", "agent_id", "enqueued_at", "notice_sent_at"])
    entries.update((e.conversation_id, e) for e in new)
    RoutingRecord.objects.bulk_create(
        RoutingRecord(conversation=c, kind="enqueued", reason=reason[:500], at=now)
        for c in conversations
    )
    return [entries[c.pk] for c in conversations]


def declined_by(entry_ids: list[int], now: datetime) -> dict[int, set[int]]:
    """Agents who recently declined or let lapse an offer, per entry."""
    out: dict[int, set[int]] = {}
    if not entry_ids:
        return out
    rows = Offer.objects.filter(
        entry_id__in=entry_ids,
        outcome__in=[OfferOutcome.DECLINED, OfferOutcome.TIMED_OUT],
        decided_at__gte=now - DECLINE_MEMORY,
    ).values_list("entry_id", "agent_id")
    for entry_id, agent_id in rows:
        out.setdefault(entry_id, set()).add(agent_id)
    return out


def route_entries(
    organisation: Organisation, entries: list[QueueEntry], *, fresh: bool = False
) -> dict[int, Claim]:
    """Decide for ``entries`` (with conversation and topic loaded) in queue order."""
    now = clock.now()
    board = board_for(organisation, now, fresh=fresh)
    declined = declined_by([e.pk for e in entries if e.attempts], now)
    needs = {
        e.pk: need_now(
            organisation, e, e.conversation.topic, e.conversation.language, board.steps, now
        )
        for e in entries
    }

    def key(e: QueueEntry) -> tuple[int, int, float]:
        need = needs[e.pk]
        waited = (now - e.enqueued_at).total_seconds()
        target = answer_target(board.settings, need.channel)
        return sel.queue_key(e.priority, waited, target, board.count_on_shift(need))

    results: dict[int, Claim] = {}
    hopeless: set[sel.Need] = set()
    batch: list[Request] = []
    for entry in sorted(entries, key=key) if len(entries) > 1 else entries:
        need = needs[entry.pk]
        if need in hopeless:
            results[entry.pk] = Claim(None, reason="no eligible agent")
            continue
        skip = declined.get(entry.pk, set())
        candidates = board.candidates(need, skip)
        ranked = sel.rank_agents(
            need,
            candidates,
            now.timestamp(),
            board.rare,
            board.mixing,
            qualified=True,
            fixed=board.fixed(need),
        )
        if not ranked:
            if not skip:
                hopeless.add(need)
            results[entry.pk] = Claim(None, reason="no eligible agent")
            continue
        batch.append(Request(entry.pk, need, ranked))
        board.note(int(ranked[0]), need.channel, now)  # tentative: later contacts see it taken
        if len(batch) >= BATCH:
            results.update(claim(board, batch))
            batch = []
    if batch:
        results.update(claim(board, batch))
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


def route_waiting(organisation_id: int, entry_ids: list[int]) -> dict[int, Claim]:
    """Decide now for those of ``entry_ids`` still waiting (new contacts, together)."""
    organisation = Organisation.objects.get(pk=organisation_id)
    found = _waiting(organisation_id, len(entry_ids), entry_ids)
    return route_entries(organisation, found) if found else {}


def route_entry(entry: QueueEntry) -> Claim:
    """Decide for one entry now (a declined offer, a call, a supervisor's move)."""
    claims = route_waiting(entry.organisation_id, [entry.pk])
    return claims.get(entry.pk, Claim(None, reason="not waiting"))


def sweep_organisation(organisation_id: int, limit: int = 500) -> int:
    """Retry the waiting contacts of one organisation; returns how many found an agent.

    Each batch is taken with ``SKIP LOCKED`` first, so sweepers in several processes work on
    different contacts instead of racing for the same ones.
    """
    organisation = Organisation.objects.get(pk=organisation_id)
    board_for(organisation, clock.now(), fresh=True)
    placed, tried = 0, 0
    last_key: tuple[int, datetime, int] | None = None
    while tried < limit:
        with transaction.atomic():
            rows = QueueEntry.objects.select_for_update(
                no_key=True, skip_locked=True, of=("self",)
            ).filter(organisation_id=organisation_id, state=EntryState.WAITING)
            if last_key is not None:  # keyset paging in queue order
                priority, enqueued_at, pk = last_key
                rows = rows.filter(
                    Q(priority__lt=priority)
                    | Q(priority=priority, enqueued_at__gt=enqueued_at)
                    | Q(priority=priority, enqueued_at=enqueued_at, pk__gt=pk)
                )
            order = ("-priority", "enqueued_at", "pk")
            # Lock the batch in a subquery of the entries alone, then join what ranking needs
            # to those few: joined before the lock, every waiting entry was joined and sorted.
            batch = rows.order_by(*order).values("pk")[: min(BATCH, limit - tried)]
            entries = list(
                QueueEntry.objects.filter(pk__in=batch)
                .select_related("conversation__topic__required_training")
                .order_by(*order)
            )
            if not entries:
                break
            claims = route_entries(organisation, entries)
        tried += len(entries)
        last = entries[-1]
        last_key = (last.priority, last.enqueued_at, last.pk)
        placed += sum(1 for c in claims.values() if c.agent_id is not None)
    return placed
