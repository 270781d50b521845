"""The merge API: suggestions, merging, listing and undoing, for supervisors only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.audit.models import AuditEntry
from balie.parties.models import Party
from tests import factories
from tests.parties.conftest import call, whatsapp

pytestmark = pytest.mark.django_db


def _client(agent) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    return client


@pytest.fixture
def pair(world):  # type: ignore[no-untyped-def]
    """A WhatsApp party and a caller with one number."""
    return whatsapp(world.wa, "31612345678"), call(world.pbx, "06-12345678")


def test_a_supervisor_sees_the_suggestion_masked(world, pair) -> None:  # type: ignore[no-untyped-def]
    """The suggestion names both parties, their channels and counts; the number is masked."""
    chat, caller = pair
    answer = _client(world.supervisor).get("/api/v1/parties/merge-suggestions/")
    assert answer.status_code == 200
    [row] = answer.json()
    assert row["shared"] == "+316*****678"
    assert "12345" not in str(row)
    assert (row["first"]["id"], row["second"]["id"]) == (chat.pk, caller.pk)
    assert row["first"]["channels"] == ["whatsapp"]
    assert row["second"]["channels"] == ["phone"]
    assert row["second"]["conversations"] == 1
    assert AuditEntry.objects.filter(action="view_merge_suggestions").count() == 1


def test_merge_list_and_undo_through_the_api(world, pair) -> None:  # type: ignore[no-untyped-def]
    """POST merges (201, what moved), GET lists it, POST undo restores; each audited."""
    chat, caller = pair
    client = _client(world.supervisor)
    merged = client.post(
        "/api/v1/parties/merges/",
        {"survivor": chat.pk, "merged": caller.pk, "reason": "zelfde nummer"},
        format="json",
    )
    assert merged.status_code == 201, merged.content
    body = merged.json()
    assert body["moved"]["conversations.conversation"] == list(
        Party.objects.get(pk=chat.pk)
        .conversations.exclude(channel=world.wa)
        .values_list("pk", flat=True)
    )
    assert [m["id"] for m in client.get("/api/v1/parties/merges/").json()] == [body["id"]]
    assert client.get("/api/v1/parties/merge-suggestions/").json() == []
    undone = client.post(
        f"/api/v1/parties/merges/{body['id']}/undo/", {"reason": "twee mensen"}, format="json"
    )
    assert undone.status_code == 200
    assert undone.json()["undone_by"] == world.supervisor.pk
    assert caller.conversations.count() == 1
    entries = AuditEntry.objects.filter(action__startswith="party_merge").order_by("pk")
    assert [(e.action, e.result, e.actor_id) for e in entries] == [
        ("party_merge", "success", world.supervisor.user_id),
        ("party_merge_undo", "success", world.supervisor.user_id),
    ]
    assert entries[0].detail == {"survivor": chat.pk, "merged": caller.pk, "merge": body["id"]}


def test_agents_are_forbidden_and_the_refusal_is_not_a_merge(world, pair) -> None:  # type: ignore[no-untyped-def]
    """An agent gets 403 on every merge endpoint; nothing merges."""
    chat, caller = pair
    client = _client(world.agent)
    assert client.get("/api/v1/parties/merge-suggestions/").status_code == 403
    assert client.get("/api/v1/parties/merges/").status_code == 403
    answer = client.post(
        "/api/v1/parties/merges/",
        {"survivor": chat.pk, "merged": caller.pk, "reason": "x"},
        format="json",
    )
    assert answer.status_code == 403
    assert client.post("/api/v1/parties/merges/1/undo/", {"reason": "x"}).status_code == 403
    assert Party.objects.get(pk=caller.pk).merged_into_id is None


def test_another_organisations_party_or_merge_is_404_and_audited(world, pair) -> None:  # type: ignore[no-untyped-def]
    """A party of another organisation answers as absent; the refusal is in the audit trail."""
    chat, _ = pair
    stranger = factories.PartyFactory(organisation=world.other)
    client = _client(world.supervisor)
    answer = client.post(
        "/api/v1/parties/merges/",
        {"survivor": chat.pk, "merged": stranger.pk, "reason": "zelfde"},
        format="json",
    )
    assert answer.status_code == 404
    refused = AuditEntry.objects.get(action="party_merge")
    assert refused.result == "refused"
    assert refused.detail == {"survivor": chat.pk, "merged": stranger.pk, "error": "not_found"}
    assert client.post("/api/v1/parties/merges/987654/undo/", {"reason": "x"}).status_code == 404


def test_bad_input_is_400_with_the_field(world, pair) -> None:  # type: ignore[no-untyped-def]
    """A missing reason or a non-number id: 400 naming the field; a merge of one party: 400."""
    chat, _caller = pair
    client = _client(world.supervisor)
    answer = client.post(
        "/api/v1/parties/merges/", {"survivor": chat.pk, "merged": "x"}, format="json"
    )
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) == {"merged", "reason"}
    same = client.post(
        "/api/v1/parties/merges/",
        {"survivor": chat.pk, "merged": chat.pk, "reason": "x"},
        format="json",
    )
    assert same.status_code == 400
    assert same.json()["error"]["code"] == "same_party"


def test_the_endpoints_are_in_the_openapi_document(world) -> None:  # type: ignore[no-untyped-def]
    """The schema lists the three paths."""
    schema = _client(world.supervisor).get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/parties/merge-suggestions/",
        "/api/v1/parties/merges/",
        "/api/v1/parties/merges/{merge_id}/undo/",
    ):
        assert path in schema["paths"]
