"""Telling a waiting citizen what to expect: expected wait, or when the organisation opens."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from balie.conversations.models import Conversation
from balie.core import clock
from balie.organisations.models import Organisation
from balie.routing.board import board_for
from balie.routing.models import EntryState, QueueEntry
from balie.routing.needs import handling_time, need_now
from balie.routing.notices import do_send_queue_notice
from balie.routing.shifts import is_open, next_opening


def expected_wait_s(ahead: int, handling_s: float, qualified_agents: int) -> int | None:
    """Rough expected wait: contacts ahead (and this one) × handling time / qualified agents."""
    if qualified_agents <= 0:
        return None
    return round((ahead + 1) * handling_s / qualified_agents)


def estimate(organisation: Organisation, entry: QueueEntry) -> tuple[int | None, datetime | None]:
    """The expected wait in seconds, or (None, when the organisation opens) out of hours."""
    now = clock.now()
    local = now.astimezone(ZoneInfo(organisation.time_zone)).replace(tzinfo=None)
    if not is_open(organisation.business_hours, local):
        opening = next_opening(organisation.business_hours, local)
        zone = ZoneInfo(organisation.time_zone)
        return None, opening.replace(tzinfo=zone) if opening else None
    board = board_for(organisation, now)
    conversation = entry.conversation
    topic = conversation.topic
    need = need_now(
        organisation,
        entry,
        topic,
        conversation.language,
        board.steps,
        now,
    )
    qualified = board.count_on_shift(need)
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


def notify_waiting(entry_id: int) -> None:
    """Send the waiting notice once, if the contact is still waiting."""
    entry = QueueEntry.objects.select_related("conversation__topic").get(pk=entry_id)
    if entry.state != EntryState.WAITING or entry.notice_sent_at is not None:
        return
    organisation = Organisation.objects.get(pk=entry.organisation_id)
    wait, opens_at = estimate(organisation, entry)
    with transaction.atomic():
        locked = QueueEntry.objects.select_for_update().get(pk=entry_id)
        if locked.state != EntryState.WAITING:
            return
        conversation = Conversation.objects.select_related("channel", "organisation").get(
            pk=locked.conversation_id
        )
        do_send_queue_notice(locked, conversation, expected_wait_s=wait, opens_at=opens_at)
