"""The back office in the workspace over real HTTP: forwarding from the conversation page,
the task list with due states in words, the task page (answer, more time), who may see and
do what, and the queries a task list costs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from balie.audit.models import AuditEntry
from balie.backoffice.models import Task
from balie.conversations.models import Conversation, Direction, Message
from tests import factories
from tests.backoffice.conftest import assigned_conversation

AMS = ZoneInfo("Europe/Amsterdam")
HTMX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.django_db


def login(agent) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent.user)
    return client


def forward(desk, message, **extra: str):  # type: ignore[no-untyped-def]
    data = {
        "team": str(desk.vergunningen.pk),
        "requested_action": "Beoordeel de kapaanvraag",
        "messages": [str(message.pk)],
        **extra,
    }
    return login(desk.agent).post(
        f"/gesprekken/{message.conversation_id}/doorsturen/", data, **HTMX
    )


def test_the_conversation_page_offers_the_forward_form(desk):
    """The assigned agent sees "Doorsturen naar vakafdeling" with the messages to choose."""
    message = assigned_conversation(desk)
    page = login(desk.agent).get(f"/gesprekken/{message.conversation_id}/").content.decode()
    assert 'id="backoffice-forward"' in page
    assert f'value="{message.pk}" checked' in page


@time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=AMS), tick=False)
def test_forward_from_the_workspace_then_the_back_office_works_it(desk):
    """Forward over HTTP; the back office lists it, opens it (audited) and answers it."""
    message = assigned_conversation(desk)
    response = forward(desk, message)
    assert response.status_code == 200, response.content
    task = Task.objects.get()
    assert task.due_at == datetime(2026, 11, 30, 17, 0, tzinfo=AMS)
    office = login(desk.backoffice)
    listing = office.get("/taken/").content.decode()
    assert task.reference in listing
    assert "op tijd" in listing
    page = office.get(f"/taken/{task.pk}/").content.decode()
    assert "Mag ik de eik in mijn tuin kappen?" in page
    assert AuditEntry.objects.filter(object_id=str(task.pk), action="view").exists()
    answered = office.post(f"/taken/{task.pk}/antwoord/", {"answer": "Ja, mag."}, **HTMX)
    assert answered.status_code == 200
    assert answered["HX-Redirect"] == f"/taken/{task.pk}/"
    assert Conversation.objects.get(pk=message.conversation_id).status == "assigned"


def test_a_deadline_chosen_by_hand_is_kept(desk):
    """An explicit date and time override the topic's term."""
    message = assigned_conversation(desk)
    forward(desk, message, due_date="2027-01-08", due_time="12:00")
    assert Task.objects.get().due_at == datetime(2027, 1, 8, 12, 0, tzinfo=AMS)


def test_a_bad_forward_says_why_in_dutch_and_writes_nothing(desk):
    """No requested action: 400 with a Dutch alert; no task, still assigned."""
    message = assigned_conversation(desk)
    response = forward(desk, message, requested_action="  ")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Task.objects.exists()


def test_more_time_over_http_tells_the_citizen_the_new_term(desk):
    """The extension form sets the new deadline; the citizen gets a second notice."""
    message = assigned_conversation(desk)
    forward(desk, message)
    task = Task.objects.get()
    response = login(desk.backoffice).post(
        f"/taken/{task.pk}/verlengen/",
        {"reason": "Wachten op boomdeskundige", "due_date": "2027-02-05", "due_time": "12:00"},
        **HTMX,
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.state == "extended"
    notices = Message.objects.filter(
        conversation_id=message.conversation_id, direction=Direction.OUTBOUND
    )
    assert notices.count() == 2


def test_who_may_see_and_work_a_task(desk):
    """Another organisation's agent gets 404; a KCC agent may read but not answer (403);
    the back office cannot withdraw (403)."""
    message = assigned_conversation(desk)
    forward(desk, message)
    task = Task.objects.get()
    stranger = factories.AgentFactory(user__username="vreemde")
    assert login(stranger).get(f"/taken/{task.pk}/").status_code == 404
    colleague = factories.AgentFactory(organisation=desk.organisation, user__username="kees")
    colleague.teams.add(desk.kcc)
    assert login(desk.agent).get(f"/taken/{task.pk}/").status_code == 200
    assert login(desk.agent).post(f"/taken/{task.pk}/antwoord/", {"answer": "x"}).status_code == 403
    refused = login(desk.backoffice).post(f"/taken/{task.pk}/intrekken/", {"reason": "x"})
    assert refused.status_code == 403
    assert Task.objects.get().state == "open"


def test_the_task_list_costs_the_same_queries_for_many_tasks(desk, django_assert_max_num_queries):
    """Twenty tasks or one: a bounded number of queries."""
    for n in range(20):
        message = assigned_conversation(desk, f"Vraag {n}")
        forward(desk, message)
    office = login(desk.backoffice)
    office.get("/taken/")
    with django_assert_max_num_queries(12):
        response = office.get("/taken/")
    assert response.content.decode().count('class="utrecht-table__row" id="task-') == 20


def test_the_nav_shows_tasks_to_the_back_office(desk):
    """The back office's navigation has "Taken"."""
    page = login(desk.backoffice).get("/taken/").content.decode()
    assert 'href="/taken/" aria-current="page"' in page
