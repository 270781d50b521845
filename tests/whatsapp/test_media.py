"""Inbound media: fetched by id from the Graph API simulator, checked, stored, and served to
agents of the organisation only."""

from __future__ import annotations

import base64
import hashlib

from rest_framework.test import APIClient

from balie.channels.simulators.whatsapp_payloads import envelope, message, message_value
from balie.channels.whatsapp.media import digest_matches
from balie.conversations.models import Attachment
from tests import factories
from tests.whatsapp.conftest import PHONE_NUMBER_ID
from tests.whatsapp.helpers import last_inbound

JPEG = b"\xff\xd8\xff\xe0" + b"foto van een kapotte lantaarnpaal" * 20


def media_webhook(kind: str, media_id: str, mime: str, sha256: str = "", **extra: str) -> dict:
    content = {"id": media_id, "mime_type": mime, "sha256": sha256, **extra}
    raw = message("31612345678", kind, content)
    value = message_value("31612345678", "Fatima el Amrani", [raw])
    return envelope(PHONE_NUMBER_ID, "31201234567", "messages", value)


def test_image_is_downloaded_and_stored_with_size_and_hash(deliver, simulator):
    """An inbound image is fetched through the Graph API and stored with size and SHA-256."""
    media_id = simulator.add_media(JPEG, "image/jpeg")
    deliver(media_webhook("image", media_id, "image/jpeg", caption="Lantaarnpaal"))
    attachment = Attachment.objects.get()
    assert attachment.message == last_inbound()
    assert attachment.message.body == "Lantaarnpaal"
    assert attachment.size == len(JPEG)
    assert attachment.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert attachment.content_type == "image/jpeg"
    with attachment.file.open("rb") as handle:
        assert handle.read() == JPEG


def test_hash_is_checked_in_hex_and_base64():
    """Meta gives SHA-256 as hex or base64; both match the right bytes and only those."""
    digest = hashlib.sha256(JPEG).digest()
    for expected in (digest.hex(), digest.hex().upper(), base64.b64encode(digest).decode()):
        assert digest_matches(JPEG, expected)
        assert not digest_matches(JPEG + b"x", expected)


def test_oversized_media_is_refused(deliver, simulator, wa_channel):
    """A file over the channel's limit is not downloaded; the message says why."""
    wa_channel.settings = {**wa_channel.settings, "max_media_bytes": 100}
    wa_channel.save()
    media_id = simulator.add_media(JPEG, "image/jpeg")
    deliver(media_webhook("image", media_id, "image/jpeg"))
    assert not Attachment.objects.get().file
    assert last_inbound().metadata["whatsapp"]["media_error"].startswith("media_too_large")


def test_unaccepted_type_is_refused(deliver, simulator):
    """A document of a type Balie does not accept is not stored."""
    media_id = simulator.add_media(b"MZ\x90\x00", "application/x-msdownload")
    deliver(media_webhook("document", media_id, "application/x-msdownload", filename="a.exe"))
    assert not Attachment.objects.get().file
    assert "media_type_refused" in last_inbound().metadata["whatsapp"]["media_error"]


def test_corrupt_download_is_retried_then_reported(deliver, simulator, run_tasks, time_machine):
    """A file whose hash does not match is retried with backoff, then reported."""
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    media_id = simulator.add_media(JPEG, "image/jpeg")
    simulator.state.media[media_id].data = JPEG + b"tampered"
    deliver(media_webhook("image", media_id, "image/jpeg"))
    for _ in range(5):
        time_machine.shift(3600)
        run_tasks()
    assert not Attachment.objects.get().file
    assert "media_corrupt" in last_inbound().metadata["whatsapp"]["media_error"]


def test_agent_of_the_organisation_downloads_the_file(deliver, simulator, api_client):
    """An agent of the organisation gets the file as a download with nosniff."""
    media_id = simulator.add_media(b"%PDF-1.7 aanvraag", "application/pdf")
    deliver(media_webhook("document", media_id, "application/pdf", filename="aanvraag.pdf"))
    attachment = Attachment.objects.get()
    response = api_client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 aanvraag"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="aanvraag.pdf"' in response["Content-Disposition"]


def test_others_cannot_download(deliver, simulator, client):
    """Anonymous callers are refused and agents of another organisation get a 404."""
    media_id = simulator.add_media(JPEG, "image/jpeg")
    deliver(media_webhook("image", media_id, "image/jpeg"))
    attachment = Attachment.objects.get()
    assert client.get(f"/attachments/{attachment.pk}/").status_code in {401, 403}
    outsider = factories.AgentFactory(user__username="buiten")
    other = APIClient()
    other.force_authenticate(outsider.user)
    assert other.get(f"/attachments/{attachment.pk}/").status_code == 404
