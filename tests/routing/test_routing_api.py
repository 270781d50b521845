"""The routing API under /api/v1/routing/: same behaviour as the /routing/ alias, documented."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.conversations.models import Conversation
from balie.routing.models import Offer, RoutingSettings
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def _client(agent) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    return client


def test_an_offer_is_accepted_under_api_v1(org, web, passport, make_agent, run_tasks):
    """POST /api/v1/routing/offers/<id>/accept/ assigns the contact to the agent."""
    RoutingSettings.objects.create(organisation=org, auto_accept_kinds=["email"])
    agent = make_agent("piet", skills={passport: 3})
    receive(web, "Vraag", email="x@example.nl", language="nl", topic_code="paspoort")
    run_tasks()
    offer = Offer.objects.get()
    response = _client(agent).post(f"/api/v1/routing/offers/{offer.pk}/accept/")
    assert response.status_code == 200
    assert response.json() == {"offer_id": offer.pk, "answer": "accept"}
    assert Conversation.objects.get().assignee == agent


def test_reprioritise_under_api_v1_names_the_bad_field(org, web, passport, make_agent, run_tasks):
    """A supervisor's reprioritise without a priority is a 400 naming the field."""
    boss = make_agent("baas", is_supervisor=True)
    result = receive(web, "Vraag", email="x@example.nl", language="nl", topic_code="paspoort")
    url = f"/api/v1/routing/conversations/{result.message.conversation_id}/reprioritise/"
    response = _client(boss).post(url, {}, format="json")
    assert response.status_code == 400
    assert "priority" in response.content.decode()


def test_the_schema_documents_the_routing_endpoints(make_agent):
    """The OpenAPI schema lists the feed, offers and each supervisor action with its body."""
    agent = make_agent("piet")
    response = _client(agent).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    assert "/api/v1/routing/feed/" in paths
    assert "/api/v1/routing/offers/{offer_id}/accept/" in paths
    move = paths["/api/v1/routing/conversations/{conversation_id}/move/"]["post"]
    assert move["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/MoveInput"
    )
    assert not any(p.startswith("/routing/") for p in paths)  # the alias is not documented
