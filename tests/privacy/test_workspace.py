"""The privacy guard in the workspace and the API: the warning panel with the items masked
and the suggested reply; accepting it sends the reply and records the call back; replies
with personal data over an unsafe channel are warned once or blocked by policy; supervisors
see and close call-back requests."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Direction, Message
from balie.privacy.advice import suggested_reply
from balie.privacy.handlers import on_messages_received
from balie.privacy.models import Advice, CallbackRequest, CallbackState, ChannelPolicy, Outbound
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TEXT = "Hallo, mijn BSN is 111222333 en mijn IBAN NL91 ABNA 0417 1643 00. Groet, Anouk"


@pytest.fixture
def sanne(organisation):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(
        organisation=organisation, user__username="sanne", display_name="Sanne"
    )


def conversation_with_data(channel, agent, events, text: str = TEXT):  # type: ignore[no-untyped-def]
    """A conversation assigned to ``agent`` whose message the scan has handled."""
    message = receive(channel, text).message
    on_messages_received(list(events.named("message_received")))
    with transaction.atomic():
        do_assign(lock_conversation(message.conversation_id), agent, reason="test")
    return message.conversation


def test_panel_shows_items_masked_and_a_suggested_reply(
    client: Client, whatsapp, sanne, events
) -> None:  # type: ignore[no-untyped-def]
    """The conversation page warns with the kinds, the text masked, and the Dutch reply."""
    conversation = conversation_with_data(whatsapp, sanne, events)
    client.force_login(sanne.user)
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert 'id="privacy-warning"' in page
    assert "111222333" not in page
    assert "NL91 ABNA" not in page
    assert "•••••••••" in page
    assert "uw burgerservicenummer (BSN) en uw rekeningnummer (IBAN)" in page
    assert 'name="call_back"' in page


def test_page_without_findings_shows_no_warning(client: Client, whatsapp, sanne, events) -> None:  # type: ignore[no-untyped-def]
    """A message without personal data gives no panel."""
    conversation = conversation_with_data(whatsapp, sanne, events, "Hoe laat zijn jullie open?")
    client.force_login(sanne.user)
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert 'id="privacy-warning"' not in page


def test_accepting_sends_the_reply_and_records_the_call_back(
    client: Client, whatsapp, sanne, events, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """Sending the suggested reply queues it, closes the advice and asks for a call back."""
    conversation = conversation_with_data(whatsapp, sanne, events)
    client.force_login(sanne.user)
    body = suggested_reply(["bsn", "iban"], "nl", "WhatsApp")
    with django_assert_max_num_queries(40):
        response = client.post(
            f"/gesprekken/{conversation.pk}/privacy/", {"body": body, "call_back": "1"}, **HTMX
        )
    assert response.status_code == 200
    sent = Message.objects.get(conversation=conversation, direction=Direction.OUTBOUND)
    assert sent.body == body
    assert Advice.objects.get().resolved_by == sanne
    callback = CallbackRequest.objects.get()
    assert callback.conversation_id == conversation.pk
    assert callback.state == CallbackState.OPEN
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert 'id="privacy-warning"' not in page
    assert 'id="privacy-callbacks"' in page


def test_accepting_without_call_back(client: Client, whatsapp, sanne, events) -> None:  # type: ignore[no-untyped-def]
    """Unticked, only the reply goes."""
    conversation = conversation_with_data(whatsapp, sanne, events)
    client.force_login(sanne.user)
    client.post(f"/gesprekken/{conversation.pk}/privacy/", {"body": "Belt u ons?"}, **HTMX)
    assert not CallbackRequest.objects.exists()
    assert Advice.objects.get().resolved_at is not None


def test_english_citizen_gets_the_english_reply() -> None:
    """The suggested reply follows the conversation's language, formal in both."""
    text = suggested_reply(["date_of_birth", "address"], "en", "WhatsApp")
    assert text.startswith("Thank you for your message.")
    assert "your date of birth and your address" in text
    assert "u" in suggested_reply(["address"], "nl", "WhatsApp").split()
    assert "afgeschermd" in suggested_reply(["address"], "nl", "WhatsApp")
    assert "afgeschermd" not in suggested_reply(["address"], "nl", "WhatsApp", masked=False)


def test_reply_with_a_bsn_is_warned_once_then_sent(client: Client, whatsapp, sanne, events) -> None:  # type: ignore[no-untyped-def]
    """Warn policy: the first send is refused with the reason in Dutch, the same text again goes."""
    conversation = conversation_with_data(whatsapp, sanne, events, "Wat is mijn status?")
    client.force_login(sanne.user)
    url = f"/gesprekken/{conversation.pk}/antwoord/"
    body = {"body": "Uw BSN 111222333 staat genoteerd."}
    first = client.post(url, body, **HTMX)
    assert first.status_code == 409
    assert "niet veilig" in first.content.decode()
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    second = client.post(url, body, **HTMX)
    assert second.status_code == 200
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_block_policy_refuses_in_the_composer_and_the_api(
    client: Client, whatsapp, sanne, organisation, events
) -> None:  # type: ignore[no-untyped-def]
    """Block policy: the composer and the REST API refuse every time; a safe reply goes."""
    ChannelPolicy.objects.create(
        organisation=organisation, channel_kind="whatsapp", safe=False, outbound=Outbound.BLOCK
    )
    conversation = conversation_with_data(whatsapp, sanne, events, "Wat is mijn status?")
    client.force_login(sanne.user)
    url = f"/gesprekken/{conversation.pk}/antwoord/"
    for _ in range(2):
        refused = client.post(url, {"body": "Uw adres: Kerkstraat 12, 3512 AB Utrecht"}, **HTMX)
        assert refused.status_code == 409
    api = APIClient()
    api.force_authenticate(sanne.user)
    answer = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"kind": "reply", "body": "IBAN NL91ABNA0417164300"},
        format="json",
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "personal_data_blocked"
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert client.post(url, {"body": "Wij bellen u."}, **HTMX).status_code == 200


def test_safe_channel_sends_personal_data(client: Client, channel, sanne, events) -> None:  # type: ignore[no-untyped-def]
    """E-mail, phone, web form: no warning."""
    conversation = conversation_with_data(channel, sanne, events, "Wat is mijn status?")
    client.force_login(sanne.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/antwoord/", {"body": "Uw BSN 111222333"}, **HTMX
    )
    assert response.status_code == 200


def test_supervisor_lists_and_closes_call_backs(
    client: Client, whatsapp, sanne, organisation, events
) -> None:  # type: ignore[no-untyped-def]
    """The call-back list shows open requests to supervisors; marking one called closes it."""
    conversation = conversation_with_data(whatsapp, sanne, events)
    client.force_login(sanne.user)
    client.post(
        f"/gesprekken/{conversation.pk}/privacy/",
        {"body": "Wij bellen u.", "call_back": "1"},
        **HTMX,
    )
    assert client.get("/privacy/terugbellen/").status_code == 403
    boss = factories.AgentFactory(organisation=organisation, is_supervisor=True)
    client.force_login(boss.user)
    page = client.get("/privacy/terugbellen/").content.decode()
    callback = CallbackRequest.objects.get()
    assert f'id="callback-{callback.pk}"' in page
    assert 'href="/privacy/terugbellen/" aria-current="page"' in page  # in the supervisor's nav
    assert client.post(f"/privacy/terugbellen/{callback.pk}/gebeld/").status_code == 302
    callback.refresh_from_db()
    assert callback.state == CallbackState.DONE
