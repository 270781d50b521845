"""Full-text search over messages and party names (PostgreSQL full-text search, SQLite FTS5)."""

from __future__ import annotations

import pytest
from django.db import transaction

from balie.conversations.actions.privacy import do_mask_messages
from balie.conversations.actions.receive import InboundMessage, do_receive_messages
from balie.conversations.actions.reply import check_add_note
from balie.conversations.models import Conversation, Message
from balie.conversations.search import phone_suffix, search_conversations, tokens
from balie.parties.actions import AddressClaim, SenderIdentity
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def _found(query: str) -> set[int]:
    return set(search_conversations(Conversation.objects.all(), query).values_list("pk", flat=True))


@pytest.fixture
def paspoort(channel):  # type: ignore[no-untyped-def]
    return receive(
        channel,
        "Goedemiddag, mijn paspoort is verlopen en ik wil een afspraak maken. Café Öztürk",
        email="jan@example.nl",
        name="Jan Jansen",
    ).message.conversation


@pytest.fixture
def geenszins(channel):  # type: ignore[no-untyped-def]
    return receive(
        channel,
        "Ik ben geïnteresseerd in een parkeervergunning, bel me op 06-12345678",
        email="zeynep@example.nl",
        name="Zeynep Çelik",
    ).message.conversation


def test_a_word_finds_the_conversation_whose_message_has_it(paspoort, geenszins) -> None:  # type: ignore[no-untyped-def]
    """A word of a message finds its conversation and no other."""
    assert _found("paspoort") == {paspoort.pk}
    assert _found("parkeervergunning") == {geenszins.pk}


def test_partial_words_match_as_prefixes(paspoort, geenszins) -> None:  # type: ignore[no-untyped-def]
    """The start of a word is enough: ``parkeer`` finds ``parkeervergunning``."""
    assert _found("parkeer") == {geenszins.pk}
    assert _found("afspr") == {paspoort.pk}


def test_every_word_must_match(paspoort, geenszins) -> None:  # type: ignore[no-untyped-def]
    """Several words narrow the result: each must occur (AND, not OR)."""
    assert _found("paspoort verlopen") == {paspoort.pk}
    assert _found("paspoort parkeervergunning") == set()


def test_words_may_come_from_different_messages_of_one_conversation(paspoort, agent) -> None:  # type: ignore[no-untyped-def]
    """A conversation matches when each word occurs in it, a note or a later message included."""
    receive(paspoort.channel, "Ik kom morgen langs", email="jan@example.nl")
    check_add_note(paspoort.pk, agent, "Terugbellen over de leges")
    assert _found("paspoort morgen") == {paspoort.pk}
    assert _found("verlopen leges") == {paspoort.pk}
    assert _found("paspoort overmorgen") == set()


def test_a_masked_word_is_no_longer_found(paspoort) -> None:  # type: ignore[no-untyped-def]
    """Masking personal data takes its words out of the search (the conversation's words are
    rebuilt from its messages)."""
    message = paspoort.messages.get()
    start = message.body.index("paspoort")
    with transaction.atomic():
        do_mask_messages({message.pk: [(start, start + len("paspoort"), "document_number")]})
    assert _found("paspoort") == set()
    assert _found("verlopen") == {paspoort.pk}


def test_deleted_and_moved_messages_take_their_words_along(paspoort, geenszins) -> None:  # type: ignore[no-untyped-def]
    """A deleted message's words no longer find its conversation; a message moved to another
    conversation finds that one instead."""
    receive(paspoort.channel, "Kan ik ook met DigiD inloggen?", email="jan@example.nl")
    assert _found("digid") == {paspoort.pk}
    moved = Message.objects.get(body__contains="DigiD")
    Message.objects.filter(pk=moved.pk).update(conversation=geenszins)
    assert _found("digid") == {geenszins.pk}
    assert _found("paspoort") == {paspoort.pk}
    Message.objects.filter(pk=moved.pk).delete()
    assert _found("digid") == set()
    assert _found("parkeervergunning") == {geenszins.pk}


def test_a_batch_of_messages_is_searchable_at_once(channel) -> None:  # type: ignore[no-untyped-def]
    """Messages written together (one batch INSERT) are all found, each by its own words."""
    items = [
        (
            SenderIdentity(primary=AddressClaim("email", f"p{n}@example.nl"), name=f"P {n}"),
            InboundMessage(provider_id=f"batch-{n}", body=f"vraag over {word}"),
        )
        for n, word in enumerate(["afval", "afvalpas", "bijstand"])
    ]
    with transaction.atomic():
        results = do_receive_messages(channel, items)
    ids = [r.message.conversation_id for r in results]
    assert _found("afval") == {ids[0], ids[1]}
    assert _found("bijstand vraag") == {ids[2]}


def test_diacritics_are_ignored_both_ways(paspoort, geenszins) -> None:  # type: ignore[no-untyped-def]
    """``geinteresseerd`` finds ``geïnteresseerd``, ``CAFE`` finds ``Café`` and back."""
    assert _found("geinteresseerd") == {geenszins.pk}
    assert _found("geïnteresseerd") == {geenszins.pk}
    assert _found("CAFE ozturk") == {paspoort.pk}
    assert _found("Öztürk") == {paspoort.pk}


def test_party_names_are_searched(paspoort, geenszins) -> None:  # type: ignore[no-untyped-def]
    """The party's name finds its conversations, diacritics and case ignored."""
    assert _found("Jansen") == {paspoort.pk}
    assert _found("celik") == {geenszins.pk}
    assert _found("zeyn cel") == {geenszins.pk}


def test_a_renamed_party_is_found_by_its_new_name(paspoort) -> None:  # type: ignore[no-untyped-def]
    """The index follows changes to a party's name (trigger or expression index)."""
    party = paspoort.party
    party.display_name = "Johanna de Wit"
    party.save(update_fields=["display_name"])
    assert _found("johanna") == {paspoort.pk}
    assert _found("jansen") == set()


def test_phone_numbers_match_addresses_in_any_notation(organisation, channel) -> None:  # type: ignore[no-untyped-def]
    """``06-12345678``, ``+31 6 1234 5678`` and ``0031612345678`` find the party's number."""
    conversation = factories.ConversationFactory(organisation=organisation, channel=channel)
    factories.DigitalAddressFactory(party=conversation.party, kind="phone", value="+31612345678")
    other = factories.ConversationFactory(organisation=organisation, channel=channel)
    factories.DigitalAddressFactory(party=other.party, kind="phone", value="+31698765432")
    for query in ("06-12345678", "+31 6 1234 5678", "0031612345678", "0612345678"):
        assert _found(query) == {conversation.pk}, query


def test_phone_numbers_in_messages_are_found_as_written(geenszins) -> None:  # type: ignore[no-untyped-def]
    """A number written in a message is found as written there."""
    assert geenszins.pk in _found("06-12345678")
    assert _found("12345678") == {geenszins.pk}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"paspoort',
        "*",
        "paspoort*",
        "NEAR(paspoort afspraak)",
        "NEAR(",
        "-paspoort",
        "paspoort -",
        "'",
        "O'Brien",
        "a OR b AND NOT c",
        "paspoort:*",
        "!&|()<->",
        "{body}: x",
        "^paspoort",
        "\\",
        "%_",
        "\x00",
        "é" * 600,
    ],
)
def test_query_syntax_from_users_never_breaks_the_sql(paspoort, query: str) -> None:  # type: ignore[no-untyped-def]
    """Characters that mean something to FTS5 or tsquery are only word separators."""
    found = _found(query)
    assert found <= {paspoort.pk}


def test_quotes_and_operators_around_a_word_still_find_it(paspoort) -> None:  # type: ignore[no-untyped-def]
    """``"paspoort"``, ``paspoort*`` and ``(paspoort`` search for the word paspoort."""
    for query in ('"paspoort"', "paspoort*", "(paspoort", "-paspoort", "'paspoort'"):
        assert _found(query) == {paspoort.pk}, query


def test_a_query_without_words_leaves_the_list_as_it_is(paspoort, geenszins) -> None:  # type: ignore[no-untyped-def]
    """Only punctuation (or nothing) searches for nothing: the list stays unfiltered."""
    assert _found("  ") == {paspoort.pk, geenszins.pk}
    assert _found('"*"') == {paspoort.pk, geenszins.pk}


def test_search_narrows_the_scope_it_is_given(paspoort, organisation) -> None:  # type: ignore[no-untyped-def]
    """Search only narrows the queryset it gets; other organisations stay out of it."""
    other_org = factories.OrganisationFactory(slug="elders")
    other = factories.ChannelFactory(organisation=other_org, key="elders")
    foreign = receive(other, "Mijn paspoort is kwijt", email="x@example.nl").message.conversation
    scoped = Conversation.objects.filter(organisation=organisation)
    assert set(search_conversations(scoped, "paspoort").values_list("pk", flat=True)) == {
        paspoort.pk
    }
    assert foreign.pk in _found("paspoort")


def test_tokens_and_phone_detection_are_plain_functions() -> None:
    """The query is cut into folded words; only digit-like queries count as phone numbers."""
    assert tokens('"Één" NEAR(café) -x') == ["een", "near", "cafe", "x"]
    assert phone_suffix("+31 (0)6 1234-5678") == "612345678"
    assert phone_suffix("paspoort 12345678") is None
    assert phone_suffix("12345") is None
