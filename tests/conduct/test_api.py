"""The whole procedure through the REST API (``/api/v1/conduct/``), with four eyes, a blocked
citizen's message closed unrouted, the lift by a supervisor and routing again afterwards."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.audit.models import AuditEntry
from balie.conduct.models import ConductStep
from balie.conversations.actions import check_change_status
from balie.conversations.models import Conversation
from balie.conversations.workflow import Status
from balie.routing.models import QueueEntry
from tests import factories
from tests.conduct.conftest import CITIZEN
from tests.helpers import receive

pytestmark = pytest.mark.django_db
BASE = "/api/v1/conduct"


def client_of(agent) -> APIClient:  # type: ignore[no-untyped-def]
    """An API client with the agent's token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    return client


def test_the_whole_procedure_end_to_end(
    conversation, agent, colleague, supervisor, channel, run_tasks
):
    """Name, warn, remind, announce, ask; the asker cannot confirm, a colleague does; the
    blocked citizen's message is closed unrouted; a supervisor lifts; they route again."""
    me, other, boss = client_of(agent), client_of(colleague), client_of(supervisor)
    steps = f"{BASE}/conversations/{conversation.pk}/steps/"
    abusive = conversation.messages.get().pk
    for name in ("name", "warn", "remind", "announce"):
        response = me.post(steps, {"step": name, "message_ids": [abusive]}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["message_ids"] == [abusive]
        assert response.json()["sent_message_id"] is not None
    asked = me.post(
        steps,
        {"step": "request_block", "reason": "bleef schelden", "until": "2099-01-01T00:00:00Z"},
        format="json",
    )
    assert asked.status_code == 201
    block_id = asked.json()["block_id"]
    listed = other.get(f"{BASE}/blocks/").json()
    assert [(b["id"], b["state"]) for b in listed] == [(block_id, "requested")]
    refused = me.post(f"{BASE}/blocks/{block_id}/confirm/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "four_eyes"
    confirmed = other.post(f"{BASE}/blocks/{block_id}/confirm/", {}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["to_state"] == "blocked"
    state = me.get(f"{BASE}/parties/{conversation.party_id}/").json()
    assert state["state"] == "blocked"
    assert state["block"]["until"] == "2099-01-01T01:00:00+01:00"
    assert [s["step"] for s in state["steps"]][:2] == ["confirm_block", "request_block"]

    check_change_status(conversation.pk, Status.RESOLVED, actor=agent)
    run_tasks()
    blocked = receive(channel, "Nog eens", email=CITIZEN).message.conversation
    run_tasks()
    assert Conversation.objects.get(pk=blocked.pk).status == Status.CLOSED
    assert not QueueEntry.objects.filter(conversation=blocked).exists()

    assert other.post(f"{BASE}/blocks/{block_id}/lift/", {"reason": "x"}).status_code == 403
    assert boss.post(f"{BASE}/blocks/{block_id}/lift/", {"reason": ""}).status_code == 409
    lifted = boss.post(f"{BASE}/blocks/{block_id}/lift/", {"reason": "excuses"}, format="json")
    assert lifted.status_code == 200
    assert lifted.json()["to_state"] == "warned"
    again = receive(channel, "Sorry, een vraag", email=CITIZEN).message.conversation
    run_tasks()
    assert Conversation.objects.get(pk=again.pk).status == Status.QUEUED
    assert QueueEntry.objects.filter(conversation=again).exists()
    assert AuditEntry.objects.filter(action__startswith="conduct_").count() == 7
    assert AuditEntry.objects.filter(action="view_conduct").count() == 1


def test_bad_input_is_refused_with_nothing_written(conversation, agent):
    """Unknown steps, foreign messages and malformed dates: 400, no step recorded."""
    me = client_of(agent)
    steps = f"{BASE}/conversations/{conversation.pk}/steps/"
    for body in (
        {"step": "shout"},
        {"step": "name", "message_ids": ["x"]},
        {"step": "name", "message_ids": [999999]},
        {"step": "request_block", "until": "morgen"},
        {"step": "name", "tone": "jij"},
    ):
        response = me.post(steps, body, format="json")
        assert response.status_code == 400, (body, response.json())
    assert not ConductStep.objects.exists()


def test_a_step_out_of_order_is_a_conflict(conversation, agent):
    """Announcing before warning: 409 with a code."""
    response = client_of(agent).post(
        f"{BASE}/conversations/{conversation.pk}/steps/", {"step": "announce"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conduct_step"


def test_others_cannot_see_or_act(conversation, agent, organisation):
    """Another organisation's agent and an agent outside the team get 404; no token: 401."""
    stranger = client_of(factories.AgentFactory())
    outsider = factories.AgentFactory(organisation=organisation)
    outsider.teams.add(factories.TeamFactory(organisation=organisation))
    for client in (stranger, client_of(outsider)):
        steps = f"{BASE}/conversations/{conversation.pk}/steps/"
        assert client.post(steps, {"step": "name"}, format="json").status_code == 404
        party = f"{BASE}/parties/{conversation.party_id}/"
        assert client.get(party).status_code == 404
    assert APIClient().get(f"{BASE}/blocks/").status_code == 401
    assert not ConductStep.objects.exists()


def test_a_colleague_who_may_not_reply_may_still_consult(conversation, colleague):
    """Steps that send need the right to reply (403); consulting needs only the right to note."""
    other = client_of(colleague)
    steps = f"{BASE}/conversations/{conversation.pk}/steps/"
    assert other.post(steps, {"step": "name"}, format="json").status_code == 403
    asked = other.post(steps, {"step": "consult", "body": "Bedreiging?"}, format="json")
    assert asked.status_code == 201
    assert asked.json()["to_state"] == "clear"


def test_another_organisations_block_is_not_found(conversation, agent, colleague):
    """Confirming a block of another organisation: 404 (ids cannot be probed)."""
    from tests.conduct.conftest import walk_to_announced

    walk_to_announced(conversation, agent)
    block_id = (
        client_of(agent)
        .post(
            f"{BASE}/conversations/{conversation.pk}/steps/",
            {"step": "request_block", "reason": "x"},
            format="json",
        )
        .json()["block_id"]
    )
    stranger = client_of(factories.AgentFactory())
    assert stranger.post(f"{BASE}/blocks/{block_id}/confirm/").status_code == 404


def test_the_api_is_in_the_openapi_document(api_client):
    """The conduct paths are documented in the schema."""
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = set(schema["paths"])
    assert "/api/v1/conduct/conversations/{conversation_id}/steps/" in paths
    assert "/api/v1/conduct/blocks/{block_id}/confirm/" in paths
    assert "/api/v1/conduct/parties/{party_id}/" in paths
