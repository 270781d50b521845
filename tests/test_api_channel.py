"""The API / web-form channel over real HTTP: signed inbound, precise refusals, signed replies."""

from __future__ import annotations

import json

import httpx
import pytest

from balie.channels.base import sign
from balie.channels.simulators.citizens import PERSONAS, WebFormCitizens
from balie.conversations.actions import check_send_reply
from balie.conversations.models import Conversation, Message
from balie.core.worker import run_ready_tasks
from balie.parties.models import Party

SECRET = "test-signing-secret"


def _post(
    url: str, payload: object, *, secret: str | None = SECRET, **headers: str
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {"Content-Type": "application/json", **headers}
    if secret is not None:
        sent["X-Balie-Signature"] = sign(secret, body)
    return httpx.post(url, content=body, headers=sent, timeout=10)


FORM = {"id": "form-1", "sender": {"name": "Jan", "email": "jan@example.nl"}, "text": "Hallo"}


@pytest.fixture
def url(live_server, channel) -> str:
    return f"{live_server.url}/webhooks/api/{channel.key}/"


def _nothing_stored() -> bool:
    return not (Message.objects.exists() or Party.objects.exists())


@pytest.mark.django_db(transaction=True)
def test_a_signed_form_is_accepted_and_stored(url):
    """A correctly signed submission answers 202 and creates the message."""
    response = _post(url, FORM)
    assert response.status_code == 202
    assert response.json()["duplicate"] is False
    assert Message.objects.get().body == "Hallo"


@pytest.mark.django_db(transaction=True)
def test_a_retry_is_acknowledged_as_duplicate(url):
    """Posting the same id twice stores one message and says the second was a duplicate."""
    _post(url, FORM)
    again = _post(url, FORM)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("secret", "payload", "headers", "status", "code"),
    [
        (None, FORM, {}, 401, "signature_missing"),
        ("wrong-secret", FORM, {}, 403, "signature_invalid"),
        (SECRET, b"{not json", {}, 400, "malformed_json"),
        (SECRET, {"id": "x", "text": "hoi"}, {}, 400, "missing_field"),
        (SECRET, {**FORM, "text": 42}, {}, 400, "invalid_field"),
        (SECRET, FORM, {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        (SECRET, {**FORM, "text": "x" * 3_000_000}, {}, 413, "body_too_large"),
    ],
)
def test_bad_requests_get_precise_errors_and_store_nothing(
    url, secret, payload, headers, status, code
):
    """Each defect has its own status and code, and nothing is written."""
    response = _post(url, payload, secret=secret, **headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert _nothing_stored()


@pytest.mark.django_db(transaction=True)
def test_an_unknown_channel_is_404(live_server):
    """A webhook for a channel key that does not exist answers 404."""
    response = _post(f"{live_server.url}/webhooks/api/bestaat-niet/", FORM)
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_reply_reaches_the_citizen_signed(live_server, channel, agent):
    """A reply goes through the outbox to the callback URL, signed; it is then marked sent."""
    citizens = WebFormCitizens(live_server.url, channel.key, SECRET, seed=1)
    citizens.start(writing=False)
    try:
        channel.settings = {"callback_url": citizens.callback_url}
        channel.save()
        assert citizens.write_once(PERSONAS[0]).status_code == 202
        conversation = Conversation.objects.get()
        message = check_send_reply(conversation.pk, agent, "U kunt online een afspraak maken.")
        run_ready_tasks()
        message.refresh_from_db()
        assert message.delivery_status == "sent"
        assert message.provider_id.startswith("sim-")
        assert citizens.replies[0]["text"] == "U kunt online een afspraak maken."
        assert citizens.replies[0]["to"] == {"kind": "email", "value": PERSONAS[0].email}
    finally:
        citizens.stop()


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_callback_marks_the_reply_failed(live_server, channel, agent):
    """When the callback refuses, the message is failed with the error for the agent."""
    channel.settings = {"callback_url": f"{live_server.url}/bestaat-niet"}
    channel.save()
    _post(f"{live_server.url}/webhooks/api/{channel.key}/", FORM)
    message = check_send_reply(Conversation.objects.get().pk, agent, "Hallo")
    run_ready_tasks()
    message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert message.error_code == "404"
