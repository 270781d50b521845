"""Due times in the workspace: the inbox rows and sort, the conversation's header, live events."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from balie.organisations.models import Calendar as CalendarRow
from balie.sla.calendars import do_save_calendar
from balie.sla.handlers import sweep
from balie.sla.models import Policy
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
HOURS = [["08:30", "12:30"], ["13:00", "17:00"]]


def local(text: str) -> datetime:
    """An Amsterdam wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


@pytest.fixture
def web(organisation, run_tasks) -> Client:  # type: ignore[no-untyped-def]
    """A supervisor's browser, on an office calendar with a one-hour first response."""
    do_save_calendar(
        CalendarRow(
            organisation=organisation,
            hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), HOURS),
        )
    )
    Policy.objects.create(
        organisation=organisation, name="Standaard", first_response={"business_minutes": 60}
    )
    supervisor = factories.AgentFactory(
        organisation=organisation, user__username="teamleider", is_supervisor=True
    )
    client = Client()
    client.force_login(supervisor.user)
    client.user = supervisor.user  # type: ignore[attr-defined]
    return client


def rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="row-(\d+)"', html)]


def arrive(channel, run_tasks, time_machine, at: str, email: str) -> int:  # type: ignore[no-untyped-def]
    time_machine.move_to(local(at), tick=False)
    conversation_id = receive(channel, email=email).message.conversation_id
    run_tasks()
    return conversation_id


def test_rows_show_due_time_and_state_in_words_and_sort_by_it(
    web, channel, run_tasks, time_machine
):
    """Overdue, due soon and on time each read in words with an icon; `due` sorts by urgency."""
    late = arrive(channel, run_tasks, time_machine, "2026-03-03 09:00", "a@example.nl")
    soon = arrive(channel, run_tasks, time_machine, "2026-03-03 09:50", "b@example.nl")
    fresh = arrive(channel, run_tasks, time_machine, "2026-03-03 10:30", "c@example.nl")
    time_machine.move_to(local("2026-03-03 10:45"), tick=False)
    html = web.get("/gesprekken/?view=all&sort=due").content.decode()
    assert rows(html) == [late, soon, fresh]
    assert "te laat sinds di 3 mrt 10.00" in html  # 09:00 + 60
    assert "bijna te laat: di 3 mrt 10.50" in html  # 80 % passed at 10:38
    assert "uiterlijk di 3 mrt 11.30" in html
    assert "balie-chip--late" in html  # the colour comes with the words and an icon
    assert rows(web.get("/gesprekken/?view=all&sort=newest").content.decode()) == [
        fresh,
        soon,
        late,
    ]


def test_sorting_by_due_time_takes_no_extra_query(web, channel, run_tasks, time_machine):
    """The due sort and the rows' due times cost no query beyond the waiting sort, at any size."""

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert web.get(url).status_code == 200
        return len(queries)

    for i in range(3):
        arrive(channel, run_tasks, time_machine, f"2026-03-03 09:0{i}", f"x{i}@example.nl")
    few = count("/gesprekken/?view=all&sort=due")
    assert few == count("/gesprekken/?view=all&sort=waiting")
    for i in range(20):
        arrive(channel, run_tasks, time_machine, f"2026-03-03 10:{i:02}", f"y{i}@example.nl")
    assert count("/gesprekken/?view=all&sort=due") == few


def test_the_conversation_header_shows_the_due_time_and_a_breach_is_pushed(
    web, organisation, channel, run_tasks, time_machine, events
):
    """The header reads the target and its due time; the sweep's breach event names the
    conversation and its organisation (the realtime push refreshes the row and the page)."""
    conversation_id = arrive(channel, run_tasks, time_machine, "2026-03-03 16:30", "a@example.nl")
    page = web.get(f"/gesprekken/{conversation_id}/").content.decode()
    assert 'id="sla-state"' in page
    assert "Eerste reactie: " in page
    assert "uiterlijk wo 4 mrt 09.00" in page
    time_machine.move_to(local("2026-03-04 09:01"), tick=False)
    assert sweep() == 1
    (breach,) = events.named("sla_breached")
    assert breach.conversation_id == conversation_id
    assert breach.organisation_id == organisation.pk
    web.force_login(web.user)  # the session of yesterday has lapsed
    page = web.get(f"/gesprekken/{conversation_id}/").content.decode()
    assert "te laat sinds wo 4 mrt 09.00" in page
