"""Receiving inbound messages: exactly once, the right party, the right conversation."""

from __future__ import annotations

import pytest
from django.db import transaction

from balie.conversations.actions import InboundMessage, check_change_status, do_receive_message
from balie.conversations.models import Conversation, Message
from balie.parties.actions import AddressClaim, SenderIdentity, country_of_number
from balie.parties.models import DigitalAddress, Party
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def test_the_same_provider_id_is_stored_once(channel, events):
    """A retried delivery returns the first message and publishes nothing new."""
    first = receive(channel, provider_id="form-1")
    count = len(events)
    again = receive(channel, provider_id="form-1")
    assert not again.created
    assert again.message.pk == first.message.pk
    assert Message.objects.count() == 1
    assert len(events) == count


def test_a_second_message_joins_the_open_conversation(channel):
    """The same sender writing again while the conversation is open adds to it."""
    one = receive(channel, "Vraag 1")
    two = receive(channel, "Vraag 2")
    assert one.message.conversation_id == two.message.conversation_id
    assert Party.objects.count() == 1


def test_a_message_after_closing_starts_a_new_conversation(channel, agent):
    """Once closed, a conversation takes no new messages; a new one opens."""
    one = receive(channel)
    with transaction.atomic():
        check_change_status(one.message.conversation_id, "closed", actor=agent, reason="spam")
    two = receive(channel)
    assert two.conversation_created
    assert Conversation.objects.count() == 2


def test_writing_after_resolution_reopens_into_the_queue(channel, agent, events):
    """A citizen writing to a resolved conversation brings it back to the queue."""
    one = receive(channel)
    with transaction.atomic():
        check_change_status(one.message.conversation_id, "resolved", actor=agent)
    receive(channel, "Ik heb nog een vraag")
    conversation = Conversation.objects.get()
    assert conversation.status == "queued"
    assert events.named("conversation_status_changed")[-1].reason == "the citizen wrote again"


def test_a_whatsapp_style_sender_gets_a_verified_phone_and_a_country(channel):
    """A verified phone-number sender becomes a party with its country from the number."""
    with transaction.atomic():
        result = do_receive_message(
            channel,
            SenderIdentity(
                primary=AddressClaim("whatsapp", "34612345678", verified=True),
                name="Lucía",
                extra=(AddressClaim("phone", "+34612345678", verified=True),),
            ),
            InboundMessage(provider_id="wamid.1", body="Hola"),
        )
    party = result.message.conversation.party
    assert party.country == "ES"
    assert DigitalAddress.objects.filter(party=party, verified=True).count() == 2


def test_country_of_number_handles_garbage():
    """An unparseable number has no country rather than an error."""
    assert country_of_number("not a number") == ""
    assert country_of_number("31612345678") == "NL"


def test_topic_and_language_hints_set_the_conversation(channel, organisation):
    """The topic code and language the channel reports are set on a new conversation."""
    from tests.factories import TopicFactory

    TopicFactory(organisation=organisation, code="paspoort-id", priority=2)
    result = receive(channel, topic_code="paspoort-id", language="en")
    conversation = result.message.conversation
    assert (conversation.topic.code, conversation.language, conversation.priority) == (
        "paspoort-id",
        "en",
        2,
    )
