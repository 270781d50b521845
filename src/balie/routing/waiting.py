"""Telling a waiting citizen what to expect: expected wait, or when the organisation opens."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction

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


def estimate(organisation: Organisation, entry: QueueEntry) -> tuple[int | None, datetime | None]:
    """The expected wait in seconds, or (None, when the organisation opens) out of hours.

    ``entry.conversation`` (with its topic) loaded."""
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
    ahead = QueueEntry.objects.filter(
        organisation_id=organisation.pk,
        state=EntryState.WAITING,
        channel_kind=entry.channel_kind,
        priority__gte=entry.priority,
        enqueued_at__lt=entry.enqueued_at,
    ).count()
    return expected_wait_s(
        ahead, handling_time(board.settings, entry.channel_kind), qualified
    ), None


def notify_waiting_many(entry_ids: list[int]) -> None:
    """Send each still-waiting contact its notice once, in one transaction."""
    with transaction.atomic(), batch():
        entries = (
            QueueEntry.objects.select_for_update(of=("self",))
            .select_related(
                "conversation__topic", "conversation__channel", "conversation__organisation"
            )
            .filter(pk__in=entry_ids, state=EntryState.WAITING, notice_sent_at__isnull=True)
            .order_by("pk")
        )
        notices = []
        for entry in entries:
            wait, opens_at = estimate(entry.conversation.organisation, entry)
            notices.append(Notice(entry, entry.conversation, wait, opens_at))
        do_send_queue_notices(notices)
