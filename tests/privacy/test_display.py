"""Masked before anyone sees it: while the scan on receipt of a WhatsApp message is pending,
every place that shows its text (the timeline, its live refresh and the realtime push, the
inbox preview, a search result, the API) shows it masked through one helper; a safe channel
or a policy that keeps the text shows it as received; the scan runs before the other
handlers."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.conversations.models import Message
from balie.privacy.display import displayed_bodies, displayed_body, mask_now
from balie.privacy.handlers import on_messages_received
from balie.privacy.models import AtRest, ChannelPolicy, Scanned
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

TEXT = "Mijn BSN is 111222333, ik woon op Kerkstraat 12a, 3512 AB Utrecht. Groet, Anouk"
SECRETS = ("111222333", "Kerkstraat 12a", "3512 AB")


def _hidden(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


@pytest.fixture
def supervisor(organisation):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(
        organisation=organisation, is_supervisor=True, user__username="teamleider"
    )


@pytest.fixture
def web(supervisor) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(supervisor.user)
    return client


def test_a_pending_message_is_masked_as_the_scan_will_mask_it(whatsapp, events) -> None:  # type: ignore[no-untyped-def]
    """Before the scan the helper masks on the fly; after it, the stored text is the same."""
    message = receive(whatsapp, TEXT).message
    before = displayed_body(message)
    assert _hidden(before)
    assert before.startswith("Mijn BSN is •••••••••")
    assert "Anouk" in before  # a name is no redirect kind: kept, as the scan keeps it
    on_messages_received(events.named("message_received"))
    message.refresh_from_db()
    assert Scanned.objects.filter(message_id=message.pk).exists()
    assert message.body == before
    assert displayed_body(message) == message.body
    assert mask_now(message.body) == message.body  # idempotent


def test_safe_channel_and_kept_policy_show_the_text(channel, whatsapp, organisation) -> None:  # type: ignore[no-untyped-def]
    """On a safe channel, or where the policy keeps received texts, nothing is masked."""
    on_form = receive(channel, TEXT).message
    assert displayed_body(on_form) == TEXT
    ChannelPolicy.objects.create(
        organisation=organisation, channel_kind="whatsapp", safe=False, at_rest=AtRest.KEEP
    )
    kept = receive(whatsapp, TEXT, email="k@example.nl").message
    assert displayed_body(kept) == TEXT


def test_a_page_of_messages_costs_three_queries(whatsapp, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    """Ten pending messages or one: the channels, the policies, the scan marks."""
    ids = [receive(whatsapp, TEXT, email=f"p{n}@example.nl").message.pk for n in range(10)]
    messages = list(Message.objects.filter(pk__in=ids))
    with django_assert_num_queries(3):
        shown = displayed_bodies(messages)
    assert all(_hidden(text) for text in shown.values())


def test_timeline_and_live_refresh_mask_a_pending_message(web, whatsapp, events) -> None:  # type: ignore[no-untyped-def]
    """The conversation page and the refresh a realtime push triggers show it masked; the
    push itself names ids only."""
    message = receive(whatsapp, TEXT).message
    [received] = events.named("message_received")
    assert _hidden(json.dumps(received.to_payload()))
    page = web.get(f"/gesprekken/{message.conversation_id}/").content.decode()
    assert f'id="message-{message.pk}-body">Mijn BSN is •••••••••' in page
    assert _hidden(page)
    live = web.get(f"/gesprekken/{message.conversation_id}/live/").content.decode()
    assert f'id="message-{message.pk}-body">' in live
    assert _hidden(live)


def test_a_quoted_pending_message_is_masked_too(web, whatsapp, supervisor) -> None:  # type: ignore[no-untyped-def]
    """A reply quoting the citizen's pending message shows the quote masked."""
    from balie.conversations.actions import check_send_reply

    message = receive(whatsapp, TEXT).message
    check_send_reply(message.conversation_id, supervisor, "Dank u", reply_to_id=message.pk)
    page = web.get(f"/gesprekken/{message.conversation_id}/").content.decode()
    assert "balie-msg__quote" in page
    assert _hidden(page)


def test_inbox_preview_and_search_result_are_masked(web, whatsapp) -> None:  # type: ignore[no-untyped-def]
    """The list's preview of the last message, also when found by search, is masked."""
    message = receive(whatsapp, TEXT).message
    for url in ("/gesprekken/?view=all", "/gesprekken/?view=all&q=Anouk"):
        html = web.get(url).content.decode()
        assert f'id="row-{message.conversation_id}"' in html
        assert "Mijn BSN is •••" in html
        assert _hidden(html)


def test_api_messages_are_masked_while_pending(supervisor, whatsapp, events) -> None:  # type: ignore[no-untyped-def]
    """The API's message list shows the masked text before and after the scan alike."""
    message = receive(whatsapp, TEXT).message
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(supervisor.user)}")
    url = f"/api/v1/conversations/{message.conversation_id}/messages/"
    before = api.get(url).json()["results"][0]["body"]
    assert _hidden(before)
    on_messages_received(events.named("message_received"))
    after = api.get(url).json()["results"][0]["body"]
    assert after == before


def test_the_scan_runs_before_every_other_handler() -> None:
    """The privacy scan has the highest priority among the message_received handlers."""
    from balie.handlers import HANDLERS

    handlers = [h for h in HANDLERS["message_received"] if h.durable]
    first = max(handlers, key=lambda h: h.priority)
    assert first.path == "balie.privacy.handlers.on_messages_received"
    assert all(h.priority < first.priority for h in handlers if h is not first)
