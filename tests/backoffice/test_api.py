"""The back-office REST API: the whole forwarding flow (forward, citizen told, back office
answers after an extension, contact centre answers, resolved), errors per field, access."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.backoffice.models import FactKind, Task, TaskFact
from balie.conversations.models import Conversation, Direction, Message
from tests import factories
from tests.backoffice.conftest import assigned_conversation

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


def client_of(agent) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    return client


def test_the_whole_forwarding_flow_through_the_api(desk):
    """Forward, told; more time, told again; answered; the KCC answers and resolves."""
    with time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=AMS), tick=False):
        message = assigned_conversation(desk)
        kcc, office = client_of(desk.agent), client_of(desk.backoffice)
        created = kcc.post(
            "/api/v1/backoffice/tasks/",
            {
                "conversation_id": message.conversation_id,
                "team_id": desk.vergunningen.pk,
                "requested_action": "Beoordeel de kap",
                "message_ids": [message.pk],
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["state"] == "open"
        assert body["due_at"] == "2026-11-30T17:00:00+01:00"
        assert body["message_ids"] == [message.pk]
        task_id = body["id"]
        listed = office.get("/api/v1/backoffice/tasks/?state=active").json()
        assert [t["id"] for t in listed["results"]] == [task_id]
        extended = office.post(
            f"/api/v1/backoffice/tasks/{task_id}/extend/",
            {"reason": "Boomdeskundige nodig", "due_at": "2026-12-04T12:00:00+01:00"},
            format="json",
        )
        assert extended.status_code == 200
        assert [s["to_state"] for s in extended.json()["steps"]] == [
            "open", "extension_requested", "extended",
        ]  # fmt: skip
        answered = office.post(
            f"/api/v1/backoffice/tasks/{task_id}/answer/",
            {"answer": "Mag gekapt worden met herplantplicht."},
            format="json",
        )
        assert answered.json()["state"] == "answered"
        reply = kcc.post(
            f"/api/v1/conversations/{message.conversation_id}/messages/",
            {"kind": "reply", "body": "U mag de eik kappen; u moet wel een nieuwe boom planten."},
            format="json",
        )
        assert reply.status_code in (200, 201), reply.content
        resolved = kcc.post(
            f"/api/v1/conversations/{message.conversation_id}/status/",
            {"status": "resolved"},
            format="json",
        )
        assert resolved.status_code == 200, resolved.content
    assert Conversation.objects.get(pk=message.conversation_id).status == "resolved"
    told = Message.objects.filter(
        conversation_id=message.conversation_id, direction=Direction.OUTBOUND
    ).order_by("pk")
    assert told.count() == 3
    assert "maandag 30 november vóór 17.00 uur" in told[0].body
    assert "vrijdag 4 december vóór 12.00 uur" in told[1].body
    kinds = list(TaskFact.objects.filter(task_id=task_id).values_list("kind", flat=True))
    assert kinds == [FactKind.FORWARDED, FactKind.EXTENDED, FactKind.ANSWERED]


def test_bad_input_names_the_field_and_writes_nothing(desk):
    """No messages and a deadline in the past: 400 per field; no task."""
    message = assigned_conversation(desk)
    response = client_of(desk.agent).post(
        "/api/v1/backoffice/tasks/",
        {"conversation_id": message.conversation_id, "team_id": desk.vergunningen.pk,
         "requested_action": "x", "message_ids": []},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "message_ids" in str(response.json())
    past = client_of(desk.agent).post(
        "/api/v1/backoffice/tasks/",
        {"conversation_id": message.conversation_id, "team_id": desk.vergunningen.pk,
         "requested_action": "x", "message_ids": [message.pk],
         "due_at": "2020-01-01T12:00:00+01:00"},
        format="json",
    )  # fmt: skip
    assert past.status_code == 400
    assert not Task.objects.exists()


def test_access_through_the_api(desk):
    """Another organisation: 404; the back office cannot forward (403); a KCC agent cannot
    answer (403)."""
    message = assigned_conversation(desk)
    forward = {
        "conversation_id": message.conversation_id, "team_id": desk.vergunningen.pk,
        "requested_action": "x", "message_ids": [message.pk],
    }  # fmt: skip
    assert client_of(desk.backoffice).post(
        "/api/v1/backoffice/tasks/", forward, format="json"
    ).status_code in (403, 404)
    task_id = (
        client_of(desk.agent).post("/api/v1/backoffice/tasks/", forward, format="json").json()["id"]
    )
    stranger = factories.AgentFactory(user__username="vreemd")
    assert client_of(stranger).get(f"/api/v1/backoffice/tasks/{task_id}/").status_code == 404
    refused = client_of(desk.agent).post(
        f"/api/v1/backoffice/tasks/{task_id}/answer/", {"answer": "x"}, format="json"
    )
    assert refused.status_code == 403


def test_the_schema_documents_the_backoffice_api(desk):
    """OpenAPI lists the task endpoints with their bodies."""
    schema = client_of(desk.agent).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/backoffice/tasks/{task_id}/extend/" in schema["paths"]
    assert "ForwardInput" in schema["components"]["schemas"]
