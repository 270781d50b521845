"""Applying stored webhooks: messages of every type, parties, duplicates, reactions, batches."""

from __future__ import annotations

import json

import pytest

from balie.channels.whatsapp.ingest import process_event, sweep_unprocessed
from balie.channels.whatsapp.models import WebhookEvent
from balie.conversations.models import Conversation, Direction, Message
from balie.parties.models import DigitalAddress, Party
from tests.whatsapp.conftest import fixture_json


def inbound():  # type: ignore[no-untyped-def]
    """Inbound messages only (routing may send an automatic notice)."""
    return Message.objects.filter(direction=Direction.INBOUND)


ALL_MESSAGE_FIXTURES = [
    "text", "image", "document", "audio", "voice", "video", "sticker", "location",
    "contacts", "button_reply", "list_reply", "quick_reply", "unsupported", "reply", "forwarded",
]  # fmt: skip


@pytest.mark.parametrize("name", ALL_MESSAGE_FIXTURES)
def test_every_type_becomes_one_message(deliver, name):
    """Each recorded message type is stored as one inbound message with its type."""
    deliver(name)
    message = inbound().get()
    raw = fixture_json(name)["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message.provider_id == raw["id"]
    assert message.direction == Direction.INBOUND
    assert message.metadata["whatsapp"]["type"] == raw["type"]
    assert WebhookEvent.objects.get().processed_at is not None


def test_sender_becomes_party_with_verified_phone_and_country(deliver):
    """The profile name and wa_id make a party with a verified phone address; NL from +31."""
    deliver("text")
    party = Party.objects.get()
    assert party.display_name == "Fatima el Amrani"
    assert party.country == "NL"
    address = DigitalAddress.objects.get(party=party)
    assert (address.kind, address.value, address.verified) == ("phone", "+31612345678", True)


def test_username_sender_gets_a_party_without_phone(deliver):
    """A sender known only by BSUID gets a party addressed by that id, no phone invented."""
    deliver("bsuid")
    address = DigitalAddress.objects.get()
    assert (address.kind, address.value) == ("whatsapp", "NL.13491208655302741918")
    assert inbound().get().body == "Hallo, ik heb een vraag"


def test_known_phone_with_new_bsuid_keeps_the_party(deliver):
    """Someone known by phone who now also has a BSUID stays the same party."""
    deliver("text")
    payload = fixture_json("reply")
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["user_id"] = "NL.999"
    value["messages"][0]["from_user_id"] = "NL.999"
    deliver(payload)
    assert Party.objects.count() == 1
    assert set(DigitalAddress.objects.values_list("value", flat=True)) == {"+31612345678", "NL.999"}


def test_retried_delivery_stores_one_message(deliver, post_webhook, run_tasks):
    """Meta retrying the same POST three times still gives one message per wamid."""
    for _ in range(3):
        deliver("text")
    assert inbound().count() == 1
    assert WebhookEvent.objects.count() == 3
    assert Conversation.objects.count() == 1


def test_reply_links_to_the_message_it_answers(deliver):
    """A reply's context points at the earlier message in the same conversation."""
    deliver("text")
    deliver("reply")
    first, reply = inbound().order_by("pk")
    assert reply.reply_to_id == first.pk


def test_batch_with_several_entries_changes_and_senders(deliver):
    """One POST with two entries, three changes and four messages stores all four."""
    deliver("batch")
    assert inbound().count() == 4
    assert Party.objects.count() == 3
    countries = set(Party.objects.values_list("country", flat=True))
    assert countries == {"NL", "DE", "BE"}


def test_reaction_attaches_to_its_target_and_can_be_removed(deliver, wa_channel):
    """A reaction is recorded on the message it reacts to; an empty emoji removes it."""
    deliver("text")
    target = inbound().get()
    target.provider_id = "wamid.OUTBOUND0001"
    target.save()
    deliver("reaction")
    target.refresh_from_db()
    assert target.metadata["reactions"]["31612345678"]["emoji"] == "👍"
    assert inbound().count() == 1
    payload = fixture_json("reaction")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["emoji"] = ""
    deliver(payload)
    target.refresh_from_db()
    assert target.metadata["reactions"] == {}


def test_reaction_to_unknown_message_is_kept_with_its_target(deliver):
    """A reaction to a message Balie does not know is kept as a message naming its target."""
    deliver("reaction")
    message = inbound().get()
    assert message.body == "👍"
    assert message.metadata["whatsapp"]["type"] == "reaction"
    assert message.metadata["whatsapp"]["reaction_to"] == "wamid.OUTBOUND0001"
    assert WebhookEvent.objects.get().processed_at is not None
    deliver("reaction")  # a re-delivery stores it once
    assert inbound().count() == 1


def test_removing_a_reaction_to_an_unknown_message_stores_nothing(deliver):
    """Taking back a reaction on a message Balie does not know leaves nothing to store."""
    payload = fixture_json("reaction")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["emoji"] = ""
    deliver(payload)
    assert not inbound().exists()
    assert WebhookEvent.objects.get().processed_at is not None


def test_unsupported_message_records_its_error(deliver):
    """An unsupported message is stored with Meta's error code for the agent."""
    deliver("unsupported")
    metadata = inbound().get().metadata["whatsapp"]
    assert metadata["error"]["code"] == "131051"


def test_messages_for_another_number_are_skipped(deliver):
    """A change addressed to another phone number id is not stored on this channel."""
    payload = fixture_json("text")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    deliver(payload)
    assert not inbound().exists()


def test_events_are_processed_once(deliver, monkeypatch):
    """Processing an already processed event again changes nothing: it is not even parsed."""
    from balie.channels.whatsapp import ingest

    deliver("text")
    event = WebhookEvent.objects.get()

    def apply_again(events: list[WebhookEvent]) -> None:
        raise AssertionError("an applied event was applied again")

    monkeypatch.setattr(ingest, "_apply", apply_again)
    process_event(event.pk)
    ingest.process_events([event.pk])
    assert inbound().count() == 1
    assert WebhookEvent.objects.get().processed_at == event.processed_at


def test_sweep_applies_events_whose_task_was_lost(post_webhook, time_machine):
    """An event whose handler never ran is applied by the periodic sweep a minute later."""
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    post_webhook(json.dumps(fixture_json("text")).encode())
    assert sweep_unprocessed() == 0
    time_machine.shift(120)
    assert sweep_unprocessed() == 1
    assert inbound().count() == 1


def test_template_status_updates_the_registry(deliver, wa_channel):
    """message_template_status_update moves a template Balie submitted to its review status."""
    from balie.channels.whatsapp.models import MessageTemplate
    from balie.channels.whatsapp.templates import register_template

    register_template(wa_channel, "afspraak_herinnering", "nl", body="Uw afspraak is {{1}}.")
    deliver("template_status")
    template = MessageTemplate.objects.get(channel=wa_channel)
    assert (template.name, template.language, template.status) == (
        "afspraak_herinnering",
        "nl",
        "APPROVED",
    )
    assert template.provider_id


def test_template_status_for_an_unknown_template_adds_nothing(deliver, wa_channel):
    """A review result for a template Balie never submitted or fetched creates no row."""
    from balie.channels.whatsapp.models import MessageTemplate

    deliver("template_status")
    assert not MessageTemplate.objects.exists()
    assert WebhookEvent.objects.get().processed_at is not None


def test_a_failing_event_does_not_hold_up_its_batch(post_webhook, monkeypatch):
    """One event that cannot be applied keeps its error; the others of its batch are applied."""
    from balie.channels.whatsapp import ingest

    for n in range(3):
        payload = fixture_json("text")
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.batch{n}"
        post_webhook(json.dumps(payload).encode())
    ids = list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))
    real_apply = ingest._apply

    def apply(events: list[WebhookEvent]) -> None:
        if any(event.pk == ids[1] for event in events):
            raise ValueError("cannot apply")
        real_apply(events)

    monkeypatch.setattr(ingest, "_apply", apply)
    ingest.process_events(ids)
    assert inbound().count() == 2
    failed = WebhookEvent.objects.get(pk=ids[1])
    assert (failed.processed_at, failed.last_error) == (None, "ValueError: cannot apply")
    assert WebhookEvent.objects.filter(processed_at__isnull=False).count() == 2


def test_reaction_is_written_through_an_action_that_publishes_it(deliver, events, wa_channel):
    """Setting and removing a reaction each publish reaction_recorded with the organisation."""
    deliver("text")
    target = inbound().get()
    Message.objects.filter(pk=target.pk).update(provider_id="wamid.OUTBOUND0001")
    deliver("reaction")
    payload = fixture_json("reaction")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["emoji"] = ""
    deliver(payload)
    recorded = events.named("reaction_recorded")
    assert [(e.message_id, e.removed) for e in recorded] == [(target.pk, False), (target.pk, True)]
    assert recorded[0].organisation_id == wa_channel.organisation_id


def test_inbound_media_publishes_attachments_added_per_message(deliver, events):
    """An image message's attachment is added through the action: one event naming it."""
    deliver("image")
    message = inbound().get()
    (added,) = events.named("attachments_added")
    assert added.message_id == message.pk
    assert added.conversation_id == message.conversation_id
    assert added.attachment_ids == [message.attachments.get().pk]
