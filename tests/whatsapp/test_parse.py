"""The webhook parser over recorded payloads of every message type (pure, no database)."""

from __future__ import annotations

import pytest

from balie.channels.whatsapp.parse import PayloadError, check_envelope, parse_webhook
from tests.whatsapp.conftest import fixture_json


def one(name: str):  # type: ignore[no-untyped-def]
    batch = parse_webhook(fixture_json(name))
    assert len(batch.messages) == 1
    return batch.messages[0]


def test_text_keeps_body_sender_and_time():
    """A text message yields its body, the sender's wa_id and profile name, and its time."""
    message = one("text")
    assert message.body.startswith("Hoe vraag ik een paspoort aan?")
    assert "🙂" in message.body
    assert message.sender.wa_id == "31612345678"
    assert message.sender.name == "Fatima el Amrani"
    assert message.sent_at is not None
    assert message.sent_at.year == 2025


@pytest.mark.parametrize(
    ("name", "kind", "mime"),
    [
        ("image", "image", "image/jpeg"),
        ("document", "document", "application/pdf"),
        ("audio", "audio", "audio/mpeg"),
        ("voice", "audio", "audio/ogg; codecs=opus"),
        ("video", "video", "video/mp4"),
        ("sticker", "sticker", "image/webp"),
    ],
)
def test_media_messages_carry_a_media_id_to_fetch(name, kind, mime):
    """Each media type yields a media id, its MIME type and hash, never a URL to follow."""
    message = one(name)
    assert message.type == kind
    assert message.media is not None
    assert message.media.media_id == message.metadata["media_id"]
    assert message.media.mime_type == mime
    assert message.media.sha256


def test_document_keeps_filename_and_caption():
    """A document keeps its file name and uses the caption as the body."""
    message = one("document")
    assert message.media.filename == "aanvraag.pdf"
    assert message.body == "Mijn aanvraag"


def test_voice_note_is_marked_as_voice():
    """A voice note is audio flagged as voice."""
    assert one("voice").metadata["voice"] is True
    assert "voice" not in one("audio").metadata


def test_location_reads_as_place_and_coordinates():
    """A location becomes a readable body with the coordinates kept in metadata."""
    message = one("location")
    assert message.body == "Stadhuis Den Haag, Spui 70, 2511 BT Den Haag (52.0799838, 4.3113461)"
    assert message.metadata["location"]["latitude"] == 52.0799838


def test_contacts_are_summarised_and_kept():
    """Shared contacts become a name-and-number line; the cards are kept whole."""
    message = one("contacts")
    assert message.body == "Piet Jansen +31 6 11122233"
    assert message.metadata["contacts"][0]["emails"][0]["email"] == "piet@example.nl"


def test_button_and_list_replies_carry_id_and_title():
    """Interactive replies yield the chosen title as body and the reply id, with context."""
    button = one("button_reply")
    assert (button.body, button.metadata["reply_id"]) == ("Ja, graag", "afspraak-ja")
    assert button.reply_to == "wamid.OUTBOUND0001"
    row = one("list_reply")
    assert (row.body, row.metadata["reply_id"]) == ("Paspoort", "paspoort")
    assert row.metadata["description"] == "Aanvragen of verlengen"


def test_template_quick_reply_keeps_payload():
    """A template quick-reply button yields its text and payload."""
    message = one("quick_reply")
    assert message.body == "Stop herinneringen"
    assert message.metadata["payload"] == "HERINNERING_STOP"


def test_reaction_names_its_target():
    """A reaction names the message reacted to and the emoji."""
    message = one("reaction")
    assert message.reaction_to == "wamid.OUTBOUND0001"
    assert message.emoji == "👍"


def test_unsupported_keeps_the_error():
    """An unsupported message is kept with Meta's error code and title."""
    message = one("unsupported")
    assert message.type == "unsupported"
    assert message.metadata["error"]["code"] == "131051"
    assert message.metadata["error"]["title"] == "Message type unknown"


def test_replies_and_forwards_are_marked():
    """A reply names the message it answers; a forward is flagged, frequently or not."""
    assert one("reply").reply_to == "wamid.HBgLMzE2MTIzNDU2NzgVAgASGBQzQTc00001"
    forwarded = one("forwarded")
    assert forwarded.metadata["forwarded"] is True
    assert forwarded.metadata["frequently_forwarded"] is True
    assert forwarded.reply_to == ""


def test_username_sender_is_identified_by_bsuid():
    """A sender without a phone number is identified by the business-scoped user id."""
    message = one("bsuid")
    assert message.sender.wa_id == ""
    assert message.sender.user_id == "NL.13491208655302741918"
    assert message.sender.name == "Anoniem"


def test_batch_flattens_entries_changes_and_messages():
    """Several entries, changes and messages in one POST all come out, in order."""
    batch = parse_webhook(fixture_json("batch"))
    assert [m.body for m in batch.messages] == ["Eerste", "Zweite Frage", "Derde", "Vierde"]
    assert [m.sender.name for m in batch.messages][:3] == [
        "Fatima el Amrani",
        "Jonas Weber",
        "Lotte Peeters",
    ]


def test_failed_status_carries_code_and_text():
    """A failed status carries Meta's error code and a readable text."""
    (status,) = parse_webhook(fixture_json("status_failed")).statuses
    assert status.status == "failed"
    assert status.error_code == "131047"
    assert status.error_text.startswith("Re-engagement message: Message failed to send")


def test_template_status_update():
    """A template review result names the template, language and new status."""
    (update,) = parse_webhook(fixture_json("template_status")).templates
    assert (update.name, update.language, update.status) == (
        "afspraak_herinnering",
        "nl",
        "APPROVED",
    )
    assert update.reason == ""


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": [1]},
    ],
)
def test_envelope_check_refuses_other_shapes(payload):
    """Only the whatsapp_business_account envelope with a list of entries passes."""
    with pytest.raises(PayloadError):
        check_envelope(payload)


def test_messages_without_id_or_sender_are_skipped():
    """A message lacking its wamid or any sender id is skipped, not stored half."""
    payload = fixture_json("text")
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    raw["from"] = ""
    assert parse_webhook(payload).messages == []
