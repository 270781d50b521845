"""The presence switch and the offers banner, through real HTTP and the routing engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from balie.conversations.models import Conversation
from balie.organisations.models import Presence
from balie.routing.handlers import lapse_offers
from balie.routing.models import Offer, RoutingSettings
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def web(organisation):  # type: ignore[no-untyped-def]
    """A web chat channel whose contacts are offered with a 30-second timeout."""
    RoutingSettings.objects.create(
        organisation=organisation, auto_accept_kinds=["email"], offer_timeout_s=30
    )
    return factories.ChannelFactory(organisation=organisation, key="web", kind="webchat")


@pytest.fixture
def passport(organisation):  # type: ignore[no-untyped-def]
    return factories.TopicFactory(organisation=organisation, code="paspoort", name="Paspoort")


def _agent(organisation, name: str, passport=None, **fields):  # type: ignore[no-untyped-def]
    """An agent who speaks Dutch, knows passports and takes two web chats at once."""
    agent = factories.AgentFactory(
        organisation=organisation, user__username=name, display_name=name.title(), **fields
    )
    factories.AgentLanguageFactory(agent=agent, language="nl", proficiency=5)
    if passport is not None:
        factories.AgentSkillFactory(agent=agent, topic=passport, proficiency=3)
    factories.AgentChannelFactory(agent=agent, channel_kind="webchat", capacity=2)
    factories.AgentChannelFactory(agent=agent, channel_kind="email", capacity=5)
    return agent


def _ask(web, run_tasks, email: str = "x@example.nl") -> Conversation:  # type: ignore[no-untyped-def]
    result = receive(web, "Vraag", email=email, language="nl", topic_code="paspoort")
    run_tasks()
    return Conversation.objects.get(pk=result.message.conversation_id)


def _logged_in(agent) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent.user)
    return client


# ---- presence ---------------------------------------------------------------------------


def test_every_page_shows_the_presence_switch_with_capacity_and_load(
    organisation, web, passport, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """The inbox header holds the switch in Dutch and the load per channel (an offer counts)."""
    agent = _agent(organisation, "sanne", passport)
    _ask(web, run_tasks)
    html = _logged_in(agent).get("/gesprekken/").content.decode()
    assert 'id="presence-select"' in html
    for word in ("Beschikbaar", "Pauze", "Nawerk", "Afgemeld"):
        assert f">{word}</option>" in html
    assert "Webchat 1 van 2" in html or "Web chat 1 van 2" in html
    assert "E-mail 0 van 5" in html


def test_changing_presence_goes_through_the_action_and_is_announced(organisation, events) -> None:  # type: ignore[no-untyped-def]
    """An htmx post changes the presence, publishes the event, and announces politely."""
    agent = _agent(organisation, "sanne")
    response = _logged_in(agent).post("/status/", {"presence": "away"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    agent.refresh_from_db()
    assert agent.presence == Presence.AWAY
    assert [e.presence for e in events.named("agent_presence_changed")] == ["away"]
    assert 'id="announcer" hx-swap-oob="innerHTML"' in html
    assert "Je status is nu Pauze." in html
    assert '<option value="away" selected>' in html


def test_an_unknown_presence_is_refused_in_dutch(organisation) -> None:  # type: ignore[no-untyped-def]
    """A presence not on the list changes nothing and says so in Dutch (400, not 500)."""
    agent = _agent(organisation, "sanne")
    response = _logged_in(agent).post("/status/", {"presence": "vakantie"}, **HTMX)
    assert response.status_code == 400
    assert "Kies een status uit de lijst." in response.content.decode()
    agent.refresh_from_db()
    assert agent.presence == Presence.AVAILABLE


def test_presence_without_script_redirects_back(organisation) -> None:  # type: ignore[no-untyped-def]
    """Without htmx the form posts and returns to the page it came from."""
    agent = _agent(organisation, "sanne")
    response = _logged_in(agent).post("/status/", {"presence": "busy", "next": "/gesprekken/"})
    assert (response.status_code, response["Location"]) == (302, "/gesprekken/")
    response = _logged_in(agent).post(
        "/status/", {"presence": "busy", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/gesprekken/"


def test_coming_available_gets_the_waiting_contact_offered(
    organisation, web, passport, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """Routing reacts to the switch: an agent who comes available is offered what waits."""
    agent = _agent(organisation, "sanne", passport, presence=Presence.AWAY)
    conversation = _ask(web, run_tasks)
    assert not Offer.objects.exists()
    _logged_in(agent).post("/status/", {"presence": "available"}, **HTMX)
    run_tasks()
    offer = Offer.objects.get()
    assert (offer.agent_id, offer.entry.conversation_id) == (agent.pk, conversation.pk)


# ---- offers -----------------------------------------------------------------------------


def test_banner_shows_channel_topic_language_waiting_and_time_left(
    organisation, web, passport, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """The banner names what is offered and counts down to the offer's expiry."""
    agent = _agent(organisation, "sanne", passport)
    _ask(web, run_tasks)
    offer = Offer.objects.get()
    html = _logged_in(agent).get("/aanbiedingen/").content.decode()
    assert f'data-offer-id="{offer.pk}"' in html
    assert "Paspoort" in html
    assert ">NL<" in html
    assert "<dt>Wacht</dt>" in html
    assert "<dt>Resterende tijd</dt>" in html
    assert 'class="balie-countdown" data-until="' in html
    assert 'data-announce="Nieuw contact aangeboden' in html
    assert f"/aanbiedingen/{offer.pk}/accept/" in html


def test_banner_shows_only_my_open_offers(organisation, web, passport, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """A colleague without the offer sees an empty banner."""
    _agent(organisation, "sanne", passport)
    colleague = _agent(organisation, "kees")  # no passport skill: not offered
    _ask(web, run_tasks)
    assert "data-offer-id" not in _logged_in(colleague).get("/aanbiedingen/").content.decode()


def test_accepting_opens_the_conversation(organisation, web, passport, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """Accept assigns the contact and leads to its conversation page."""
    agent = _agent(organisation, "sanne", passport)
    conversation = _ask(web, run_tasks)
    offer = Offer.objects.get()
    client = _logged_in(agent)
    response = client.post(f"/aanbiedingen/{offer.pk}/accept/")
    assert (response.status_code, response["Location"]) == (302, f"/gesprekken/{conversation.pk}/")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee_id) == ("assigned", agent.pk)
    response = client.post(f"/aanbiedingen/{offer.pk}/accept/", **HTMX)
    assert response.status_code == 409  # answered already: a Dutch message, not a 500


def test_accepting_with_htmx_navigates_to_the_conversation(
    organisation, web, passport, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """An htmx accept answers with HX-Redirect to the conversation."""
    agent = _agent(organisation, "sanne", passport)
    conversation = _ask(web, run_tasks)
    offer = Offer.objects.get()
    response = _logged_in(agent).post(f"/aanbiedingen/{offer.pk}/accept/", **HTMX)
    assert response["HX-Redirect"] == f"/gesprekken/{conversation.pk}/"


def test_declining_moves_the_contact_to_the_next_agent(
    organisation, web, passport, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """Decline is recorded, routing offers it to a colleague, the banner says so in Dutch."""
    first = _agent(organisation, "sanne", passport)
    second = _agent(organisation, "kees", passport)
    _ask(web, run_tasks)
    offer = Offer.objects.get()
    response = _logged_in(offer.agent).post(f"/aanbiedingen/{offer.pk}/decline/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Aanbod geweigerd." in html
    assert "data-offer-id" not in html
    other = second if offer.agent == first else first
    outcomes = list(Offer.objects.order_by("pk").values_list("agent_id", "outcome"))
    assert outcomes == [(offer.agent_id, "declined"), (other.pk, "pending")]


def test_an_expired_offer_is_refused_in_dutch_and_moves_on(
    organisation, web, passport, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """After the timeout, accept says in Dutch the offer lapsed; the lapse offers it on."""
    first = _agent(organisation, "sanne", passport)
    second = _agent(organisation, "kees", passport)
    conversation = _ask(web, run_tasks)
    offer = Offer.objects.get()
    client = _logged_in(offer.agent)
    with time_machine.travel(offer.expires_at + timedelta(seconds=1)):
        response = client.post(f"/aanbiedingen/{offer.pk}/accept/", **HTMX)
        assert response.status_code == 409
        assert "Dit aanbod is verlopen" in response.content.decode()
        assert client.get("/aanbiedingen/").content.decode().count("data-offer-id") == 0
        lapse_offers()
        run_tasks()
    conversation.refresh_from_db()
    assert conversation.assignee_id is None
    other = second if offer.agent == first else first
    assert Offer.objects.filter(agent=other, outcome="pending").exists()
    without_htmx = client.post(f"/aanbiedingen/{offer.pk}/accept/")
    assert (without_htmx.status_code, without_htmx["Location"]) == (302, "/gesprekken/")


def test_declining_a_lapsed_offer_says_it_already_moved_on(
    organisation, web, passport, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """Decline after the lapse is not an error: the agent hears it had moved on already."""
    _agent(organisation, "sanne", passport)
    _ask(web, run_tasks)
    offer = Offer.objects.get()
    with time_machine.travel(offer.expires_at + timedelta(seconds=1)):
        lapse_offers()
        response = _logged_in(offer.agent).post(f"/aanbiedingen/{offer.pk}/decline/", **HTMX)
    assert response.status_code == 200
    assert "was al verlopen" in response.content.decode()


def test_someone_elses_offer_is_not_found(organisation, web, passport, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """An offer made to a colleague answers 404 and stays pending; GET is not allowed."""
    _agent(organisation, "sanne", passport)
    outsider = _agent(organisation, "kees")
    _ask(web, run_tasks)
    offer = Offer.objects.get()
    client = _logged_in(outsider)
    assert client.post(f"/aanbiedingen/{offer.pk}/accept/").status_code == 404
    assert client.get(f"/aanbiedingen/{offer.pk}/accept/").status_code == 405
    assert Offer.objects.get().outcome == "pending"


def test_offer_events_reach_the_agents_browser() -> None:
    """contact_offered and offer_resolved are pushed (the banner refreshes on them)."""
    from balie.handlers import HANDLERS

    for name in ("contact_offered", "offer_resolved", "queue_snapshot"):
        assert any(h.path == "balie.web.realtime.push" for h in HANDLERS[name]), name


def test_switch_refreshes_as_a_fragment_without_announcing(organisation) -> None:  # type: ignore[no-untyped-def]
    """GET /status/ (the live refresh) answers the switch alone, with nothing read out."""
    agent = _agent(organisation, "sanne", presence=Presence.BUSY)
    html = _logged_in(agent).get("/status/", **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="presence"')
    assert '<option value="busy" selected>Nawerk</option>' in html
    assert "announcer" not in html


def test_the_switch_is_on_the_supervisor_and_conversation_pages(organisation) -> None:  # type: ignore[no-untyped-def]
    """Every workspace page carries the switch in its header, not the inbox alone."""
    supervisor = _agent(organisation, "tineke", is_supervisor=True)
    mine = factories.ConversationFactory(
        organisation=organisation, assignee=supervisor, status="assigned"
    )
    client = _logged_in(supervisor)
    for url in ("/supervisie/", f"/gesprekken/{mine.pk}/"):
        html = client.get(url).content.decode()
        header = html[html.index('<header class="balie-header"') : html.index("</header>")]
        assert 'id="presence-select"' in header, url
