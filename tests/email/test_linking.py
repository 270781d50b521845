"""The late parent link goes through the conversations action ``do_link_replies``: the reply
that arrived first is linked when its parent comes, with a ``reply_linked`` event; a link
across conversations or one already made is not written again."""

from __future__ import annotations

import pytest
from django.db import transaction

from balie.channels.email.samples import build
from balie.conversations.actions.linking import do_link_replies
from balie.conversations.models import Message
from tests import factories
from tests.helpers import receive


def test_a_late_parent_links_the_waiting_reply_with_an_event(import_mail, events):
    """Reply first, parent later: the reply's reply_to is the parent, published once as
    reply_linked naming both and the conversation (JSON round-trip in publish)."""
    import_mail(
        build(
            message_id="<late-r@burger.example>",
            subject="Re: Afval",
            in_reply_to="<late-p@burger.example>",
            references=["<late-p@burger.example>"],
        )
    )
    assert events.named("reply_linked") == []
    import_mail(build(message_id="<late-p@burger.example>", subject="Afval"))
    reply = Message.objects.get(provider_id="<late-r@burger.example>")
    parent = Message.objects.get(provider_id="<late-p@burger.example>")
    assert reply.reply_to_id == parent.pk
    (linked,) = events.named("reply_linked")
    assert (linked.message_id, linked.reply_to_id, linked.conversation_id) == (
        reply.pk,
        parent.pk,
        reply.conversation_id,
    )
    assert linked.organisation_id == reply.conversation.organisation_id
    # importing the parent again (a duplicate) links nothing new
    import_mail(build(message_id="<late-p@burger.example>", subject="Afval"))
    assert len(events.named("reply_linked")) == 1


@pytest.mark.django_db
def test_the_action_skips_other_conversations_and_known_links(organisation, events):
    """A parent in another conversation, the message itself or an existing link: unchanged."""
    one = factories.ChannelFactory(organisation=organisation, key="een", kind="webchat")
    two = factories.ChannelFactory(organisation=organisation, key="twee", kind="webchat")
    first = receive(one, "Vraag", email="a@example.nl").message
    reply = receive(one, "Nog een vraag", email="a@example.nl").message
    elsewhere = receive(two, "Andere vraag", email="b@example.nl").message
    assert reply.conversation_id == first.conversation_id != elsewhere.conversation_id
    with transaction.atomic():
        assert do_link_replies({reply.pk: elsewhere, first.pk: first}) == []
        assert [m.pk for m in do_link_replies({reply.pk: first})] == [reply.pk]
        assert do_link_replies({reply.pk: first}) == []
    reply.refresh_from_db()
    assert reply.reply_to_id == first.pk
    assert len(events.named("reply_linked")) == 1
    with transaction.atomic():
        assert do_link_replies({}) == []
