"""What WhatsApp said is kept: full texts, the citizen's own time for the 24-hour window, the
time of every delivery status (failed is final), usernames, changed numbers, the unsupported
message's own type and the audio codec; through the real webhook and worker path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction

from balie.channels.simulators.whatsapp_payloads import envelope, message, message_value
from balie.channels.whatsapp.templates import reply_options
from balie.conversations.actions import check_send_reply, do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Attachment, Conversation, Direction, Message
from balie.core.errors import WorkflowViolation
from balie.parties.models import DigitalAddress
from tests.whatsapp.conftest import PHONE_NUMBER_ID
from tests.whatsapp.helpers import last_inbound, status_payload

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FATIMA = "31612345678"


def webhook(*messages: dict[str, Any], wa_id: str = FATIMA, **contact: Any) -> dict[str, Any]:
    """A messages webhook from one citizen."""
    value = message_value(wa_id, "Fatima el Amrani", list(messages), contact.get("user_id", ""))
    if "username" in contact:
        value["contacts"][0]["profile"]["username"] = contact["username"]
    return envelope(PHONE_NUMBER_ID, "31201234567", "messages", value)


def text(body: str, at: datetime, wa_id: str = FATIMA, **kwargs: Any) -> dict[str, Any]:
    """One text message written at ``at``."""
    return message(wa_id, "text", {"body": body}, timestamp=int(at.timestamp()), **kwargs)


@pytest.fixture
def now(time_machine):  # type: ignore[no-untyped-def]
    """The clock, frozen at T0."""
    time_machine.move_to(T0, tick=False)
    return T0


def test_a_long_text_arrives_whole(deliver, now):
    """A 4,105-character text is stored to its last character."""
    body = "Geachte gemeente, " + "x" * 4077 + " Groet, F."
    assert len(body) == 4105
    deliver(webhook(text(body, now)))
    assert last_inbound().body == body


def test_long_names_captions_and_addresses_are_not_cut(deliver, now):
    """Captions, locations and shared contact names keep their full length."""
    caption = "c" * 5000
    address = "Spui 70, " + "a" * 600
    deliver(
        webhook(
            message(FATIMA, "image", {"id": "1", "mime_type": "image/jpeg", "caption": caption}),
            message(FATIMA, "location", {"latitude": 52.1, "longitude": 4.3, "address": address}),
        )
    )
    bodies = list(
        Message.objects.filter(direction=Direction.INBOUND).values_list("body", flat=True)
    )
    assert caption in bodies
    # the street and number may be masked at rest (privacy policy); the length is kept
    assert any("a" * 600 in body for body in bodies)


def test_an_old_redelivered_message_does_not_open_the_window(deliver, agent, now):
    """A message written nine days ago and delivered now leaves the window closed."""
    written = now - timedelta(days=9)
    deliver(webhook(text("Ik wacht nog steeds", written)))
    conversation = last_inbound().conversation
    assert conversation.last_inbound_at == written
    assert not reply_options(conversation, now).free_form
    with pytest.raises(WorkflowViolation) as refused:
        check_send_reply(conversation.pk, agent, "Antwoord")
    assert refused.value.code == "whatsapp_window_closed"


def test_the_window_counts_from_when_the_citizen_wrote(deliver, agent, now, time_machine):
    """Written an hour before Balie received it, the window closes 23 hours later."""
    deliver(webhook(text("Vraag", now - timedelta(hours=1))))
    conversation = last_inbound().conversation
    time_machine.shift(timedelta(hours=22, minutes=59))
    check_send_reply(conversation.pk, agent, "Nog op tijd")
    time_machine.shift(timedelta(minutes=2))
    with pytest.raises(WorkflowViolation):
        check_send_reply(conversation.pk, agent, "Te laat")


def test_a_late_older_message_never_moves_the_window_back(deliver, now):
    """An older message arriving after a newer one leaves last_inbound_at at the newer."""
    deliver(webhook(text("Nieuw", now)))
    deliver(webhook(text("Oud", now - timedelta(hours=5))))
    conversation = Conversation.objects.get()
    assert conversation.last_inbound_at == now
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 2


def test_a_timestamp_in_the_future_counts_as_now(deliver, now):
    """A sender's clock ahead of ours opens the window no further than now."""
    deliver(webhook(text("Uit de toekomst", now + timedelta(hours=3))))
    assert Conversation.objects.get().last_inbound_at == now


def test_within_one_batch_the_latest_message_counts(deliver, now):
    """Several messages in one webhook: the window counts from the latest of them."""
    deliver(
        webhook(
            text("Eerste", now - timedelta(hours=2)),
            text("Laatste", now - timedelta(minutes=5)),
            text("Midden", now - timedelta(hours=1)),
        )
    )
    assert Conversation.objects.get().last_inbound_at == now - timedelta(minutes=5)


@pytest.fixture
def sent(deliver, agent, now, run_tasks):  # type: ignore[no-untyped-def]
    """An agent's reply, sent through the outbox to the simulator."""
    deliver(webhook(text("Vraag", now)))
    conversation = last_inbound().conversation
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")
    reply = check_send_reply(conversation.pk, agent, "Antwoord")
    run_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    return reply


def test_the_time_of_each_status_is_kept_and_shown(sent, deliver, now, api_client, time_machine):
    """delivered and read keep Meta's times; the API shows them next to the wamid."""
    time_machine.shift(60)
    delivered, read = now + timedelta(seconds=5), now + timedelta(seconds=9)
    deliver(status_payload(sent.provider_id, "read", timestamp=int(read.timestamp())))
    deliver(status_payload(sent.provider_id, "delivered", timestamp=int(delivered.timestamp())))
    sent.refresh_from_db()
    assert (sent.delivery_status, sent.delivered_at, sent.read_at) == ("read", delivered, read)
    assert sent.sent_at == now
    response = api_client.get(f"/api/v1/conversations/{sent.conversation_id}/messages/")
    shown = next(m for m in response.json()["results"] if m["id"] == sent.pk)
    assert shown["provider_id"] == sent.provider_id
    assert datetime.fromisoformat(shown["delivered_at"]) == delivered
    assert datetime.fromisoformat(shown["read_at"]) == read
    assert (shown["failed_at"], shown["error_code"]) == (None, "")


def test_failed_is_final(sent, deliver, now, time_machine):
    """A delivered or read report after failed leaves it failed, with its code and both times."""
    time_machine.shift(60)
    failed = now + timedelta(seconds=3)
    deliver(
        status_payload(
            sent.provider_id,
            "failed",
            error=(131026, "Message undeliverable", ""),
            timestamp=int(failed.timestamp()),
        )
    )
    deliver(status_payload(sent.provider_id, "delivered"))
    deliver(status_payload(sent.provider_id, "read"))
    sent.refresh_from_db()
    assert (sent.delivery_status, sent.error_code) == ("failed", "131026")
    assert sent.failed_at == failed
    assert sent.delivered_at == now + timedelta(seconds=60)


def test_a_status_time_is_kept_once(sent, deliver, now, time_machine):
    """A repeated report does not move the time already kept."""
    time_machine.shift(120)
    first = now + timedelta(seconds=5)
    deliver(status_payload(sent.provider_id, "delivered", timestamp=int(first.timestamp())))
    deliver(status_payload(sent.provider_id, "delivered", timestamp=int(first.timestamp()) + 60))
    sent.refresh_from_db()
    assert sent.delivered_at == first


def test_a_username_is_kept_on_the_whatsapp_address(deliver, now):
    """A sender without a phone number keeps their WhatsApp username; a new one replaces it."""
    raw = text("Hallo", now, wa_id="", user_id="NL.777")
    deliver(webhook(raw, wa_id="", user_id="NL.777", username="fatima.ea"))
    address = DigitalAddress.objects.get()
    assert (address.kind, address.value, address.label) == ("whatsapp", "NL.777", "fatima.ea")
    raw = text("Nog een vraag", now, wa_id="", user_id="NL.777")
    deliver(webhook(raw, wa_id="", user_id="NL.777", username="fatima.new"))
    assert DigitalAddress.objects.get().label == "fatima.new"


def test_a_changed_number_adds_the_new_number_to_the_party(deliver, now):
    """A "changed number" system notice is kept and the new number joins the citizen's party."""
    deliver(webhook(text("Vraag", now)))
    party = last_inbound().conversation.party
    system = {
        "body": "User Fatima el Amrani changed from 31612345678 to 31698765432",
        "wa_id": "31698765432",
        "type": "user_changed_number",
    }
    notice = message(FATIMA, "system", system, timestamp=int(now.timestamp()) + 60)
    deliver(envelope(PHONE_NUMBER_ID, "31201234567", "messages", {"messages": [notice]}))
    stored = Message.objects.get(direction=Direction.SYSTEM)
    assert stored.body == system["body"]
    assert stored.metadata["whatsapp"]["new_wa_id"] == "31698765432"
    numbers = set(party.addresses.values_list("value", flat=True))
    assert numbers == {"+31612345678", "+31698765432"}
    assert Conversation.objects.get().last_inbound_at == now  # a notice, not the citizen


def test_an_unsupported_message_keeps_its_own_type(deliver, now):
    """An unsupported message keeps the type Meta names and its error."""
    raw = message(FATIMA, "unsupported", None, timestamp=int(now.timestamp()))
    raw["unsupported"] = {"type": "video_note"}
    deliver(webhook(raw))
    metadata = last_inbound().metadata["whatsapp"]
    assert metadata["type"] == "unsupported"
    assert metadata["unsupported_type"] == "video_note"
    assert metadata["error"]["code"] == "131051"


def test_a_voice_note_keeps_its_codec(deliver, simulator, now):
    """The MIME type of a voice note is kept whole: audio/ogg; codecs=opus."""
    mime = "audio/ogg; codecs=opus"
    media_id = simulator.add_media(b"OggS" + b"\x00" * 64, mime)
    deliver(webhook(message(FATIMA, "audio", {"id": media_id, "mime_type": mime, "voice": True})))
    attachment = Attachment.objects.get()
    assert attachment.file
    assert attachment.content_type == mime
