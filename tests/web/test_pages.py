"""The workspace frame: login, where ``/`` leads, the inbox and a conversation."""

from __future__ import annotations

import pytest
from django.test import Client

from balie.conversations.workflow import Status
from tests import factories

pytestmark = pytest.mark.django_db


def _agent(organisation, **kwargs):  # type: ignore[no-untyped-def]
    agent = factories.AgentFactory(organisation=organisation, **kwargs)
    agent.user.set_password("geheim-wachtwoord")
    agent.user.save()
    return agent


def test_root_leads_a_visitor_to_the_login(client: Client) -> None:
    """``/`` sends someone not logged in to ``/accounts/login/``."""
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_form_logs_an_agent_in_and_leads_to_the_inbox(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """The plain form with username and password logs in; ``/`` then leads to the inbox."""
    agent = _agent(organisation)
    page = client.get("/accounts/login/")
    assert b'name="username"' in page.content
    assert b'name="password"' in page.content
    response = client.post(
        "/accounts/login/", {"username": agent.user.username, "password": "geheim-wachtwoord"}
    )
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/gesprekken/"


def test_wrong_password_shows_a_dutch_error(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """A wrong password answers the form again with an error in Dutch, not a crash."""
    agent = _agent(organisation)
    response = client.post("/accounts/login/", {"username": agent.user.username, "password": "x"})
    assert response.status_code == 200
    assert 'id="login-error"' in response.content.decode()


def test_inbox_lists_my_conversations_with_counts(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """An agent's inbox shows the conversations assigned to them, with the view's count."""
    agent = _agent(organisation)
    mine = factories.ConversationFactory(
        organisation=organisation, assignee=agent, status=Status.ASSIGNED
    )
    factories.ConversationFactory(organisation=organisation, status=Status.RESOLVED)
    client.force_login(agent.user)
    response = client.get("/gesprekken/?view=mine")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="row-{mine.pk}"' in html
    assert 'id="count-mine"' in html
    assert 'lang="nl"' in html


def test_conversation_of_another_organisation_is_not_found(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """A foreign conversation answers 404, like an absent one."""
    agent = _agent(organisation)
    other = factories.OrganisationFactory(slug="elders", name="Elders")
    foreign = factories.ConversationFactory(organisation=other)
    client.force_login(agent.user)
    assert client.get(f"/gesprekken/{foreign.pk}/").status_code == 404
    assert client.get("/gesprekken/999999999/").status_code == 404


def test_conversation_page_offers_the_lists_filters(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """The filter form beside an open conversation lists the organisation's topics."""
    agent = _agent(organisation)
    factories.TopicFactory(organisation=organisation, code="paspoort", name="Paspoort")
    mine = factories.ConversationFactory(
        organisation=organisation, assignee=agent, status=Status.ASSIGNED
    )
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{mine.pk}/").content.decode()
    assert 'value="paspoort"' in html
