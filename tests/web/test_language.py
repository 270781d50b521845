"""The workspace's language and time zone: the agent's or organisation's, not the browser's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from balie.conversations.models import Direction, Message
from balie.conversations.workflow import Status
from balie.organisations.models import Agent
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "wachtwoord-test-123"  # factories.UserFactory
DUTCH = "Direct naar de inhoud"
ENGLISH = "Skip to main content"


def _agent(organisation) -> Agent:  # type: ignore[no-untyped-def]
    return factories.AgentFactory(organisation=organisation)


def _inbox(client: Client, language: str = "en") -> str:
    response = client.get("/gesprekken/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_dutch_by_default_whatever_the_browser_asks(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """With Accept-Language: en, the login page and the inbox are Dutch (lang="nl")."""
    login = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert login["Content-Language"] == "nl"
    assert 'lang="nl"' in login.content.decode()
    client.force_login(_agent(organisation).user)
    html = _inbox(client, "en-GB,en;q=0.9")
    assert DUTCH in html
    assert ENGLISH not in html
    assert '<html lang="nl"' in html


def test_the_switch_saves_english_on_the_agent_and_it_sticks(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """The header's switch stores English; later pages and a new login (new browser) are English."""
    agent = _agent(organisation)
    client.post("/accounts/login/", {"username": agent.user.username, "password": PASSWORD})
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/gesprekken/"})
    assert switched.status_code == 302
    agent.refresh_from_db()
    assert agent.interface_language == "en"
    for _ in range(2):
        html = _inbox(client, "nl")
        assert ENGLISH in html
        assert '<html lang="en"' in html
    fresh = Client()  # another browser: no language cookie, a Dutch Accept-Language
    fresh.post("/accounts/login/", {"username": agent.user.username, "password": PASSWORD})
    html = _inbox(fresh, "nl")
    assert ENGLISH in html
    assert DUTCH not in html
    fresh.post("/i18n/setlang/", {"language": "nl", "next": "/gesprekken/"})
    assert DUTCH in _inbox(fresh, "en")
    assert DUTCH in _inbox(client, "en")  # the choice is the agent's, not the browser's


def test_an_unknown_language_is_not_saved(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """A language Balie has no translation for leaves the agent's choice as it was."""
    agent = _agent(organisation)
    client.force_login(agent.user)
    client.post("/i18n/setlang/", {"language": "fy", "next": "/gesprekken/"})
    agent.refresh_from_db()
    assert agent.interface_language == ""
    assert DUTCH in _inbox(client)


def test_the_organisations_language_applies_when_the_agent_has_none(client: Client) -> None:
    """An English-first organisation gets English pages; the agent's own choice still wins."""
    organisation = factories.OrganisationFactory(languages=["pap", "en", "nl"])
    agent = _agent(organisation)
    client.force_login(agent.user)
    assert ENGLISH in _inbox(client, "nl")
    Agent.objects.filter(pk=agent.pk).update(interface_language="nl")
    assert DUTCH in _inbox(client, "en")


def test_the_api_follows_accept_language(organisation) -> None:  # type: ignore[no-untyped-def]
    """/api/ answers programs in the language they ask for with Accept-Language."""
    english = Client().get("/api/v1/conversations/", HTTP_ACCEPT_LANGUAGE="en")
    dutch = Client().get("/api/v1/conversations/", HTTP_ACCEPT_LANGUAGE="nl")
    assert english.status_code == dutch.status_code == 401
    assert english["Content-Language"] == "en"
    assert dutch["Content-Language"] == "nl"
    assert english.json() != dutch.json()


def _conversation_at(organisation, agent, at: dt.datetime):  # type: ignore[no-untyped-def]
    conversation = factories.ConversationFactory(
        organisation=organisation, assignee=agent, status=Status.ASSIGNED
    )
    message = Message.objects.create(
        conversation=conversation,
        channel_id=conversation.channel_id,
        direction=Direction.INBOUND,
        body="Wanneer is het loket open?",
    )
    Message.objects.filter(pk=message.pk).update(created_at=at)
    return conversation


def test_times_show_in_the_organisations_time_zone_in_dutch(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """A message at 14.42 UTC reads "ma 1 dec 10.42" for an organisation in America/Curacao."""
    organisation.time_zone = "America/Curacao"
    organisation.save(update_fields=["time_zone"])
    agent = _agent(organisation)
    at = dt.datetime(2025, 12, 1, 14, 42, tzinfo=dt.UTC)
    conversation = _conversation_at(organisation, agent, at)
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/", HTTP_ACCEPT_LANGUAGE="en").content
    page = html.decode()
    assert "ma 1 dec 10.42" in page
    assert "15.42" not in page  # not Amsterdam's clock
    assert "14.42" not in page  # nor UTC


def test_times_follow_another_organisations_zone(client: Client) -> None:
    """The same moment reads 15.42 for an organisation in Europe/Amsterdam (the default)."""
    organisation = factories.OrganisationFactory()
    agent = _agent(organisation)
    at = dt.datetime(2025, 12, 1, 14, 42, tzinfo=dt.UTC)
    conversation = _conversation_at(organisation, agent, at)
    client.force_login(agent.user)
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "ma 1 dec 15.42" in page


def test_english_pages_write_the_month_in_english_style(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """An agent who chose English reads "Mon 1 Dec 15.42" (Amsterdam)."""
    agent = factories.AgentFactory(organisation=organisation, interface_language="en")
    at = dt.datetime(2025, 12, 1, 14, 42, tzinfo=dt.UTC)
    conversation = _conversation_at(organisation, agent, at)
    client.force_login(agent.user)
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "Mon 1 Dec 15.42" in page
