"""The admin: every model registered, Dutch by default, English on request, audited views."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from balie.audit.models import AuditEntry
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

BALIE_APPS = {
    "audit",
    "organisations",
    "routing",
    "parties",
    "channels",
    "conversations",
    "whatsapp",
}
INLINE_ONLY = {
    "routing.AgentLanguage",
    "routing.AgentSkill",
    "routing.AgentTraining",
    "routing.AgentChannel",
    "conversations.StatusChange",
    "conversations.ConversationChange",
    "conversations.Mention",
    "conversations.Attachment",
    "parties.DigitalAddress",
}


@pytest.fixture
def staff_client(client):
    user = factories.UserFactory(username="beheerder", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_every_domain_model_is_in_the_admin():
    """Each model of Balie's domain apps has an admin page or is edited inline in its parent."""
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in BALIE_APPS
        and not admin.site.is_registered(m)
        and m._meta.label not in INLINE_ONLY
    ]
    assert missing == []


def test_every_changelist_renders(staff_client, channel):
    """All registered changelists answer 200 with data present."""
    receive(channel)
    for model in admin.site._registry:
        opts = model._meta
        response = staff_client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        assert response.status_code == 200, opts.label


def test_dutch_by_default_and_english_on_request(staff_client):
    """The admin speaks Dutch, whatever the browser asks, until the user switches to English."""
    assert "Gesprekken" in staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    staff_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert "Conversations" in staff_client.get("/admin/").content.decode()


def test_opening_a_party_is_audited(staff_client, channel):
    """Viewing a party in the admin writes an audit entry with the viewer."""
    party = receive(channel).message.conversation.party
    assert staff_client.get(f"/admin/parties/party/{party.pk}/change/").status_code == 200
    entry = AuditEntry.objects.get(action="admin_view", object_type="parties.party")
    assert entry.actor_label == "beheerder"


def test_conversations_cannot_be_edited_in_the_admin(staff_client, channel):
    """Conversations are changed through actions, so the admin offers no add or delete."""
    conversation = receive(channel).message.conversation
    assert staff_client.get("/admin/conversations/conversation/add/").status_code == 403
    response = staff_client.post(f"/admin/conversations/conversation/{conversation.pk}/delete/")
    assert response.status_code == 403
