"""Data-subject rights: access (page and JSON), erasure and its refusals, the register."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.audit.models import AuditEntry
from balie.audit.verify import verify
from balie.conversations.models import Message
from balie.parties.models import Party
from balie.privacy.retention import holdings
from balie.privacy.retention.models import LegalHold, Removal, RetentionTerm, RightsRequest
from tests import factories
from tests.retention.conftest import make_contact

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def supervisor(organisation):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(
        organisation=organisation, user__username="teamleider", is_supervisor=True
    )


@pytest.fixture
def as_supervisor(supervisor) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(supervisor.user)
    return client


@pytest.fixture
def contact(organisation):  # type: ignore[no-untyped-def]
    return make_contact(organisation, resolved_days_ago=20)


def test_a_supervisor_sees_everything_held_and_it_is_audited(as_supervisor, contact):
    """The page shows the person's messages and addresses; the view is an audited export."""
    response = as_supervisor.get(reverse("web:rights_party", args=[contact.party_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mijn naam is Jan, 0612345678" in page
    assert contact.party.addresses.get().value in page
    entry = AuditEntry.objects.get(action="export_party")
    assert entry.detail == {
        "format": "html",
        "addresses": 1,
        "conversations": 1,
        "messages": 2,
        "klantcontacten": 1,
    }
    assert entry.actor_label == "teamleider"
    assert RightsRequest.objects.get().kind == "access"


def test_the_json_export_holds_the_data_in_bounded_queries(
    as_supervisor, contact, organisation, django_assert_max_num_queries
):
    """The JSON download has every message and klantcontact; its queries do not grow."""
    for _ in range(3):
        make_contact(organisation, resolved_days_ago=30, party=contact.party)
    # and one query for each other capability's section (holdings.SECTIONS)
    with django_assert_max_num_queries(26 + len(holdings.SECTIONS)):
        response = as_supervisor.get(reverse("web:rights_party_json", args=[contact.party_id]))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["party"]["name"] == contact.party.display_name
    assert len(data["conversations"]) == 4
    assert data["conversations"][0]["messages"][0]["text"] == "Mijn naam is Jan, 0612345678"
    assert data["conversations"][0]["messages"][1]["attachments"][0]["filename"] == "brief.txt"
    assert len(data["klantcontacten"]) == 4


def test_agents_and_other_organisations_cannot_open_it(contact, organisation):
    """An agent gets 403; a supervisor of another organisation 404; a visitor the login."""
    agent = factories.AgentFactory(organisation=organisation)
    stranger = factories.AgentFactory(is_supervisor=True)
    url = reverse("web:rights_party", args=[contact.party_id])
    client = Client()
    assert client.get(url).status_code == 302
    client.force_login(agent.user)
    assert client.get(url).status_code == 403
    client.force_login(stranger.user)
    assert client.get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="export_party").exists()


def test_erasure_removes_the_person_and_keeps_the_counts(as_supervisor, contact):
    """Granted: messages, klantcontact content and the party go; the decision and counts stay."""
    party_pk, uuid = contact.party_id, str(contact.party.uuid)
    response = as_supervisor.post(
        reverse("web:rights_erase", args=[party_pk]), {"decision": "erase"}
    )
    assert response.status_code == 302
    assert not Party.objects.filter(pk=party_pk).exists()
    assert not Message.objects.exists()
    request = RightsRequest.objects.get(kind="erasure")
    assert (request.outcome, request.party_uuid) == ("granted", uuid)
    assert request.counts["messages"] == 2
    assert set(Removal.objects.values_list("cause", flat=True)) == {"erasure"}
    entry = AuditEntry.objects.get(action="erase_party")
    assert (entry.result, entry.object_id) == ("success", str(party_pk))
    assert entry.detail["messages"] == 2
    assert verify().ok


def test_a_refusal_is_recorded_with_its_legal_ground(as_supervisor, contact):
    """Refused on archiving grounds: the data stays, the ground and explanation are kept."""
    response = as_supervisor.post(
        reverse("web:rights_erase", args=[contact.party_id]),
        {"decision": "refuse", "ground": "archiving", "explanation": "Bezwaarschrift loopt."},
    )
    assert response.status_code == 302
    request = RightsRequest.objects.get(kind="erasure")
    assert (request.outcome, request.ground) == ("refused", "archiving")
    assert request.explanation == "Bezwaarschrift loopt."
    assert Message.objects.count() == 2
    assert AuditEntry.objects.get(action="erase_party").result == "refused"


def test_a_refusal_without_explanation_writes_nothing(as_supervisor, contact):
    """A refusal needs its explanation: the page says so and no decision is recorded."""
    response = as_supervisor.post(
        reverse("web:rights_erase", args=[contact.party_id]),
        {"decision": "refuse", "ground": "public_task"},
        follow=True,
    )
    assert "Explain the refusal" in response.content.decode() or "Licht de weigering" in (
        response.content.decode()
    )
    assert not RightsRequest.objects.filter(kind="erasure").exists()


def test_a_legal_hold_refuses_erasure_by_itself(as_supervisor, contact, organisation):
    """With a hold on the conversation, erasure is refused on that ground and nothing goes."""
    LegalHold.objects.create(organisation=organisation, conversation=contact, reason="WOO-verzoek")
    as_supervisor.post(reverse("web:rights_erase", args=[contact.party_id]), {"decision": "erase"})
    assert RightsRequest.objects.get(kind="erasure").ground == "legal_hold"
    assert Party.objects.filter(pk=contact.party_id).exists()


def test_a_keep_term_refuses_erasure_on_archiving_grounds(as_supervisor, contact, organisation):
    """A contact the archivist marked keep is refused on art. 17(3)(d)."""
    RetentionTerm.objects.create(organisation=organisation, days=365, disposal="keep")
    as_supervisor.post(reverse("web:rights_erase", args=[contact.party_id]), {"decision": "erase"})
    assert RightsRequest.objects.get(kind="erasure").ground == "archiving"
    assert Message.objects.count() == 2


def test_erasure_waits_for_an_open_conversation(as_supervisor, organisation):
    """A person with a contact in progress is not erased until it is resolved."""
    open_one = make_contact(organisation, resolved_days_ago=1, status="assigned")
    as_supervisor.post(reverse("web:rights_erase", args=[open_one.party_id]), {"decision": "erase"})
    assert Party.objects.filter(pk=open_one.party_id).exists()
    assert not RightsRequest.objects.filter(kind="erasure").exists()


def test_the_conversation_sidebar_links_supervisors_to_the_rights_page(
    as_supervisor, contact, organisation
):
    """The rights panel appears for a supervisor and not for an agent."""
    url = reverse("web:conversation", args=[contact.pk])
    link = reverse("web:rights_party", args=[contact.party_id])
    assert link in as_supervisor.get(url).content.decode()
    agent = factories.AgentFactory(organisation=organisation)
    contact.assignee = agent
    contact.save()
    client = Client()
    client.force_login(agent.user)
    response = client.get(url)
    assert response.status_code == 200
    assert link not in response.content.decode()


def test_the_register_comes_from_the_configuration(organisation, capsys):
    """The register names the organisation, its channels and the archivist's terms."""
    channel = factories.ChannelFactory(organisation=organisation, kind="whatsapp", key="wa")
    RetentionTerm.objects.create(organisation=organisation, channel=channel, days=180)
    call_command("register", "--format", "json")
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["controller"] == "Gemeente Testdam"
    assert "WhatsApp number and profile name" in entry["categories"]
    assert {"contacts", "performance"} <= {r["data"] for r in entry["retention"]}
    assert any(r["days"] == 180 for r in entry["retention"])
    assert entry["transfer_outside_eu"].startswith("none")
    call_command("register")
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Klantcontact Gemeente Testdam (Balie)")
    assert "## Transfer outside the EU" in markdown


def test_the_register_page_is_for_administrators(organisation, supervisor):
    """An administrator reads the register in the workspace; a supervisor gets 403."""
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("web:rights_register"))
    assert response.status_code == 200
    assert "Gemeente Testdam" in response.content.decode()
    client.force_login(supervisor.user)
    assert client.get(reverse("web:rights_register")).status_code == 403


def test_the_admin_export_action_is_audited(organisation, contact):
    """The party admin's export action downloads the JSON and leaves an audit entry."""
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    response = client.post(
        reverse("admin:parties_party_changelist"),
        {"action": "export_held_data", "_selected_action": [contact.party_id]},
    )
    assert response.status_code == 200
    assert json.loads(response.content)["party"]["uuid"] == str(contact.party.uuid)
    assert AuditEntry.objects.get(action="export_party").detail["format"] == "json"


def test_the_api_export_is_for_supervisors_and_audited(contact, supervisor, organisation):
    """GET /api/v1/privacy/parties/<id>/export/: the data for a supervisor (audited), 403 for
    an agent who sees the party, 404 for another organisation's supervisor."""
    url = f"/api/v1/privacy/parties/{contact.party_id}/export/"
    agent = factories.AgentFactory(organisation=organisation)
    contact.assignee = agent
    contact.save()
    stranger = factories.AgentFactory(is_supervisor=True)
    answers = {}
    for who in (supervisor, agent, stranger):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(who.user)}")
        answers[who.pk] = client.get(url)
    assert answers[supervisor.pk].status_code == 200
    assert answers[supervisor.pk].json()["party"]["uuid"] == str(contact.party.uuid)
    assert answers[agent.pk].status_code == 403
    assert answers[stranger.pk].status_code == 404
    entry = AuditEntry.objects.get(action="export_party")
    assert entry.detail["format"] == "api"
