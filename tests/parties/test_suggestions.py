"""Suggesting parties to merge: a shared verified phone number or e-mail address."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from balie.parties.merge import check_dismiss, check_merge_parties, suggestions
from balie.parties.models import DigitalAddress
from tests import factories
from tests.parties.conftest import call, email, whatsapp

pytestmark = pytest.mark.django_db


def test_a_whatsapp_sender_and_a_caller_with_one_number_are_suggested(world) -> None:  # type: ignore[no-untyped-def]
    """WhatsApp's 31612345678 and the PBX's 06-12345678 are one number: one suggestion."""
    chat = whatsapp(world.wa, "31612345678")
    caller = call(world.pbx, "06-12345678")
    assert chat.pk != caller.pk  # each channel made its own party
    found = suggestions(world.org.pk)
    assert [(s.first_id, s.second_id, s.value) for s in found] == [
        (min(chat.pk, caller.pk), max(chat.pk, caller.pk), "+31612345678")
    ]
    assert found[0].kinds == ("phone",)


def test_the_channels_mark_only_what_they_verify(world) -> None:  # type: ignore[no-untyped-def]
    """WhatsApp numbers and the PBX's caller id are verified; an e-mail From and a withheld
    caller id are not."""
    whatsapp(world.wa, "31611111111")
    call(world.pbx, "+31 6 22222222")
    call(world.pbx, "anonymous")
    email(world.mail, "Jan@Example.nl")
    verified = dict(DigitalAddress.objects.values_list("value", "verified"))
    assert verified == {
        "+31611111111": True,
        "+31 6 22222222": True,
        "anonymous": False,
        "Jan@Example.nl": False,
    }
    assert DigitalAddress.objects.get(value="Jan@Example.nl").normalised == "jan@example.nl"


def test_an_unverified_address_is_never_suggested(world) -> None:  # type: ignore[no-untyped-def]
    """Two parties share an e-mail address, one side unverified: no suggestion."""
    email(world.mail, "jan@example.nl")
    other = factories.PartyFactory(organisation=world.org)
    factories.DigitalAddressFactory(party=other, value="JAN@example.nl", verified=True)
    assert suggestions(world.org.pk) == []
    DigitalAddress.objects.filter(value="jan@example.nl").update(verified=True)
    assert len(suggestions(world.org.pk)) == 1


def test_parties_of_two_organisations_are_never_suggested(world) -> None:  # type: ignore[no-untyped-def]
    """The same verified number in two organisations: neither organisation sees a pair."""
    whatsapp(world.wa, "31612345678")
    elsewhere = factories.ChannelFactory(organisation=world.other, kind="whatsapp", key="wa2")
    whatsapp(elsewhere, "31612345678")
    assert suggestions(world.org.pk) == []
    assert suggestions(world.other.pk) == []


def test_a_dismissed_or_merged_pair_is_not_suggested_again(world) -> None:  # type: ignore[no-untyped-def]
    """Dismissing removes the pair; merging removes the merged party from every pair."""
    a = whatsapp(world.wa, "31612345678")
    b = call(world.pbx, "0612345678")
    c = call(world.pbx, "+31612345678 ")  # a third spelling, a third party
    assert len(suggestions(world.org.pk)) == 3
    check_dismiss(a.pk, b.pk, world.supervisor, "twee gezinsleden, één telefoon")
    pairs = {(s.first_id, s.second_id) for s in suggestions(world.org.pk)}
    assert (min(a.pk, b.pk), max(a.pk, b.pk)) not in pairs
    assert len(pairs) == 2
    check_merge_parties(a.pk, c.pk, world.supervisor, "zelfde persoon")
    assert suggestions(world.org.pk) == []  # a–b dismissed, c merged into a


def test_the_hint_lists_only_the_pairs_of_one_party(world) -> None:  # type: ignore[no-untyped-def]
    """``party_id`` keeps the pairs with that party."""
    a = whatsapp(world.wa, "31612345678")
    b = call(world.pbx, "0612345678")
    whatsapp(world.wa, "31687654321")
    d = call(world.pbx, "0687654321")
    assert {s.second_id for s in suggestions(world.org.pk, party_id=b.pk)} == {b.pk}
    assert {s.first_id for s in suggestions(world.org.pk, party_id=a.pk)} == {a.pk}
    assert len(suggestions(world.org.pk, party_id=d.pk)) == 1


def test_suggestions_take_two_queries_however_many_parties(world) -> None:  # type: ignore[no-untyped-def]
    """One grouped query over the addresses plus one for the dismissals."""
    for n in range(30):
        whatsapp(world.wa, f"31612{n:06d}")
        call(world.pbx, f"0612{n:06d}")
    with CaptureQueriesContext(connection) as queries:
        found = suggestions(world.org.pk)
    assert len(found) == 30
    assert len(queries) == 2


def _mail(sender: str, message_id: str, in_reply_to: str = "") -> bytes:
    reply = f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else ""
    return (
        f"From: Jan Jansen <{sender}>\r\nTo: balie@gemeente.example\r\nSubject: Paspoort\r\n"
        f"Message-ID: {message_id}\r\n{reply}Date: Mon, 30 Nov 2026 10:00:00 +0100\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nDank u, het is gelukt.\r\n"
    ).encode()


def test_an_email_address_is_verified_once_its_owner_answers_balie(world) -> None:  # type: ignore[no-untyped-def]
    """A first mail leaves the From unverified; a reply naming Balie's Message-ID of a mail
    sent to that address verifies it; a reply from another address does not."""
    from balie.channels.email.intake import RawMail, ingest
    from balie.conversations.models import Direction, Message

    ingest(world.mail, [RawMail(_mail("Jan@Example.nl", "<eerste@mail.example>"))])
    address = DigitalAddress.objects.get(normalised="jan@example.nl")
    assert address.verified is False
    conversation = address.party.conversations.get()
    ours = "<0b5c1a7e-balie@gemeente.example>"
    Message.objects.create(  # the reply Balie's outbox sent (provider id: our Message-ID)
        conversation=conversation, channel=world.mail, direction=Direction.OUTBOUND,
        body="Uw paspoort ligt klaar.", provider_id=ours,
    )  # fmt: skip
    ingest(world.mail, [RawMail(_mail("collega@example.nl", "<doorgestuurd@x>", ours))])
    assert DigitalAddress.objects.get(normalised="collega@example.nl").verified is False
    ingest(world.mail, [RawMail(_mail("jan@example.nl", "<antwoord@mail.example>", ours))])
    address.refresh_from_db()
    assert address.verified is True
