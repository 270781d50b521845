"""The task workflow table walked as scenarios, terms in working days on the Dutch calendar
(Easter, Koningsdag, Christmas, a 24/7 centre), the promise written out in Dutch and English,
and the WhatsApp template when the 24-hour window has closed."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from balie.backoffice import workflow
from balie.backoffice.actions import check_forward
from balie.backoffice.models import CarePolicy
from balie.backoffice.terms import add_working_days, written_due
from balie.backoffice.workflow import TaskState as T
from balie.channels.whatsapp.models import TemplateStatus
from balie.channels.whatsapp.templates import register_template
from balie.conversations.models import Conversation, Direction, Message
from balie.core import clock
from balie.sla.businesstime import Calendar, always_open
from tests import factories
from tests.backoffice.conftest import OFFICE, assigned_conversation

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE_CAL = Calendar.from_json({"timezone": "Europe/Amsterdam", "hours": OFFICE, "holidays": "NL"})


@pytest.mark.parametrize(
    "path",
    [
        [T.OPEN, T.ANSWERED],
        [T.OPEN, T.EXTENSION_REQUESTED, T.EXTENDED, T.ANSWERED],
        [T.OPEN, T.OVERDUE, T.EXTENSION_REQUESTED, T.EXTENDED, T.OVERDUE, T.ANSWERED],
        [T.OPEN, T.EXTENSION_REQUESTED, T.EXTENDED, T.EXTENSION_REQUESTED, T.EXTENDED],
        [T.OPEN, T.CANCELLED],
    ],
)
def test_scenarios_the_table_allows(path: list[T]) -> None:
    """Each step of a realistic life is in the table."""
    for source, target in itertools.pairwise(path):
        workflow.check_transition(source, target, reason="reden")


def test_what_the_table_refuses() -> None:
    """An answered task stays answered; more time and withdrawal need a reason."""
    for target in T:
        with pytest.raises(workflow.TransitionNotAllowed):
            workflow.check_transition(T.ANSWERED, target, reason="x")
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.check_transition(T.OPEN, T.EXTENSION_REQUESTED, reason=" ")
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.check_transition(T.OPEN, T.EXTENDED, reason="straight to extended")
    assert set(workflow.allowed_targets(T.OPEN)) == {
        T.ANSWERED, T.EXTENSION_REQUESTED, T.OVERDUE, T.CANCELLED,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Maundy Thursday: Good Friday (in the holidays package's NL list) and Easter Monday
        (datetime(2026, 4, 2, 10, tzinfo=AMS), 2, datetime(2026, 4, 8, 17, tzinfo=AMS)),
        # the day before Koningsdag (Monday 27 April 2026)
        (datetime(2026, 4, 24, 10, tzinfo=AMS), 1, datetime(2026, 4, 28, 17, tzinfo=AMS)),
        # Christmas Eve: 25, 26 and the weekend are closed
        (datetime(2026, 12, 24, 16, tzinfo=AMS), 1, datetime(2026, 12, 28, 17, tzinfo=AMS)),
        # across the autumn DST change: closing time stays 17.00 local
        (datetime(2026, 10, 23, 10, tzinfo=AMS), 1, datetime(2026, 10, 26, 17, tzinfo=AMS)),
    ],
)
def test_working_days_on_the_dutch_calendar(start: datetime, days: int, due: datetime) -> None:
    """A term of N working days ends at closing time on the N-th open day after today."""
    assert add_working_days(OFFICE_CAL, start.replace(tzinfo=AMS), days) == due.replace(tzinfo=AMS)


def test_a_24_7_centre_counts_calendar_days() -> None:
    """Around the clock, three days are three days."""
    start = datetime(2026, 12, 24, 23, 0, tzinfo=AMS)
    assert add_working_days(always_open("Europe/Amsterdam"), start, 3) == start + timedelta(days=3)


def test_the_promise_in_dutch_and_english() -> None:
    """ "maandag 1 december vóór 12.00 uur" and "Monday 1 December before 12:00"."""
    at = datetime(2025, 12, 1, 12, 0, tzinfo=AMS)
    assert written_due(at, "nl") == "maandag 1 december vóór 12.00 uur"
    assert written_due(at, "en") == "Monday 1 December before 12:00"


@pytest.mark.django_db
def test_outside_the_whatsapp_window_the_term_goes_as_a_template(desk) -> None:  # type: ignore[no-untyped-def]
    """25 hours after the citizen's last message the notice is the organisation's approved
    template with the term filled in; without one, the agent gets a note instead."""
    wa = factories.ChannelFactory(organisation=desk.organisation, kind="whatsapp", key="wa-bo")
    register_template(
        wa, "termijn", "nl", body="Wij laten u uiterlijk {{1}} weten hoe het zit.",
        status=TemplateStatus.APPROVED,
    )  # fmt: skip
    CarePolicy.objects.create(organisation=desk.organisation, term_template="termijn")
    for with_template in (True, False):
        if not with_template:
            CarePolicy.objects.filter(organisation=desk.organisation).update(term_template="")
        message = assigned_conversation(desk, f"Vraag {with_template}")
        Conversation.objects.filter(pk=message.conversation_id).update(
            channel=wa, last_inbound_at=clock.now() - timedelta(hours=25)
        )
        Message.objects.filter(pk=message.pk).update(channel=wa)
        check_forward(
            message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
            requested_action="Beoordeel", message_ids=[message.pk],
        )  # fmt: skip
        sent = Message.objects.filter(
            conversation_id=message.conversation_id, direction=Direction.OUTBOUND
        )
        notes = Message.objects.filter(
            conversation_id=message.conversation_id, direction=Direction.NOTE
        )
        if with_template:
            (notice,) = sent
            spec = notice.metadata["whatsapp"]["template"]
            assert spec["name"] == "termijn"
            assert "vóór 17.00 uur" in spec["parameters"][0]
            assert notice.body.startswith("Wij laten u uiterlijk ")
        else:
            assert not sent.exists()
            assert "niet worden gemeld" in notes.get().body
