"""The webhook's front door: the GET handshake and every way to knock wrongly."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from balie.channels.whatsapp.models import WebhookEvent
from balie.conversations.models import Message
from balie.parties.models import Party
from tests.whatsapp.conftest import fixture_bytes


def nothing_stored() -> bool:
    return not (WebhookEvent.objects.exists() or Message.objects.exists() or Party.objects.exists())


def test_handshake_echoes_the_challenge(client, wa_channel):
    """Mode subscribe with the right verify token answers 200 with the raw challenge."""
    response = client.get(
        f"/webhooks/whatsapp/{wa_channel.key}/",
        {
            "hub.mode": "subscribe",
            "hub.verify_token": "sim-verify-token",
            "hub.challenge": "1158201444",
        },
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    ("mode", "token"), [("subscribe", "wrong"), ("unsubscribe", "sim-verify-token"), ("", "")]
)
def test_handshake_checks_mode_and_token(client, wa_channel, mode, token):
    """A wrong token or a mode other than subscribe is refused with 403."""
    response = client.get(
        f"/webhooks/whatsapp/{wa_channel.key}/",
        {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "x"},
    )
    assert response.status_code == 403


def test_missing_signature_is_401(post_webhook):
    """An unsigned POST is refused with 401 and nothing is stored."""
    response = post_webhook(fixture_bytes("text"), signed=False)
    assert response.status_code == 401
    assert nothing_stored()


def test_wrong_signature_is_403(post_webhook):
    """A POST signed with another secret is refused with 403 and nothing is stored."""
    response = post_webhook(fixture_bytes("text"), sig="sha256=" + "0" * 64)
    assert response.status_code == 403
    assert nothing_stored()


def test_signature_covers_the_raw_bytes(post_webhook):
    """Re-encoding the JSON (unescaped unicode) breaks the signature: only raw bytes verify."""
    raw = fixture_bytes("text")
    from balie.channels.simulators.whatsapp_payloads import signature

    reencoded = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    response = post_webhook(reencoded, sig=signature("sim-app-secret", raw))
    assert response.status_code == 403
    assert nothing_stored()


def test_malformed_json_is_400(post_webhook):
    """A signed body that is not JSON is refused with 400."""
    response = post_webhook(b'{"object": "whatsapp_business_account", "entry": [')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert nothing_stored()


def test_json_of_another_shape_is_400(post_webhook):
    """Signed JSON that is not a WhatsApp Business Account webhook is refused with 400."""
    response = post_webhook({"object": "page", "entry": []})
    assert response.status_code == 400
    assert nothing_stored()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_oversized_body_is_413(post_webhook):
    """A body over the limit is refused with 413 before anything is parsed."""
    response = post_webhook(b'{"object": "' + b"x" * 2048 + b'"}')
    assert response.status_code == 413
    assert nothing_stored()


def test_wrong_content_type_is_415(post_webhook):
    """A form-encoded POST is refused with 415."""
    response = post_webhook(fixture_bytes("text"), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert nothing_stored()


def test_unknown_channel_key_is_404(client, db):
    """A webhook for a channel that does not exist is 404, not 5xx."""
    response = client.post("/webhooks/whatsapp/nope/", b"{}", content_type="application/json")
    assert response.status_code == 404


def test_acknowledgement_stores_the_raw_event_only(post_webhook, events):
    """A valid POST answers 200 after storing the raw bytes; messages come after commit."""
    raw = fixture_bytes("text")
    response = post_webhook(raw)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.body.encode() == raw
    assert event.processed_at is None
    assert not Message.objects.exists()
    assert [e.name for e in events] == ["whatsapp_webhook_received"]
