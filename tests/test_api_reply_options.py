"""The agent learns through the API when WhatsApp's window is closed and sends a template."""

from __future__ import annotations

import pytest
import time_machine

from balie.channels.whatsapp.models import TemplateStatus
from balie.channels.whatsapp.templates import register_template
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def assign(conversation, agent):  # type: ignore[no-untyped-def]
    """Give ``conversation`` to ``agent``: only the assignee (or a supervisor) answers."""
    from django.db import transaction

    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")


@pytest.fixture
def wa_channel(organisation):
    return factories.ChannelFactory(organisation=organisation, kind="whatsapp", key="wa-test")


@pytest.fixture
def template(wa_channel):
    return register_template(
        wa_channel, "antwoord_klaar", "nl",
        body="Beste {{1}}, uw antwoord staat klaar. Stuur ons een bericht om het te lezen.",
        status=TemplateStatus.APPROVED,
    )  # fmt: skip


def test_inside_the_window_free_form_is_allowed(api_client, wa_channel, template):
    """Right after the citizen wrote, a free-form reply is allowed."""
    conversation = receive(wa_channel).message.conversation
    options = api_client.get(f"/api/v1/conversations/{conversation.pk}/reply-options/").json()
    assert options["free_form"] is True
    assert options["reason"] == ""
    assert [t["name"] for t in options["templates"]] == ["antwoord_klaar"]


def test_after_24_hours_the_agent_sees_why_and_can_send_a_template(
    api_client, wa_channel, template, agent
):
    """25 hours later: no free-form (409 with the reason), but the approved template goes out."""
    with time_machine.travel("2026-11-24 09:00 +0000", tick=False) as clock:
        conversation = receive(wa_channel).message.conversation
        assign(conversation, agent)
        clock.shift(25 * 3600)
        base = f"/api/v1/conversations/{conversation.pk}"
        options = api_client.get(f"{base}/reply-options/").json()
        assert options["free_form"] is False
        assert "24 hours" in options["reason"]
        assert options["window_closes_at"] == "2026-11-25T10:00:00+01:00"  # Amsterdam time
        refused = api_client.post(f"{base}/messages/", {"body": "Hallo"}, format="json")
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "whatsapp_window_closed"
        sent = api_client.post(
            f"{base}/messages/",
            {"kind": "template", "template": template.pk, "parameters": ["Jan"]},
            format="json",
        )
    assert sent.status_code == 201, sent.content
    assert sent.json()["body"].startswith("Beste Jan, uw antwoord staat klaar")
    assert sent.json()["delivery_status"] == "pending"


def test_a_template_with_missing_parameters_is_a_400(api_client, wa_channel, template, agent):
    """A template sent without its parameter is refused with a precise code."""
    conversation = receive(wa_channel).message.conversation
    assign(conversation, agent)
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"kind": "template", "template": template.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "template_parameters"


def test_other_channels_have_no_window(api_client, channel):
    """A web-form conversation always allows free-form replies and offers no templates."""
    conversation = receive(channel).message.conversation
    options = api_client.get(f"/api/v1/conversations/{conversation.pk}/reply-options/").json()
    assert options == {"free_form": True, "reason": "", "window_closes_at": None, "templates": []}
