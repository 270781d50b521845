"""Service-level rules and clocks at their edges: every malformed rule refused with its
reason, rules round-tripping through JSON, ``balie sla due``'s document checks, a clock that
starts afresh when a resolved conversation is written to, and the first unanswered message
holding the response clock."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from balie.conversations.actions import check_change_status, check_send_reply
from balie.organisations.models import Calendar as CalendarRow
from balie.sla.businesstime import Calendar, CalendarError
from balie.sla.calendars import do_save_calendar
from balie.sla.cli import answers
from balie.sla.models import Clock, ClockState, Outcome, Policy
from balie.sla.rules import Rule, due
from tests.helpers import receive

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {
    "timezone": "Europe/Amsterdam",
    "hours": {d: [["08:30", "17:00"]] if d in WEEKDAYS else [] for d in (*WEEKDAYS, "sat", "sun")},
    "holidays": None,
    "closed": [],
    "open": [],
}


def local(text: str) -> datetime:
    """An Amsterdam wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


# --- rules (pure) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (60, "one of business_minutes"),
        ({}, "one of business_minutes"),
        ({"business_minutes": 5, "wall_minutes": 5}, "one of business_minutes"),
        ({"working_days": 3}, "unknown kind 'working_days'"),
        ({"business_minutes": "60"}, "whole number of minutes"),
        ({"business_minutes": True}, "whole number of minutes"),
        ({"business_minutes": 2.5}, "whole number of minutes"),
        ({"wall_minutes": 0}, "positive number of minutes"),
        ({"business_minutes": -5}, "positive number of minutes"),
        ({"same_day_or_next_morning": "15:00"}, "is {cutoff, next_morning}"),
        ({"same_day_or_next_morning": {"cutoff": "15:00"}}, "next_morning is a HH:MM time"),
        ({"same_day_or_next_morning": {"cutoff": "3pm", "next_morning": "12:00"}}, "cutoff is"),
        (
            {"same_day_or_next_morning": {"cutoff": "25:00", "next_morning": "12:00"}},
            "cutoff is a HH:MM time",
        ),
        (
            {"same_day_or_next_morning": {"cutoff": "15:00", "next_morning": 12}},
            "next_morning is a HH:MM time",
        ),
    ],
)
def test_a_malformed_rule_is_refused_with_the_reason(data, words):
    """Each way a rule can be wrong raises CalendarError saying what is wrong."""
    with pytest.raises(CalendarError, match=words.replace("{", r"\{").replace("}", r"\}")):
        Rule.from_json(data)


def test_a_rule_object_checks_itself_too():
    """Building a Rule directly with an unknown kind or missing times is refused as well."""
    with pytest.raises(CalendarError, match="unknown kind"):
        Rule(kind="days")  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match="needs cutoff and next_morning"):
        Rule(kind="same_day_or_next_morning", cutoff=time(15, 0))


@pytest.mark.parametrize(
    "data",
    [
        {"business_minutes": 60},
        {"wall_minutes": 240},
        {"same_day_or_next_morning": {"cutoff": "15:00", "next_morning": "09:30"}},
    ],
)
def test_rules_round_trip_through_json(data):
    """to_json gives back exactly what from_json read (policies are stored this way)."""
    assert Rule.from_json(data).to_json() == data


def test_wall_minutes_run_through_the_night_and_business_minutes_do_not():
    """From Friday 16:00, 120 wall minutes end at 18:00; 120 business minutes on Monday."""
    cal = Calendar.from_json(OFFICE)
    friday = local("2026-03-06 16:00")
    assert due(cal, friday, Rule.from_json({"wall_minutes": 120})) == local("2026-03-06 18:00")
    assert due(cal, friday, Rule.from_json({"business_minutes": 120})) == local("2026-03-09 09:30")


# --- balie sla due's document -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ([], "the file is"),
        ({"calendar": OFFICE}, "the file is"),
        ({"calendar": OFFICE, "cases": [], "extra": 1}, "the file is"),
        ({"calendar": OFFICE, "cases": {"id": "a"}}, "cases: a list"),
        (
            {"calendar": OFFICE, "cases": [{"id": "a", "at": "2026-03-06T10:00:00+01:00"}]},
            "cases[0]",
        ),
        (
            {
                "calendar": OFFICE,
                "cases": [{"id": "a", "at": "vrijdag", "rule": {"wall_minutes": 5}}],
            },
            "cases[0].at",
        ),
        (
            {
                "calendar": OFFICE,
                "cases": [{"id": "a", "at": 20260306, "rule": {"wall_minutes": 5}}],
            },
            "cases[0].at",
        ),
        (
            {
                "calendar": OFFICE,
                "cases": [
                    {"id": "a", "at": "2026-03-06T10:00:00+01:00", "rule": {"wall_minutes": 5}},
                    {"id": "b", "at": "2026-03-06T10:00:00+01:00", "rule": {"days": 5}},
                ],
            },
            "unknown kind",
        ),
    ],
)
def test_a_bad_document_is_refused_before_any_answer(document, words):
    """The whole document is checked first: a bad case anywhere yields no answer at all."""
    produced: list[dict[str, str]] = []
    with pytest.raises(CalendarError) as refused:
        produced.extend(answers(document))
    assert words in str(refused.value)
    assert produced == []


def test_ids_are_answered_as_strings_in_the_order_given():
    """Numeric ids come back as strings; the answers keep the cases' order."""
    document = {
        "calendar": OFFICE,
        "cases": [
            {"id": 2, "at": "2026-03-06T16:00:00+01:00", "rule": {"business_minutes": 60}},
            {"id": "a", "at": "2026-03-06T08:00:00+01:00", "rule": {"business_minutes": 30}},
        ],
    }
    assert list(answers(document)) == [
        {"id": "2", "due": "2026-03-06T17:00:00+01:00"},
        {"id": "a", "due": "2026-03-06T09:00:00+01:00"},
    ]


# --- clocks through the actions ---------------------------------------------------------------


@pytest.fixture
def office(organisation, run_tasks):  # type: ignore[no-untyped-def]
    """Weekday office hours, no holidays; a policy of one-hour answers, a day to resolve."""
    do_save_calendar(
        CalendarRow(
            organisation=organisation,
            hours={day: [["08:30", "17:00"]] for day in WEEKDAYS},
            holidays_country="",
        )
    )
    run_tasks()
    return Policy.objects.create(
        organisation=organisation,
        name="Standaard",
        first_response={"business_minutes": 60},
        next_response={"business_minutes": 60},
        resolution={"business_minutes": 480},
    )


@pytest.mark.django_db
def test_writing_to_a_resolved_conversation_starts_a_new_promise(
    channel, agent, office, run_tasks, time_machine
):
    """After resolving, a new message restarts the clock: running again from that message,
    waiting for the next response, nothing paused carried over."""
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    conversation_id = receive(channel, email="terug@example.nl").message.conversation_id
    run_tasks()
    check_change_status(conversation_id, "assigned", actor=agent)
    check_send_reply(conversation_id, agent, "Graag gedaan")
    check_change_status(conversation_id, "resolved", actor=agent)
    run_tasks()
    assert Clock.objects.get(conversation_id=conversation_id).state == ClockState.STOPPED

    time_machine.move_to(local("2026-03-04 11:00"), tick=False)
    receive(channel, "Toch nog een vraag", email="terug@example.nl")
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert clock.resolved_at is None
    assert clock.started_at == local("2026-03-04 11:00")
    assert (clock.response_target, clock.response_started_at) == (
        "next_response",
        local("2026-03-04 11:00"),
    )
    assert clock.response_due_at == local("2026-03-04 12:00")
    assert clock.resolution_due_at == local("2026-03-05 10:30")
    assert (clock.paused_business_minutes, clock.paused_wall_minutes) == (0, 0)
    assert clock.state != ClockState.STOPPED


@pytest.mark.django_db
def test_the_first_unanswered_message_holds_the_response_clock(
    channel, agent, office, run_tasks, time_machine
):
    """A second message before any answer does not move the response due time; the answer
    is measured from the first."""
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    conversation_id = receive(channel, email="twee@example.nl").message.conversation_id
    run_tasks()
    time_machine.move_to(local("2026-03-03 10:40"), tick=False)
    receive(channel, "Hallo?", email="twee@example.nl")
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert clock.response_started_at == local("2026-03-03 10:00")
    assert clock.response_due_at == local("2026-03-03 11:00")
    time_machine.move_to(local("2026-03-03 10:50"), tick=False)
    check_change_status(conversation_id, "assigned", actor=agent)
    check_send_reply(conversation_id, agent, "Ik kijk ernaar")
    run_tasks()
    outcome = Outcome.objects.get(conversation_id=conversation_id, target="first_response")
    assert (outcome.met, outcome.business_minutes) == (True, 50)


@pytest.mark.django_db
def test_a_reply_then_a_new_question_runs_the_next_response_target(
    channel, agent, office, run_tasks, time_machine
):
    """After an answer the response clock stops; the citizen's next message starts the
    next-response target from that message."""
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    conversation_id = receive(channel, email="drie@example.nl").message.conversation_id
    run_tasks()
    check_change_status(conversation_id, "assigned", actor=agent)
    check_send_reply(conversation_id, agent, "Dag")
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert (clock.response_target, clock.response_due_at) == ("", None)
    assert clock.due_target == "resolution"
    time_machine.move_to(local("2026-03-03 16:30"), tick=False)
    receive(channel, "En nog iets", email="drie@example.nl")
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert clock.response_target == "next_response"
    assert clock.response_due_at == local("2026-03-04 09:00")  # 30 today, 30 tomorrow


def _open_clocks(channel, run_tasks, count: int, start: int = 0) -> list[int]:  # type: ignore[no-untyped-def]
    ids = [
        receive(channel, email=f"s{n}@example.nl").message.conversation_id
        for n in range(start, start + count)
    ]
    run_tasks()
    return ids


@pytest.mark.django_db
def test_the_sweep_flags_3_or_12_breaches_in_the_same_queries(
    channel, office, run_tasks, time_machine, events
):
    """Breached clocks are read, flagged and announced in a fixed number of queries: the
    locked read, one UPDATE, one INSERT of the handler tasks."""
    from balie.sla.handlers import sweep

    counts = []
    for day, count in (("2026-03-03", 3), ("2026-03-10", 12)):
        time_machine.move_to(local(f"{day} 10:00"), tick=False)
        _open_clocks(channel, run_tasks, count, start=len(counts) * 100)
        time_machine.move_to(local(f"{day} 11:01"), tick=False)
        events.clear()
        with CaptureQueriesContext(connection) as queries:
            assert sweep() == count
        counts.append(len(queries))
        assert len(events.named("sla_breached")) == count
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_the_sweep_warns_then_breaches_each_clock_once(
    channel, office, run_tasks, time_machine, events
):
    """At 80 % a clock is warned (once); past its due time breached (once); then quiet."""
    from balie.sla.handlers import sweep

    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    (conversation_id,) = _open_clocks(channel, run_tasks, 1)
    time_machine.move_to(local("2026-03-03 10:49"), tick=False)
    assert sweep() == 1
    assert sweep() == 0
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert (clock.state, clock.warned, clock.breached) == (ClockState.WARNING, True, False)
    time_machine.move_to(local("2026-03-03 11:00"), tick=False)
    assert sweep() == 1
    assert sweep() == 0
    clock.refresh_from_db()
    assert (clock.state, clock.breached) == (ClockState.BREACHED, True)
    assert [e.target for e in events.named("sla_warning")] == ["first_response"]
    assert [e.target for e in events.named("sla_breached")] == ["first_response"]


@pytest.mark.django_db
def test_a_sweep_takes_at_most_its_limit_and_the_next_takes_the_rest(
    channel, office, run_tasks, time_machine, monkeypatch
):
    """With a limit of two, five breaches are flagged over three sweeps, earliest due first."""
    from balie.sla import handlers

    monkeypatch.setattr(handlers, "SWEEP_LIMIT", 2)
    ids = []
    for minute in range(5):
        time_machine.move_to(local(f"2026-03-03 10:0{minute}"), tick=False)
        ids += _open_clocks(channel, run_tasks, 1, start=minute)
    time_machine.move_to(local("2026-03-03 12:00"), tick=False)
    assert [handlers.sweep() for _ in range(4)] == [2, 2, 1, 0]
    assert Clock.objects.filter(conversation_id__in=ids, breached=True).count() == 5


# --- which policy applies (pure) ---------------------------------------------------------------


def test_the_most_specific_active_policy_applies_and_ties_go_to_the_oldest():
    """Channel outweighs topic outweighs priority; a policy naming another channel never
    applies; inactive ones are skipped; equal fits pick the lowest id."""
    from balie.sla.clocks import Subject, policy_for

    subject = Subject(organisation_id=1, channel_id=10, team_id=None, topic_id=20, priority=3)

    def policy(pk: int, **scope: object) -> Policy:
        return Policy(pk=pk, organisation_id=1, name=f"p{pk}", **scope)

    general, by_topic, by_channel = policy(1), policy(2, topic_id=20), policy(3, channel_id=10)
    other_channel = policy(4, channel_id=11, topic_id=20, priority=3)
    both, inactive = policy(5, channel_id=10, topic_id=20), policy(6, channel_id=10, topic_id=20)
    inactive.active = False
    twin = policy(7, channel_id=10, topic_id=20)
    assert policy_for([general], subject) is general
    assert policy_for([general, by_topic], subject) is by_topic
    assert policy_for([by_topic, by_channel, general], subject) is by_channel
    assert policy_for([other_channel, general], subject) is general
    assert policy_for([twin, inactive, both, by_channel], subject) is both
    assert policy_for([other_channel, inactive], subject) is None
    assert policy_for([policy(8, priority=3), general], subject).pk == 8


@pytest.mark.django_db
def test_a_calendar_that_never_opens_leaves_the_clock_without_a_due_time(
    channel, organisation, run_tasks, time_machine
):
    """Business-minute targets on a calendar with no opening hours cannot fall due: the clock
    is kept but nothing is due (no false breach)."""
    do_save_calendar(
        CalendarRow(
            organisation=organisation,
            hours={day: [] for day in (*WEEKDAYS, "sat", "sun")},
            holidays_country="",
        )
    )
    run_tasks()
    Policy.objects.create(
        organisation=organisation, name="Kantoor", first_response={"business_minutes": 60}
    )
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    conversation_id = receive(channel, email="nooit@example.nl").message.conversation_id
    run_tasks()
    clock = Clock.objects.get(conversation_id=conversation_id)
    assert (clock.response_due_at, clock.due_at, clock.state) == (None, None, ClockState.STOPPED)
