"""Out-of-hours care on a frozen clock: the automatic reply across a weekend and Christmas
(once per closed period, in the conversation's language, none on a 24/7 calendar, no reply
obligation), the mark and the "still needed?" line at opening, Balie's own check closing
politely on "nee" or silence, and the organisation's read-receipt setting."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from balie.backoffice import afterhours
from balie.backoffice.models import CarePolicy, OutOfHoursArrival
from balie.conversations.models import Conversation, ConversationChange, Direction, Message
from tests.backoffice.conftest import office_calendar
from tests.helpers import receive

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=AMS)
MONDAY_OPENING = datetime(2026, 11, 30, 8, 31, tzinfo=AMS)


def automatic(conversation_id: int) -> list[Message]:
    """Balie's own notices of this app (not routing's queue notice)."""
    found = Message.objects.filter(
        conversation_id=conversation_id, direction=Direction.OUTBOUND, author__isnull=True
    ).order_by("pk")
    return [m for m in found if "balie" in m.metadata]


def write(desk, text: str, at: datetime, run_tasks, **extra: str) -> Message:  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        message = receive(desk.channel, text, **extra).message
        run_tasks()
    return message


def test_saturday_gets_one_reply_naming_monday_noon(desk, run_tasks):
    """Saturday's message: "Wij reageren maandag 30 november vóór 12.00 uur", once for the
    whole weekend; it carries no reply obligation."""
    first = write(desk, "Is het milieupark open?", SATURDAY, run_tasks, language="nl")
    write(desk, "Hallo?", datetime(2026, 11, 29, 15, 0, tzinfo=AMS), run_tasks)
    replies = automatic(first.conversation_id)
    assert len(replies) == 1
    assert replies[0].body == (
        "Bedankt voor uw bericht. We zijn nu gesloten. "
        "Wij reageren maandag 30 november vóór 12.00 uur."
    )
    assert replies[0].metadata["balie"]["reply_obligation"] is False
    assert Conversation.objects.get(pk=first.conversation_id).first_response_at is None


def test_christmas_day_points_past_the_holidays_in_english(desk, run_tasks):
    """Christmas (a Friday) and the weekend are closed: Monday 28 December, in English."""
    message = write(
        desk, "Can I collect my passport?", datetime(2026, 12, 25, 11, 0, tzinfo=AMS),
        run_tasks, language="en",
    )  # fmt: skip
    (reply,) = automatic(message.conversation_id)
    assert reply.body.endswith("We will reply by Monday 28 December before 12:00.")


def test_a_new_closed_period_gets_a_new_reply(desk, run_tasks):
    """Friday evening and the next Friday evening are two closed periods: two replies."""
    first = write(desk, "Vraag", datetime(2026, 11, 27, 18, 0, tzinfo=AMS), run_tasks)
    write(desk, "Nog een", datetime(2026, 12, 4, 18, 0, tzinfo=AMS), run_tasks)
    assert len(automatic(first.conversation_id)) == 2


def test_no_reply_while_open_or_on_a_24_7_calendar(desk, run_tasks):
    """During opening hours, and on a calendar that never closes, nothing is sent."""
    open_hours = write(desk, "Vraag", datetime(2026, 11, 26, 10, 0, tzinfo=AMS), run_tasks)
    assert automatic(open_hours.conversation_id) == []
    office_calendar(desk.organisation, hours={d: [["00:00", "24:00"]] for d in (
        "mon", "tue", "wed", "thu", "fri", "sat", "sun")})  # fmt: skip
    from balie.organisations.models import Calendar

    Calendar.objects.filter(organisation=desk.organisation).update(holidays_country="")
    from balie.sla.calendars import forget_calendars

    forget_calendars()
    night = write(desk, "Nacht", SATURDAY.replace(hour=3), run_tasks, email="x@example.nl")
    assert automatic(night.conversation_id) == []
    assert not OutOfHoursArrival.objects.filter(conversation_id=night.conversation_id).exists()


def test_at_opening_the_conversation_is_marked_and_the_agent_offered_the_line(desk, run_tasks):
    """Monday's sweep marks the weekend question in its history; the assigned agent's page
    offers "Heeft u nog een antwoord nodig op uw vraag van zaterdag?" and sends it."""
    message = write(desk, "Is het milieupark open?", SATURDAY, run_tasks, language="nl")
    from django.db import transaction

    from balie.conversations.actions import do_assign
    from balie.conversations.actions.status import lock_conversation

    with time_machine.travel(MONDAY_OPENING, tick=False):
        assert afterhours.sweep()["marked"] == 1
        assert afterhours.sweep()["marked"] == 0  # once per schedule
        with transaction.atomic():
            do_assign(lock_conversation(message.conversation_id), desk.agent)
        client = Client()
        client.force_login(desk.agent.user)
        page = client.get(f"/gesprekken/{message.conversation_id}/").content.decode()
        line = "Heeft u nog een antwoord nodig op uw vraag van zaterdag?"
        assert line in page
        assert 'id="out-of-hours-mark"' in page
        sent = client.post(
            f"/gesprekken/{message.conversation_id}/nog-nodig/", HTTP_HX_REQUEST="true"
        )
        assert sent.status_code == 200
    assert ConversationChange.objects.filter(
        conversation_id=message.conversation_id, field="out_of_hours"
    ).exists()
    last = Message.objects.filter(conversation_id=message.conversation_id).last()
    assert last is not None
    assert last.body == line
    assert last.author_id == desk.agent.pk


def test_balie_asks_itself_and_closes_politely_on_no(desk, run_tasks):
    """With auto_check on, Balie asks at opening; "Nee, dank je" resolves politely."""
    CarePolicy.objects.create(organisation=desk.organisation, auto_check=True)
    message = write(desk, "Vraag over afval", SATURDAY, run_tasks, language="nl")
    with time_machine.travel(MONDAY_OPENING, tick=False):
        assert afterhours.sweep()["checked"] == 1
    write(desk, "Nee, dank je!", MONDAY_OPENING.replace(minute=45), run_tasks)
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == "resolved"
    bodies = [m.body for m in automatic(conversation.pk)]
    assert bodies[1:] == [
        "Heeft u nog een antwoord nodig op uw vraag van zaterdag?",
        "Dank u wel. We sluiten uw vraag af; u kunt ons altijd opnieuw een bericht sturen.",
    ]


def test_silence_after_the_check_closes_after_the_configured_time(desk, run_tasks):
    """No answer within check_timeout_minutes: closed politely; an answer keeps it open."""
    CarePolicy.objects.create(
        organisation=desk.organisation, auto_check=True, check_timeout_minutes=60
    )
    silent = write(desk, "Vraag", SATURDAY, run_tasks)
    talking = write(desk, "Andere vraag", SATURDAY, run_tasks, email="b@example.nl")
    with time_machine.travel(MONDAY_OPENING, tick=False):
        assert afterhours.sweep()["checked"] == 2
    write(desk, "Ja graag", MONDAY_OPENING.replace(minute=40), run_tasks, email="b@example.nl")
    with time_machine.travel(MONDAY_OPENING.replace(hour=9, minute=40), tick=False):
        assert afterhours.sweep()["closed"] == 1
    assert Conversation.objects.get(pk=silent.conversation_id).status == "resolved"
    assert Conversation.objects.get(pk=talking.conversation_id).status != "resolved"


def test_read_receipts_follow_the_organisation(desk):
    """No setting: the channel decides; the organisation can turn them off everywhere."""
    org = desk.organisation.pk
    assert afterhours.read_receipts_allowed(org, channel_setting=True) is True
    assert afterhours.read_receipts_allowed(org, channel_setting=False) is False
    CarePolicy.objects.create(organisation=desk.organisation, read_receipts=False)
    assert afterhours.read_receipts_allowed(org, channel_setting=True) is False
    CarePolicy.objects.filter(organisation=desk.organisation).update(read_receipts=True)
    assert afterhours.read_receipts_allowed(org, channel_setting=True) is True


def test_the_handler_costs_a_few_queries_per_message(desk, django_assert_max_num_queries):
    """The out-of-hours handler runs for every inbound message: bounded, open or closed."""
    from balie.conversations.events import MessageReceived

    for at in (datetime(2026, 11, 26, 10, 0, tzinfo=AMS), SATURDAY):
        with time_machine.travel(at, tick=False):
            message = receive(desk.channel, "Vraag", email=f"{at.day}@example.nl").message
            evt = MessageReceived(
                message_id=message.pk, conversation_id=message.conversation_id, channel_kind="api"
            )
            afterhours.on_messages_received([evt])  # warm the calendar cache
            with django_assert_max_num_queries(8):
                afterhours.on_messages_received([evt])


def test_no_reply_to_an_automatic_email(desk, run_tasks):
    """An out-of-office e-mail at night is not answered (RFC 3834)."""
    message = write(
        desk,
        "Ik ben afwezig",
        SATURDAY,
        run_tasks,
        metadata={"email": {"automatic": "auto-replied"}},
    )
    assert automatic(message.conversation_id) == []


def test_a_batch_costs_the_same_queries_for_one_message_or_twenty(desk):
    """During opening hours, and once a closed period's arrival is recorded, the handler
    reads the batch in two queries whatever its size and locks no conversation."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from balie.conversations.events import MessageReceived

    def batch_of(n: int, at: datetime) -> list[MessageReceived]:
        with time_machine.travel(at, tick=False):
            messages = [
                receive(desk.channel, "Vraag", email=f"{at.day}-{i}@example.nl").message
                for i in range(n)
            ]
        return [
            MessageReceived(message_id=m.pk, conversation_id=m.conversation_id, channel_kind="api")
            for m in messages
        ]

    thursday = datetime(2026, 11, 26, 10, 0, tzinfo=AMS)
    for at in (thursday, SATURDAY):
        afterhours.on_messages_received(batch_of(1, at))  # warm the calendar cache
        one, twenty = batch_of(1, at), batch_of(20, at)
        if at == SATURDAY:  # the first pass records each closed period's arrival
            afterhours.on_messages_received(one)
            afterhours.on_messages_received(twenty)
        counted = []
        for events in (one, twenty):
            with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as q:
                afterhours.on_messages_received(events)
            counted.append(q.captured_queries)
        assert len(counted[0]) == len(counted[1]) <= 3, [c["sql"] for c in counted[1]]
        assert not any("FOR " in c["sql"] for c in counted[1])
