"""Back-office terms and sweeps at their edges: the default term from the topic, the
organisation's policy or three working days; explicit deadlines refused with their field;
the overdue sweep in batches, each task escalated once; who hears of it; who sees a task."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from balie.backoffice import overdue
from balie.backoffice.access import visible_tasks
from balie.backoffice.actions import check_forward
from balie.backoffice.models import CarePolicy, FactKind, Task, TaskFact, TermUnit, TopicTerm
from balie.backoffice.overdue import sweep_overdue, team_leads
from balie.backoffice.terms import (
    add_working_days,
    calendar_of,
    default_due,
    weekday_name,
    written_due,
)
from balie.backoffice.workflow import TaskState
from balie.core.errors import InvalidInput
from balie.organisations.models import AgentRole
from balie.sla.businesstime import Calendar, always_open
from tests import factories
from tests.backoffice.conftest import assigned_conversation

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def _forward(desk, **kwargs):  # type: ignore[no-untyped-def]
    message = assigned_conversation(desk)
    return check_forward(
        message.conversation_id,
        desk.agent,
        team_id=desk.vergunningen.pk,
        requested_action="Beoordeel de aanvraag",
        message_ids=[message.pk],
        **kwargs,
    )


# --- terms -----------------------------------------------------------------------------------


def test_a_topic_term_in_business_minutes_counts_only_opening_hours(desk):
    """120 business minutes from Friday 16.00: one hour on Friday, one on Monday (09.30)."""
    TopicTerm.objects.filter(topic=desk.topic).update(amount=120, unit=TermUnit.BUSINESS_MINUTES)
    due = default_due(desk.organisation, desk.vergunningen, desk.topic, local(2026, 11, 27, 16, 0))
    assert due == local(2026, 11, 30, 9, 30)


def test_without_a_topic_term_the_organisations_policy_then_three_days_apply(desk):
    """No term on the topic: the care policy's working days; no policy: three working days."""
    other = factories.TopicFactory(organisation=desk.organisation, code="overig")
    wednesday = local(2026, 11, 25, 11, 0)
    assert default_due(desk.organisation, desk.vergunningen, other, wednesday) == local(
        2026, 11, 30, 17, 0
    )
    assert default_due(desk.organisation, desk.vergunningen, None, wednesday) == local(
        2026, 11, 30, 17, 0
    )
    CarePolicy.objects.create(organisation=desk.organisation, default_term_days=1)
    assert default_due(desk.organisation, desk.vergunningen, other, wednesday) == local(
        2026, 11, 26, 17, 0
    )


def test_a_zero_day_topic_term_still_gives_one_working_day(desk):
    """A term of 0 working days is read as one: the next open day's closing time."""
    TopicTerm.objects.filter(topic=desk.topic).update(amount=0)
    due = default_due(desk.organisation, desk.vergunningen, desk.topic, local(2026, 11, 27, 9, 0))
    assert due == local(2026, 11, 30, 17, 0)


def test_working_days_need_at_least_one_and_a_24_7_calendar_counts_calendar_days():
    """days < 1 is an error; always open: the same time of day, N days later."""
    always = always_open("Europe/Amsterdam")
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    office = Calendar.from_json(
        {
            "timezone": "Europe/Amsterdam",
            "hours": {d: [["09:00", "17:00"]] if d == "mon" else [] for d in days},
            "holidays": None,
            "closed": [],
            "open": [],
        }
    )
    with pytest.raises(ValueError, match="at least one working day"):
        add_working_days(office, local(2026, 11, 30, 10, 0), 0)
    assert always.always_open
    assert add_working_days(always, local(2026, 11, 28, 22, 15), 2) == local(2026, 11, 30, 22, 15)
    # only Mondays open: two working days from a Monday are the next two Mondays
    assert add_working_days(office, local(2026, 11, 30, 10, 0), 2) == local(2026, 12, 14, 17, 0)


def test_the_promise_is_written_out_in_dutch_and_english():
    """Dates and times as a citizen reads them: 'vóór 12.00 uur' and 'before 12:00'."""
    at = local(2026, 12, 1, 12, 0)
    assert written_due(at, "nl") == "dinsdag 1 december vóór 12.00 uur"
    assert written_due(at, "en") == "Tuesday 1 December before 12:00"
    assert (weekday_name(at, "nl"), weekday_name(at, "en")) == ("dinsdag", "Tuesday")


def test_the_team_calendar_overrides_the_organisations(desk):
    """A team with its own (Saturday) hours gets terms on its calendar, not the office's."""
    from balie.organisations.models import Calendar as CalendarRow
    from balie.sla.calendars import forget_calendars

    CalendarRow.objects.create(
        organisation=desk.organisation,
        team=desk.vergunningen,
        hours={"sat": [["10:00", "14:00"]]},
        holidays_country="",
    )
    forget_calendars()
    cal = calendar_of(desk.organisation, team=desk.vergunningen)
    due = add_working_days(cal, local(2026, 11, 25, 11, 0), 1)
    assert due == local(2026, 11, 28, 14, 0)


@pytest.mark.parametrize(
    ("due_at", "words"),
    [
        (datetime(2026, 12, 1, 12, 0), "time zone"),  # noqa: DTZ001 -- naive on purpose
        (local(2026, 11, 26, 9, 0), "later"),
        (local(2028, 1, 1, 12, 0), "more than a year"),
    ],
)
def test_an_explicit_deadline_is_checked_and_a_refusal_writes_nothing(desk, due_at, words):
    """A naive, past or far deadline is refused (code due_at); no task, conversation as was."""
    with (
        time_machine.travel(local(2026, 11, 26, 10, 0), tick=False),
        pytest.raises(InvalidInput, match=words) as refused,
    ):
        _forward(desk, due_at=due_at)
    assert refused.value.code == "due_at"
    assert not Task.objects.exists()


def test_an_explicit_deadline_replaces_the_default_term(desk):
    """A chosen deadline within the year is the task's, first and current."""
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        task = _forward(desk, due_at=local(2026, 12, 10, 12, 0))
    assert task.due_at == task.first_due_at == local(2026, 12, 10, 12, 0)


# --- the overdue sweep -----------------------------------------------------------------------


def test_the_sweep_escalates_every_overdue_task_across_batches_once(desk, events, monkeypatch):
    """Five overdue tasks with a batch of two: all five are marked, each with one fact and one
    event; tasks not yet due are left; a second sweep finds nothing."""
    monkeypatch.setattr(overdue, "BATCH", 2)
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        tasks = [_forward(desk) for _ in range(5)]
        later = _forward(desk, due_at=local(2026, 12, 24, 12, 0))
    events.clear()
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        assert sweep_overdue() == 5
        assert sweep_overdue() == 0
    states = dict(Task.objects.values_list("pk", "state"))
    assert {states[t.pk] for t in tasks} == {TaskState.OVERDUE}
    assert states[later.pk] == TaskState.OPEN
    assert TaskFact.objects.filter(kind=FactKind.OVERDUE).count() == 5
    assert sorted(e.task_id for e in events.named("backoffice_task_overdue")) == sorted(
        t.pk for t in tasks
    )
    assert all(t.escalated_at is not None for t in Task.objects.filter(state="overdue"))


def test_a_quiet_sweep_is_one_read(desk, django_assert_max_num_queries):
    """With nothing overdue the sweep reads once (inside its transaction) and writes nothing."""
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        _forward(desk)
        with django_assert_max_num_queries(3):  # the read and its savepoint pair
            assert sweep_overdue() == 0


def test_the_team_lead_hears_first_then_any_supervisor_of_the_organisation(desk):
    """The receiving team's supervisors; when it has none, the organisation's; else nobody."""
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        task = _forward(desk)
    assert team_leads(task) == [desk.lead]
    desk.lead.teams.clear()
    assert team_leads(task) == [desk.lead]
    desk.lead.role = AgentRole.AGENT
    desk.lead.save()
    assert team_leads(task) == []


# --- who sees a task -------------------------------------------------------------------------


def test_who_sees_a_task(desk):
    """Superuser all; back office only its teams'; supervisor the organisation's; an agent
    those of conversations they see; a user without an agent nothing."""
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        task = _forward(desk)
    other_team_bo = factories.AgentFactory(
        organisation=desk.organisation, role=AgentRole.BACKOFFICE
    )
    other_team_bo.teams.add(desk.kcc)
    stranger_boss = factories.AgentFactory(is_supervisor=True, role=AgentRole.SUPERVISOR)
    colleague = factories.AgentFactory(organisation=desk.organisation)
    admin = factories.UserFactory(is_superuser=True)
    nobody = factories.UserFactory()
    seen = {
        "admin": list(visible_tasks(admin)),
        "backoffice": list(visible_tasks(desk.backoffice)),
        "other backoffice": list(visible_tasks(other_team_bo)),
        "lead": list(visible_tasks(desk.lead)),
        "stranger": list(visible_tasks(stranger_boss)),
        "agent": list(visible_tasks(desk.agent)),
        "colleague": list(visible_tasks(colleague)),
        "nobody": list(visible_tasks(nobody)),
    }
    assert seen == {
        "admin": [task],
        "backoffice": [task],
        "other backoffice": [],
        "lead": [task],
        "stranger": [],
        "agent": [task],
        "colleague": [],
        "nobody": [],
    }


def test_a_future_due_date_that_passes_makes_the_task_overdue_within_a_minute(desk):
    """Right after the term the sweep marks it; one minute before, it does not."""
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        task = _forward(desk)
    with time_machine.travel(task.due_at - timedelta(minutes=1), tick=False):
        assert sweep_overdue() == 0
    with time_machine.travel(task.due_at + timedelta(seconds=1), tick=False):
        assert sweep_overdue() == 1


# --- the task list of the API ----------------------------------------------------------------


def _api(agent):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    from balie.api.auth import do_create_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    return client


def test_the_task_list_filters_by_state_and_team_and_ignores_bad_values(desk):
    """?state=active|<state> and ?team=<id> narrow the list; unknown values are ignored, not
    a 500; the back office may not withdraw, the agent may, and then it is no longer active."""
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        open_task, withdrawn = _forward(desk), _forward(desk)
        client = _api(desk.lead)
        response = _api(desk.backoffice).post(
            f"/api/v1/backoffice/tasks/{withdrawn.pk}/withdraw/",
            {"reason": "al beantwoord"},
            format="json",
        )
        assert (response.status_code, response.json()["error"]["code"]) == (403, "back_office")
        response = _api(desk.agent).post(
            f"/api/v1/backoffice/tasks/{withdrawn.pk}/withdraw/",
            {"reason": "al beantwoord"},
            format="json",
        )
        assert response.status_code == 200, response.json()

        def ids(query: str) -> set[int]:
            listed = client.get(f"/api/v1/backoffice/tasks/?{query}")
            assert listed.status_code == 200, listed.content
            return {t["id"] for t in listed.json()["results"]}

        assert ids("state=active") == {open_task.pk}
        assert ids("state=cancelled") == {withdrawn.pk}
        assert ids(f"team={desk.vergunningen.pk}") == {open_task.pk, withdrawn.pk}
        assert ids(f"team={desk.kcc.pk}") == set()
        for ignored in ("state=verloren", "team=abc", "team=99999999999999999999"):
            assert ids(ignored) == {open_task.pk, withdrawn.pk}


def test_the_task_list_costs_the_same_queries_for_2_or_8_tasks(desk):
    """Listing tasks with their team and messages does not grow with the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _api(desk.backoffice)
    counts = []
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        for add in (2, 6):
            for _ in range(add):
                _forward(desk)
            client.get("/api/v1/backoffice/tasks/")  # the token's first use is stamped once
            with CaptureQueriesContext(connection) as queries:
                listed = client.get("/api/v1/backoffice/tasks/")
            assert listed.json()["count"] == sum((2, 6)[: len(counts) + 1])
            counts.append(len(queries))
    assert counts[0] == counts[1], counts
