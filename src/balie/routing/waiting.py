"""Telling a waiting citizen what to expect: expected wait, or when the organisation opens."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from balie.core import clock
from balie.core.events import batch
from balie.organisations.models import Organisation
from balie.routing.board import board_for
from balie.routing.models import EntryState, QueueEntry
from balie.routing.needs import handling_time, need_now
from balie.routing.notices import Notice, do_send_queue_notices
from balie.routing.shifts import is_open, next_opening


def expected_wait_s(ahead: int, handling_s: float, qualified_agents: int) -> int | None:
    """Rough expected wait: contacts ahead (and this one) × handling time / qualified agents."""
    if qualified_agents <= 0:
        return None
    return round((ahead + 1) * handling_s / qualified_agents)


def estimate(
    organisation: Organisation, entry: QueueEntry, ahead: int | None = None
) -> tuple[int | None, datetime | None]:
    """The expected wait in seconds, or (None, when the organisation opens) out of hours.

    ``entry.conversation`` (with its topic) loaded; ``ahead``: the contacts waiting before it,
    if the caller counted them already (:func:`ahead_of`)."""
    now = clock.now()
    local = now.astimezone(ZoneInfo(organisation.time_zone)).replace(tzinfo=None)
    if not is_open(organisation.business_hours, local):
        opening = next_opening(organisation.business_hours, local)
        zone = ZoneInfo(organisation.time_zone)
        return None, opening.replace(tzinfo=zone) if opening else None
    board = board_for(organisation, now)
    conversation = entry.conversation
    need = need_now(
        organisation, entry, conversation.topic, conversation.language, board.steps, now
    )
    qualified = board.count_on_shift(need)
    if qualified <= 0:
        return None, None  # nobody on shift can answer it: no honest number to give
    if ahead is None:
        ahead = ahead_of([entry.pk]).get(entry.pk, 0)
    return expected_wait_s(
        ahead, handling_time(board.settings, entry.channel_kind), qualified
    ), None


def ahead_of(entry_ids: list[int]) -> dict[int, int]:
    """For each entry, how many contacts wait before it on its channel kind (same or higher
    priority, enqueued earlier): one query for all."""
    before = (
        QueueEntry.objects.filter(
            organisation_id=OuterRef("organisation_id"),
            state=EntryState.WAITING,
            channel_kind=OuterRef("channel_kind"),
            priority__gte=OuterRef("priority"),
            enqueued_at__lt=OuterRef("enqueued_at"),
        )
        .order_by()
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = QueueEntry.objects.filter(pk__in=entry_ids).annotate(ahead=Coalesce(Subquery(before), 0))
    return dict(rows.values_list("pk", "ahead"))


def notify_waiting_many(entry_ids: list[int]) -> None:
    """Send each still-waiting contact its notice once, in one transaction."""
    with transaction.atomic(), batch():
        locked = (
            QueueEntry.objects.select_for_update(no_key=True, of=("self",))
            .select_related(
                "conversation__topic", "conversation__channel", "conversation__organisation"
            )
            .filter(pk__in=entry_ids, state=EntryState.WAITING, notice_sent_at__isnull=True)
            .order_by("pk")
        )
        entries = list(locked)
        ahead = ahead_of([entry.pk for entry in entries])
        notices = []
        for entry in entries:
            wait, opens_at = estimate(entry.conversation.organisation, entry, ahead[entry.pk])
            notices.append(Notice(entry, entry.conversation, wait, opens_at))
        do_send_queue_notices(notices)
