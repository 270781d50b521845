"""REST API v1: scoping, workflow errors as 409, one error shape, audit of personal data."""

from __future__ import annotations

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from balie.audit.models import AuditEntry
from balie.conversations.actions import check_change_status, do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Message
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def assign(conversation, agent):  # type: ignore[no-untyped-def]
    """Give ``conversation`` to ``agent`` (only the assignee replies and changes status)."""
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")


def test_no_token_is_401_with_the_error_shape():
    """An anonymous call is refused with 401 and a machine-readable code."""
    response = APIClient().get("/api/v1/conversations/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_user_who_is_no_agent_is_403(db):
    """A logged-in user without an agent profile may not use the API."""
    client = APIClient()
    client.force_authenticate(factories.UserFactory())
    response = client.get("/api/v1/conversations/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_agents_see_only_their_organisation(api_client, channel):
    """Conversations of another organisation are neither listed nor retrievable (404)."""
    mine = receive(channel).message.conversation
    other_channel = factories.ChannelFactory()
    theirs = receive(other_channel, email="ander@example.nl").message.conversation
    listed = api_client.get("/api/v1/conversations/").json()
    assert [c["id"] for c in listed["results"]] == [mine.pk]
    assert api_client.get(f"/api/v1/conversations/{theirs.pk}/").status_code == 404


def test_list_is_paginated_and_filterable(api_client, channel, organisation):
    """The list pages and filters by status, channel kind and topic."""
    factories.TopicFactory(organisation=organisation, code="afval")
    for i in range(3):
        receive(channel, email=f"p{i}@example.nl", topic_code="afval" if i == 0 else "")
    page = api_client.get("/api/v1/conversations/?page_size=2").json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"]
    assert api_client.get("/api/v1/conversations/?topic=afval").json()["count"] == 1
    assert api_client.get("/api/v1/conversations/?status=new").json()["count"] == 3
    assert api_client.get("/api/v1/conversations/?channel_kind=whatsapp").json()["count"] == 0


def test_list_query_count_does_not_grow_with_rows(
    api_client, channel, django_assert_max_num_queries
):
    """Listing 20 conversations takes a fixed handful of queries."""
    for i in range(20):
        receive(channel, email=f"q{i}@example.nl")
    with django_assert_max_num_queries(6):
        assert api_client.get("/api/v1/conversations/").status_code == 200


def test_status_change_follows_the_table(api_client, channel, agent):
    """An allowed move answers 200 with history; a forbidden one answers 409."""
    conversation = receive(channel).message.conversation
    assign(conversation, agent)
    ok = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/status/", {"status": "pending"}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "pending"
    bad = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/status/", {"status": "closed"}, format="json"
    )
    assert bad.status_code == 409
    assert bad.json()["error"]["code"] == "workflow_violation"
    detail = api_client.get(f"/api/v1/conversations/{conversation.pk}/").json()
    assert [h["to_status"] for h in detail["status_changes"]][-1] == "pending"


def test_unknown_status_is_a_field_error(api_client, channel, agent):
    """A status that does not exist is a 400 naming the field."""
    conversation = receive(channel).message.conversation
    assign(conversation, agent)
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/status/", {"status": "done"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_reply_queues_an_outbound_message_and_assigns(api_client, channel, agent, events):
    """Replying to a new conversation assigns it to the agent and queues the reply."""
    # Taking it from the queue needs what the router would need: the language, room on the channel.
    factories.AgentLanguageFactory(agent=agent, language="nl", proficiency=5)
    factories.AgentChannelFactory(agent=agent, channel_kind=channel.kind)
    conversation = receive(channel).message.conversation
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"body": "Goedemiddag, uw aanvraag is in behandeling."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["delivery_status"] == "pending"
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.pk
    assert conversation.status == "assigned"
    assert conversation.first_response_at is not None
    assert len(events.named("reply_queued")) == 1


def test_reply_to_a_closed_conversation_is_409_and_writes_nothing(api_client, channel, agent):
    """Replying to a closed conversation answers 409 and stores no message."""
    conversation = receive(channel).message.conversation
    assign(conversation, agent)
    with transaction.atomic():
        check_change_status(conversation.pk, "resolved", actor=agent)
    with transaction.atomic():
        check_change_status(conversation.pk, "closed", actor=agent, reason="archived")
    before = Message.objects.count()
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"body": "Hallo"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conversation_closed"
    assert Message.objects.count() == before


def test_an_empty_reply_is_a_field_error(api_client, channel):
    """A blank body is rejected with 400 and the field named."""
    conversation = receive(channel).message.conversation
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"body": "  "}, format="json"
    )
    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]


def test_notes_are_allowed_on_closed_conversations(api_client, channel, agent):
    """An internal note can be added whatever the status, and is never queued for sending."""
    conversation = receive(channel).message.conversation
    with transaction.atomic():
        check_change_status(conversation.pk, "closed", actor=agent, reason="spam")
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"kind": "note", "body": "Afzender gaf eerder ook spam"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["direction"] == "note"


def test_reading_messages_and_parties_is_audited(api_client, channel, agent):
    """Viewing messages and a party's details leaves audit entries naming the agent."""
    conversation = receive(channel).message.conversation
    api_client.get(f"/api/v1/conversations/{conversation.pk}/messages/")
    party = api_client.get(f"/api/v1/parties/{conversation.party_id}/")
    assert party.json()["addresses"][0]["value"] == "jan@example.nl"
    actions = set(AuditEntry.objects.filter(actor=agent.user).values_list("action", flat=True))
    assert {"view_messages", "view_party"} <= actions


def test_agents_set_their_own_presence_but_not_others(api_client, agent, organisation):
    """An agent changes their own presence; another agent's is 403 unless supervisor."""
    me = api_client.post(
        f"/api/v1/agents/{agent.pk}/presence/", {"presence": "away"}, format="json"
    )
    assert me.status_code == 200
    assert me.json()["presence"] == "away"
    colleague = factories.AgentFactory(organisation=organisation)
    other = api_client.post(
        f"/api/v1/agents/{colleague.pk}/presence/", {"presence": "offline"}, format="json"
    )
    assert other.status_code == 403
    agent.is_supervisor = True
    agent.save()
    assert (
        api_client.post(
            f"/api/v1/agents/{colleague.pk}/presence/", {"presence": "offline"}, format="json"
        ).status_code
        == 200
    )


def test_channels_never_show_secrets(api_client, channel):
    """The channel list shows settings but never secrets."""
    body = api_client.get("/api/v1/channels/").content.decode()
    assert "formulier" in body
    assert "test-signing-secret" not in body
    assert "secrets" not in body


def test_the_openapi_schema_is_served(api_client):
    """The OpenAPI document lists the conversation endpoints."""
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/conversations/{id}/status/" in response.json()["paths"]


def test_malformed_json_is_400_not_500(api_client, channel):
    """A body that is not JSON gets a 400 with the error shape."""
    conversation = receive(channel).message.conversation
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
