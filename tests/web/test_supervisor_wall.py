"""The supervisor wall: queues, agents by state, longest waiting, assign and move by hand."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from balie.conversations.models import Conversation
from balie.organisations.models import Presence
from balie.routing import board
from balie.routing.models import EntryState, QueueEntry, RoutingRecord
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def web(organisation):  # type: ignore[no-untyped-def]
    return factories.ChannelFactory(organisation=organisation, key="web", kind="webchat")


@pytest.fixture
def passport(organisation):  # type: ignore[no-untyped-def]
    return factories.TopicFactory(organisation=organisation, code="paspoort", name="Paspoort")


@pytest.fixture
def visa(organisation):  # type: ignore[no-untyped-def]
    return factories.TopicFactory(organisation=organisation, code="visum", name="Visum")


@pytest.fixture
def supervisor(organisation):  # type: ignore[no-untyped-def]
    """A teamleider who takes no contacts themselves (no channels)."""
    return factories.AgentFactory(
        organisation=organisation,
        user__username="teamleider",
        display_name="Tineke",
        is_supervisor=True,
    )


def _agent(organisation, name: str, *, skills=(), presence=Presence.AVAILABLE, webchat=1):  # type: ignore[no-untyped-def]
    agent = factories.AgentFactory(
        organisation=organisation, user__username=name, display_name=name.title(), presence=presence
    )
    factories.AgentLanguageFactory(agent=agent, language="nl", proficiency=5)
    for topic in skills:
        factories.AgentSkillFactory(agent=agent, topic=topic, proficiency=3)
    factories.AgentChannelFactory(agent=agent, channel_kind="webchat", capacity=webchat)
    return agent


def _ask(web, run_tasks, topic: str = "paspoort", email: str = "x@example.nl") -> Conversation:  # type: ignore[no-untyped-def]
    result = receive(web, "Vraag", email=email, language="nl", topic_code=topic)
    run_tasks()
    return Conversation.objects.get(pk=result.message.conversation_id)


def _logged_in(agent) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent.user)
    return client


def _row(html: str, row_id: str) -> str:
    start = html.index(f'id="{row_id}"')
    return html[start : html.index("</tr>", start)]


def test_wall_shows_queues_agents_and_longest_waiting(
    organisation, web, passport, visa, supervisor, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """Three captioned tables: waiting per channel and topic, agents by state, longest first."""
    _agent(organisation, "sanne", skills=[visa], webchat=1)  # free for visa contacts only
    _agent(organisation, "kees", presence=Presence.AWAY)
    first = _ask(web, run_tasks, "paspoort", "a@example.nl")
    _ask(web, run_tasks, "paspoort", "b@example.nl")
    html = _logged_in(supervisor).get("/supervisie/").content.decode()
    assert html.count("<caption") == 3
    assert "Wachtrijen per kanaal en onderwerp" in html
    assert 'scope="col"' in html
    assert 'scope="row"' in html
    total = _row(html, "queue-webchat")
    assert "Webchat (alle onderwerpen)" in total
    assert '<td class="utrecht-table__cell" data-waiting>2</td>' in total
    assert "Webchat · Paspoort" in html
    assert "Medewerkers per status" in html
    assert 'id="agents-available"' in html
    assert 'id="agents-away"' in html
    assert "Pauze (1)" in html
    assert "Webchat 0 van 1" in _row(html, f"agent-{_agent_id(organisation, 'sanne')}")
    waiting = html[html.index('id="wall-waiting"') :]
    assert waiting.index(f'id="waiting-{first.pk}"') < waiting.index(
        "waiting-", waiting.index(f'id="waiting-{first.pk}"') + 10
    )
    assert f'href="/supervisie/gesprekken/{first.pk}/"' in waiting
    assert "Toewijzen aan…" in waiting
    assert 'hx-trigger="every 15s, balie:wall from:body' in html


def _agent_id(organisation, name: str) -> int:  # type: ignore[no-untyped-def]
    return organisation.agents.get(user__username=name).pk


def test_available_agents_count_skill_and_free_capacity(
    organisation, web, passport, visa, supervisor, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """A queue counts the agents present with room and the topic's skill (from the board)."""
    _agent(organisation, "sanne", skills=[visa])  # no passport skill
    _ask(web, run_tasks, "paspoort")
    html = _logged_in(supervisor).get("/supervisie/tabellen/").content.decode()
    passport_row = html[html.index("Webchat · Paspoort") :]
    passport_row = passport_row[: passport_row.index("</tr>")]
    assert passport_row.endswith('<td class="utrecht-table__cell">0</td>\n    ')
    total = _row(html, "queue-webchat")
    assert total.rstrip().endswith('<td class="utrecht-table__cell">1</td>')


def test_tables_fragment_is_only_the_tables(organisation, supervisor) -> None:  # type: ignore[no-untyped-def]
    """The live refresh gets the three tables and nothing that takes focus or a page."""
    html = _logged_in(supervisor).get("/supervisie/tabellen/").content.decode()
    assert "<html" not in html
    assert "autofocus" not in html
    assert html.count("<table") == 3
    assert "Niemand wacht." in html


@pytest.mark.parametrize(
    "path", ["/supervisie/", "/supervisie/tabellen/", "/supervisie/gesprekken/{pk}/"]
)
def test_agents_may_not_see_the_wall(organisation, web, run_tasks, path: str) -> None:  # type: ignore[no-untyped-def]
    """The wall and its parts answer 403 to an agent; a visitor goes to the login."""
    agent = _agent(organisation, "sanne")
    conversation = _ask(web, run_tasks)
    url = path.format(pk=conversation.pk)
    assert _logged_in(agent).get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_agents_may_not_assign_by_hand(organisation, web, passport, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """An agent's post to assign answers 403 and changes nothing."""
    agent = _agent(organisation, "sanne")
    conversation = _ask(web, run_tasks)
    response = _logged_in(agent).post(
        f"/supervisie/gesprekken/{conversation.pk}/assign/", {"agent": agent.pk, "reason": "x"}
    )
    assert response.status_code == 403
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_assign_by_hand_with_a_reason(organisation, web, passport, supervisor, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """ "Toewijzen aan…" gives the contact to the chosen colleague through the routing engine."""
    kees = _agent(organisation, "kees", presence=Presence.AWAY)
    conversation = _ask(web, run_tasks)
    client = _logged_in(supervisor)
    panel = client.get(f"/supervisie/gesprekken/{conversation.pk}/", **HTMX).content.decode()
    assert f'<option value="{kees.pk}"' in panel
    assert "autofocus" in panel
    response = client.post(
        f"/supervisie/gesprekken/{conversation.pk}/assign/",
        {"agent": kees.pk, "reason": "Kees kent deze burger"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "balie:wall"
    assert f"Gesprek {conversation.pk} is toegewezen aan Kees." in response.content.decode()
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee_id) == ("assigned", kees.pk)
    assert QueueEntry.objects.get(conversation=conversation).state == EntryState.ASSIGNED
    assert RoutingRecord.objects.filter(kind="assigned_by_hand", agent=kees).exists()


def test_assign_without_reason_is_refused_in_dutch_and_keeps_the_choice(
    organisation, web, passport, supervisor, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """No reason: a Dutch alert beside the form (400), the chosen colleague still selected."""
    kees = _agent(organisation, "kees", presence=Presence.AWAY)
    conversation = _ask(web, run_tasks)
    response = _logged_in(supervisor).post(
        f"/supervisie/gesprekken/{conversation.pk}/assign/",
        {"agent": kees.pk, "reason": "  "},
        **HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Geef een reden." in html
    assert f'<option value="{kees.pk}" selected>' in html
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_assign_without_script_redirects_with_a_message(
    organisation, web, passport, supervisor, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """Without htmx the form posts and returns to the wall, which says what happened."""
    kees = _agent(organisation, "kees", presence=Presence.AWAY)
    conversation = _ask(web, run_tasks)
    client = _logged_in(supervisor)
    response = client.post(
        f"/supervisie/gesprekken/{conversation.pk}/assign/", {"agent": kees.pk, "reason": "Nodig"}
    )
    assert (response.status_code, response["Location"]) == (302, "/supervisie/")
    assert "toegewezen aan Kees" in client.get("/supervisie/").content.decode()
    page = client.get(f"/supervisie/gesprekken/{conversation.pk}/").content.decode()
    assert 'id="steer-agent"' in page  # the form has a page of its own too
    assert "<caption" in page


def test_move_to_another_topic_routes_again(
    organisation, web, passport, visa, supervisor, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """Moving a waiting contact to a topic a present agent knows gets it offered or given."""
    sanne = _agent(organisation, "sanne", skills=[visa])
    conversation = _ask(web, run_tasks, "paspoort")
    response = _logged_in(supervisor).post(
        f"/supervisie/gesprekken/{conversation.pk}/move/",
        {"topic": "visum", "reason": "Het gaat om een visum"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "naar een ander onderwerp verplaatst" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.topic_id == visa.pk
    entry = QueueEntry.objects.get(conversation=conversation)
    assert entry.agent_id == sanne.pk
    assert RoutingRecord.objects.filter(kind="moved").exists()


def test_moving_to_an_unknown_topic_or_an_unqueued_contact_is_refused(
    organisation, web, passport, supervisor, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """Unknown topic and a contact not in the queue each get a Dutch message, not a 500."""
    conversation = _ask(web, run_tasks)
    client = _logged_in(supervisor)
    response = client.post(
        f"/supervisie/gesprekken/{conversation.pk}/move/",
        {"topic": "bestaat-niet", "reason": "x"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "Kies een onderwerp uit de lijst." in response.content.decode()
    never_queued = factories.ConversationFactory(organisation=organisation, status="assigned")
    response = client.post(
        f"/supervisie/gesprekken/{never_queued.pk}/move/",
        {"topic": "paspoort", "reason": "x"},
        **HTMX,
    )
    assert response.status_code == 409
    assert "staat niet meer in de wachtrij" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.topic_id == passport.pk


def test_foreign_conversations_are_not_found(organisation, supervisor) -> None:  # type: ignore[no-untyped-def]
    """A conversation of another organisation answers 404 to steer and act alike."""
    other = factories.OrganisationFactory(slug="elders", name="Elders")
    foreign = factories.ConversationFactory(organisation=other)
    client = _logged_in(supervisor)
    assert client.get(f"/supervisie/gesprekken/{foreign.pk}/").status_code == 404
    response = client.post(
        f"/supervisie/gesprekken/{foreign.pk}/assign/", {"agent": supervisor.pk, "reason": "x"}
    )
    assert response.status_code == 404
    assert client.post(f"/supervisie/gesprekken/{foreign.pk}/zomaar/").status_code == 404


def _queries(client: Client, url: str) -> int:
    board._cache.clear()  # a cold board each time: the same work whatever is cached
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.slow
def test_wall_queries_do_not_grow_with_agents_or_contacts(
    organisation, web, passport, visa, supervisor, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """The wall and its tables read a fixed number of queries for 2 or 14 agents and contacts."""
    client = _logged_in(supervisor)

    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            _agent(organisation, f"agent{i}", skills=[visa], presence=Presence.AWAY)
            _ask(web, run_tasks, "paspoort" if i % 2 else "visum", f"burger{i}@example.nl")

    grow(2, 0)
    client.get("/supervisie/")  # the routing states the board creates once
    small = (_queries(client, "/supervisie/"), _queries(client, "/supervisie/tabellen/"))
    grow(12, 2)
    client.get("/supervisie/")
    large = (_queries(client, "/supervisie/"), _queries(client, "/supervisie/tabellen/"))
    assert QueueEntry.objects.filter(state=EntryState.WAITING).count() == 14
    assert small == large
