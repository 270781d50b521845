"""Reading a sealed original from the timeline and the API: supervisors only, with a reason
kept in the audit entry, shown in place and never cached; hidden from agents, and a refused
attempt audited too."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.audit.models import AuditEntry
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.privacy.handlers import on_messages_received
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

TEXT = "Mijn BSN is 111222333, groet Anouk"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def supervisor(organisation):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(
        organisation=organisation, is_supervisor=True, user__username="teamleider"
    )


@pytest.fixture
def plain(organisation):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(organisation=organisation, user__username="sanne")


@pytest.fixture
def sealed(whatsapp, plain, events):  # type: ignore[no-untyped-def]
    """A masked WhatsApp message with its original sealed, in a conversation of ``plain``."""
    from django.db import transaction

    message = receive(whatsapp, TEXT).message
    on_messages_received(events.named("message_received"))
    with transaction.atomic():
        do_assign(lock_conversation(message.conversation_id), plain, reason="test")
    message.refresh_from_db()
    assert "111222333" not in message.body
    return message


def _login(agent) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent.user)
    return client


def _url(message) -> str:  # type: ignore[no-untyped-def]
    return f"/gesprekken/{message.conversation_id}/berichten/{message.pk}/origineel/"


def _entries(result: str | None = None) -> list[AuditEntry]:
    found = AuditEntry.objects.filter(action="privacy.unseal").order_by("seq")
    return list(found.filter(result=result) if result else found)


def test_supervisor_sees_the_button_and_reads_the_original_in_place(supervisor, sealed) -> None:  # type: ignore[no-untyped-def]
    """The timeline offers "Origineel tonen" with a required reason; the htmx answer is the
    original, not cached, and the audit entry holds the reason."""
    client = _login(supervisor)
    page = client.get(f"/gesprekken/{sealed.conversation_id}/").content.decode()
    pattern = rf'<details class="balie-unseal" id="message-{sealed.pk}-unseal".*?</details>'
    form = re.search(pattern, page, re.S)
    assert form is not None
    assert "Origineel tonen" in form.group(0)
    assert 'name="reason" required' in form.group(0)
    assert "csrfmiddlewaretoken" in form.group(0)
    assert f'hx-post="{_url(sealed)}"' in form.group(0)
    assert "111222333" not in page
    response = client.post(_url(sealed), {"reason": "klacht over de behandeling"}, **HTMX)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert f'id="message-{sealed.pk}-unseal"' in html
    assert "111222333" in html
    [entry] = _entries("success")
    assert entry.detail == {"reason": "klacht over de behandeling"}
    assert entry.actor_label == "teamleider"
    assert entry.object_id == str(sealed.pk)


def test_a_reason_is_required(supervisor, sealed) -> None:  # type: ignore[no-untyped-def]
    """Without a reason nothing is shown or audited as read; the form says what to do."""
    response = _login(supervisor).post(_url(sealed), {"reason": "  "}, **HTMX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == f"#message-{sealed.pk}-unseal-feedback"
    assert "111222333" not in response.content.decode()
    assert "reden" in response.content.decode().lower()
    assert not _entries("success")


def test_agents_do_not_see_the_button_and_are_refused_with_an_audit_entry(plain, sealed) -> None:  # type: ignore[no-untyped-def]
    """The assigned agent sees no button; a forged POST gets 403 and a refused entry."""
    client = _login(plain)
    page = client.get(f"/gesprekken/{sealed.conversation_id}/").content.decode()
    assert 'class="balie-unseal"' not in page
    response = client.post(_url(sealed), {"reason": "nieuwsgierig"}, **HTMX)
    assert response.status_code == 403
    assert "111222333" not in response.content.decode()
    [entry] = _entries("refused")
    assert entry.detail == {"reason": "nieuwsgierig"}


def test_post_needs_the_csrf_token(supervisor, sealed) -> None:  # type: ignore[no-untyped-def]
    """A POST without the CSRF token is refused before anything is read."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor.user)
    response = client.post(_url(sealed), {"reason": "klacht"}, **HTMX)
    assert response.status_code == 403
    assert not _entries()


def test_another_organisations_message_is_not_found(supervisor, sealed) -> None:  # type: ignore[no-untyped-def]
    """A supervisor of another organisation gets 404 and learns nothing."""
    other = factories.AgentFactory(is_supervisor=True)
    response = _login(other).post(_url(sealed), {"reason": "klacht"}, **HTMX)
    assert response.status_code == 404
    assert not _entries()


def test_api_unseal_for_supervisors_with_a_reason(supervisor, plain, sealed) -> None:  # type: ignore[no-untyped-def]
    """POST /api/v1/privacy/messages/<id>/unseal/: the original for a supervisor (no-store,
    audited with the reason); 400 without a reason; 403 and a refused entry for an agent."""
    url = f"/api/v1/privacy/messages/{sealed.pk}/unseal/"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(supervisor.user)}")
    missing = api.post(url, {}, format="json")
    assert missing.status_code == 400
    response = api.post(url, {"reason": "bezwaarschrift"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": sealed.pk, "body": TEXT}
    assert "no-store" in response["Cache-Control"]
    assert [e.detail for e in _entries("success")] == [{"reason": "bezwaarschrift"}]
    agent_api = APIClient()
    agent_api.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(plain.user)}")
    refused = agent_api.post(url, {"reason": "even kijken"}, format="json")
    assert refused.status_code == 403
    assert "111222333" not in refused.content.decode()
    assert [e.detail for e in _entries("refused")] == [{"reason": "even kijken"}]
    assert api.post("/api/v1/privacy/messages/999999/unseal/", {"reason": "x"}).status_code == 404
