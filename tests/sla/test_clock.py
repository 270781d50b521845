"""The service-level clock of a conversation, through the real actions and handlers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from balie.conversations.actions import check_change_status, check_send_reply
from balie.conversations.actions.edit import check_set_topic
from balie.conversations.models import Conversation
from balie.organisations.models import Calendar as CalendarRow
from balie.sla.calendars import do_save_calendar
from balie.sla.handlers import sweep
from balie.sla.models import Clock, ClockState, Outcome, Policy
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
HOURS = [["08:30", "12:30"], ["13:00", "17:00"]]


def local(text: str) -> datetime:
    """An Amsterdam wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


@pytest.fixture
def office(organisation, run_tasks):
    """Weekday office hours with a lunch break, NL holidays; one-hour answers, next morning."""
    do_save_calendar(
        CalendarRow(
            organisation=organisation,
            hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), HOURS),
            holidays_country="NL",
        )
    )
    run_tasks()
    return Policy.objects.create(
        organisation=organisation,
        name="Standaard",
        first_response={"business_minutes": 60},
        next_response={"business_minutes": 60},
        resolution={"same_day_or_next_morning": {"cutoff": "15:00", "next_morning": "12:00"}},
    )


def test_the_clock_starts_pauses_and_records_outcomes(
    channel, agent, office, run_tasks, time_machine, events
):
    """First response met, a pause in pending moves the resolution, its breach is recorded."""
    time_machine.move_to(local("2026-03-03 16:30"), tick=False)  # Tuesday
    conversation_id = receive(channel).message.conversation_id
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    # 30 minutes on Tuesday, 30 on Wednesday from 08:30; after the 15:00 cut-off: Wed noon
    assert clock.response_due_at == local("2026-03-04 09:00")
    assert clock.resolution_due_at == local("2026-03-04 12:00")
    assert clock.due_at == clock.response_due_at
    assert clock.due_target == "first_response"
    # 80 % of 60 business minutes: 30 on Tuesday and 18 on Wednesday morning
    assert clock.warn_at == local("2026-03-04 08:48")

    time_machine.move_to(local("2026-03-04 08:50"), tick=False)
    assert sweep() == 1
    assert [e.target for e in events.named("sla_warning")] == ["first_response"]
    assert sweep() == 0  # announced once

    time_machine.move_to(local("2026-03-04 08:55"), tick=False)
    check_change_status(conversation_id, "assigned", actor=agent)
    check_send_reply(conversation_id, agent, "Goedemorgen, ...")
    run_tasks()
    first = Outcome.objects.get(target="first_response")
    assert first.met
    assert first.business_minutes == 55
    assert first.wall_minutes == 16 * 60 + 25
    assert first.kind == "business_minutes"

    time_machine.move_to(local("2026-03-04 09:00"), tick=False)
    check_change_status(conversation_id, "pending", actor=agent)
    run_tasks()
    assert Clock.objects.get(conversation_id=conversation_id).state == ClockState.PAUSED
    time_machine.move_to(local("2026-03-04 10:00"), tick=False)
    check_change_status(conversation_id, "assigned", actor=agent)
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    # an hour waiting on the citizen: noon + 60 business minutes over the lunch break
    assert clock.resolution_due_at == local("2026-03-04 13:30")
    assert clock.due_target == "resolution"

    time_machine.move_to(local("2026-03-04 13:31"), tick=False)
    assert sweep() == 1
    assert [e.target for e in events.named("sla_breached")] == ["resolution"]
    time_machine.move_to(local("2026-03-04 14:00"), tick=False)
    check_change_status(conversation_id, "resolved", actor=agent)
    run_tasks()
    resolution = Outcome.objects.get(target="resolution")
    assert not resolution.met
    # Tue 16:30-17:00, Wed 08:30-12:30 and 13:00-14:00 = 330, less the 60 paused
    assert resolution.business_minutes == 270
    assert Clock.objects.get(conversation_id=conversation_id).state == ClockState.STOPPED


def test_a_calendar_change_recomputes_open_clocks(
    channel, organisation, office, run_tasks, time_machine
):
    """Making Wednesday a closed day moves the due times of open conversations to Thursday."""
    time_machine.move_to(local("2026-03-03 16:30"), tick=False)
    conversation_id = receive(channel).message.conversation_id
    run_tasks()
    row = CalendarRow.objects.get(organisation=organisation)
    row.closed_days = ["2026-03-04"]
    do_save_calendar(row)
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert clock.response_due_at == local("2026-03-05 09:00")
    assert clock.resolution_due_at == local("2026-03-05 12:00")


def test_without_a_policy_nothing_is_due(channel, run_tasks, time_machine):
    """A conversation with no policy gets a clock without due times."""
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    conversation_id = receive(channel).message.conversation_id
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert clock.due_at is None
    assert clock.state == ClockState.STOPPED


def test_across_the_spring_dst_change_and_on_a_24_7_team(
    channel, organisation, office, run_tasks, time_machine
):
    """Friday before the clocks go forward: due Monday 09:00 summer time. A 24/7 team's
    conversation counts the weekend night through, on its own calendar."""
    time_machine.move_to(local("2026-03-27 16:30"), tick=False)
    weekday = receive(channel, email="a@example.nl").message.conversation_id
    run_tasks()
    due = Clock.objects.get(conversation_id=weekday).response_due_at
    assert due == local("2026-03-30 09:00")
    assert due.astimezone(AMS).utcoffset().total_seconds() == 2 * 3600

    crisis = factories.TeamFactory(organisation=organisation, slug="crisis")
    do_save_calendar(
        CalendarRow(organisation=organisation, team=crisis, hours={}, holidays_country="")
    )
    night = factories.ChannelFactory(organisation=organisation, key="nacht", kind="api")
    time_machine.move_to(local("2026-03-29 01:30"), tick=False)  # 02:00 → 03:00 tonight
    conversation_id = receive(night, email="b@example.nl").message.conversation_id
    Conversation.objects.filter(pk=conversation_id).update(team=crisis)
    row = CalendarRow.objects.get(team=crisis)
    row.hours = {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    do_save_calendar(row)
    run_tasks()
    # 60 real minutes from 01:30 winter time is 03:30 summer time
    assert Clock.objects.get(conversation_id=conversation_id).response_due_at == local(
        "2026-03-29 03:30"
    )


def test_a_topic_change_moves_the_due_time(
    channel, organisation, agent, office, run_tasks, time_machine
):
    """Moving a conversation to a topic with its own, faster policy recomputes its due time."""
    urgent = factories.TopicFactory(organisation=organisation, code="spoed")
    Policy.objects.create(
        organisation=organisation,
        name="Spoed",
        topic=urgent,
        first_response={"wall_minutes": 15},
    )
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    conversation_id = receive(channel).message.conversation_id
    run_tasks()
    assert Clock.objects.get(conversation_id=conversation_id).due_at == local("2026-03-03 11:00")
    check_set_topic(conversation_id, "spoed", actor=agent)
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert clock.due_at == local("2026-03-03 10:15")
    assert clock.policy.name == "Spoed"


def test_answering_many_at_once_takes_a_fixed_number_of_queries(
    channel, agent, office, run_tasks, time_machine, django_assert_max_num_queries
):
    """The reply handler reads, locks and writes a batch of conversations in a few queries."""
    from balie.conversations.events import ReplyQueued
    from balie.sla.handlers import on_replies_queued

    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    ids = [receive(channel, email=f"p{i}@example.nl").message.conversation_id for i in range(8)]
    run_tasks()
    replies = []
    for conversation_id in ids:
        check_change_status(conversation_id, "assigned", actor=agent)
        message = check_send_reply(conversation_id, agent, "Dag!")
        replies.append(
            ReplyQueued(
                message_id=message.pk, conversation_id=conversation_id, channel_id=channel.pk
            )
        )
    with django_assert_max_num_queries(8):
        on_replies_queued(replies)
    assert Outcome.objects.filter(target="first_response", met=True).count() == 8
