"""Detection: each kind on named examples, look-alikes left alone, and properties that hold
for any text (no crash, spans inside the text, sorted, non-overlapping)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balie.privacy.detection import KINDS, REDIRECT_KINDS, detect, needs_redirect


def found(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in detect(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mijn bsn is 111222333", [("bsn", "111222333")]),
        ("BSN: 1112.22.333, graag", [("bsn", "1112.22.333")]),
        ("burgerservicenummer 111 222 333", [("bsn", "111 222 333")]),
        ("bsn 111-222-333", [("bsn", "111-222-333")]),
        ("IBAN NL91 ABNA 0417 1643 00 graag", [("iban", "NL91 ABNA 0417 1643 00")]),
        ("naar nl91abna0417164300.", [("iban", "nl91abna0417164300")]),
        ("DE89370400440532013000 please", [("iban", "DE89370400440532013000")]),
        ("BE35 5486 5971 6637 voor de huur", [("iban", "BE35 5486 5971 6637")]),
        ("mijn paspoort SPECI2014 is weg", [("document_number", "SPECI2014")]),
        ("documentnummer nw4f2l8k1 kwijt", [("document_number", "nw4f2l8k1")]),
        ("NW4F2L8K1", [("document_number", "NW4F2L8K1")]),
        ("my passport number is C01X00T47", [("document_number", "C01X00T47")]),
        ("passport no. 123456789", [("document_number", "123456789")]),
        ("geboren op 12-03-1985 in Tilburg", [("date_of_birth", "12-03-1985")]),
        ("geb. 3 mei 1990", [("date_of_birth", "3 mei 1990")]),
        ("geboortedatum: 1985-03-12", [("date_of_birth", "1985-03-12")]),
        ("DOB 12/03/85", [("date_of_birth", "12/03/85")]),
        ("I was born on March 12, 1985", [("date_of_birth", "March 12, 1985")]),
        ("date of birth 12 March 1985", [("date_of_birth", "12 March 1985")]),
        ("mijn zoon is op 4-7-2012 geboren", [("date_of_birth", "4-7-2012")]),
        (
            "ik woon op Kerkstraat 12a, 3512 AB Utrecht.",
            [("address", "Kerkstraat 12a, 3512 AB Utrecht")],
        ),
        ("Burgemeester Visserplein 3 bis", [("address", "Burgemeester Visserplein 3 bis")]),
        (
            "Laan van Meerdervoort 110-2 in Den Haag",
            [("address", "Laan van Meerdervoort 110-2 in Den Haag")],
        ),
        ("postcode 2511 CV", [("address", "2511 CV")]),
        ("bel 06-12345678", [("phone", "06-12345678")]),
        ("+31 20 123 4567 of mail", [("phone", "+31 20 123 4567")]),
        ("mail naar jan.jansen@example.nl", [("email", "jan.jansen@example.nl")]),
        ("Mijn naam is Fatima el Amrani.", [("name", "Fatima el Amrani")]),
        ("my name is John Smith, hi", [("name", "John Smith")]),
        ("Met vriendelijke groet,\nPieter van der Linden", [("name", "Pieter van der Linden")]),
        ("ik lig in het ziekenhuis", [("medical", "ziekenhuis")]),
        ("mijn broer zit in de gevangenis", [("criminal", "gevangenis")]),
        ("he was arrested in Bali", [("criminal", "arrested")]),
    ],
)
def test_named_examples(text: str, expected: list[tuple[str, str]]) -> None:
    """Each kind is found with its exact span, in Dutch and English, grouped or not."""
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ordernummer 111222333 is niet aangekomen",  # passes the 11-proof, called an order
        "factuur 111222333 van 12 euro",
        "zaaknummer 111222333",
        "case number 111222333",
        "klantnummer 111222333",
        "mijn bsn is 123456789",  # fails the 11-proof
        "IBAN NL92 ABNA 0417 1643 00",  # wrong check digits
        "bedrag € 111.222.333",  # an amount
        "111222333 euro betaald",
        "vlucht KL1234 vertrekt om 10.30",
        "flight HV 6104 on 12 May 2026",
        "mijn afspraak is op 12-03-2026",  # an appointment, not a birth date
        "deadline 1 mei 2026, vertrek 3 juli 2026",
        "mijn paspoort verloopt op 12-08-2027",
        "ik ben geboren in 1985",  # a year is not a date of birth
        "referentie AB1234567 op de brief",
        "kenmerk ZK2024001 graag",
        "in 2024 ben ik verhuisd",
        "ik ben Nederlander en woon in Spanje",
        "ik ben op vakantie",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    """Order, invoice and case numbers, bad checksums, amounts, flights, other dates, years."""
    assert not needs_redirect(detect(text)), found(text)


def test_phone_number_is_not_a_bsn() -> None:
    """A phone number whose last nine digits pass the 11-proof is a phone number only."""
    assert found("bel me op +31 111222333 of 0111222333") == [
        ("phone", "+31 111222333"),
        ("phone", "0111222333"),
    ]
    assert "bsn" not in [k for k, _ in found("bel me op 06 111222333")]


def test_offsets_count_characters_of_the_text_as_given() -> None:
    """Emoji and accents before a number do not shift its span."""
    text = "😀 héél fijn, bsn 111222333"
    [span] = detect(text)
    assert text[span.start : span.end] == "111222333"


def test_several_items_in_one_message() -> None:
    """Every item of a message is found, in order."""
    text = "BSN 111222333, IBAN NL91ABNA0417164300, geb. 01-02-1980, tel 0612345678"
    assert [k for k, _ in found(text)] == ["bsn", "iban", "date_of_birth", "phone"]
    assert needs_redirect(detect(text))


def test_redirect_kinds() -> None:
    """The five redirect kinds are the ones DESIGN.md names."""
    assert {"bsn", "iban", "document_number", "date_of_birth", "address"} == REDIRECT_KINDS
    assert set(KINDS) > REDIRECT_KINDS


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *list("0123456789 .-/,:+@abcdeghlnoprstuvABNLMSOéü😀\n"),
                "bsn ",
                "geb. ",
                "IBAN ",
                "straat ",
                "mijn naam is ",
                "paspoort ",
                "06",
            ]
        ),
        max_size=80,
    ).map("".join)
)
def test_any_text_gives_sorted_disjoint_spans_inside_it(text: str) -> None:
    """For any text: no crash, spans within it, sorted and non-overlapping, known kinds."""
    spans = detect(text)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert span.kind in KINDS
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start
