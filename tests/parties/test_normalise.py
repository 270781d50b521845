"""Normalising digital addresses so the same phone number or e-mail address matches (pure)."""

from __future__ import annotations

import pytest

from balie.parties.normalise import mask, normalise


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        # one Dutch mobile number as three channels write it
        ("whatsapp", "31612345678", "+31612345678"),
        ("phone", "+31 6 12345678", "+31612345678"),
        ("phone", "06-12345678", "+31612345678"),
        ("phone", "0031 6 1234 5678", "+31612345678"),
        ("phone", "tel:+31-6-12345678", "+31612345678"),
        ("phone", "+31612345678", "+31612345678"),
        # a landline and foreign numbers
        ("phone", "020 555 1234", "+31205551234"),
        ("phone", "+1 650 253 0000", "+16502530000"),
        ("whatsapp", "16502530000", "+16502530000"),
        ("phone", "+32 470 12 34 56", "+32470123456"),
        # not numbers: never comparable
        ("phone", "anonymous", ""),
        ("phone", "12", ""),
        ("phone", "+31 6 123", ""),
        ("phone", "", ""),
        ("whatsapp", "US.13491208655302741918", ""),
        # e-mail: trimmed and lower-cased as a whole; dots and +tags kept
        ("email", "Jan.Jansen@Example.NL", "jan.jansen@example.nl"),
        ("email", " <jan@example.nl> ", "jan@example.nl"),
        ("email", "mailto:JAN@example.nl", "jan@example.nl"),
        ("email", "jan+balie@example.nl", "jan+balie@example.nl"),
        ("email", "j.an@example.nl", "j.an@example.nl"),
        ("email", "not an address", ""),
        ("email", "jan@localhost", ""),
        ("email", "@example.nl", ""),
        # platform-scoped ids match nothing on another channel
        ("messenger", "1234567890123456", ""),
        ("webchat", "jan@example.nl", ""),
    ],
)
def test_normalise_gives_one_spelling_per_address(kind: str, value: str, expected: str) -> None:
    """Each written form of an address normalises to its one comparable value (or "")."""
    assert normalise(kind, value) == expected


def test_the_three_channels_spellings_of_one_number_are_equal() -> None:
    """WhatsApp's wa_id, the PBX's caller id and a signature's number are the same value."""
    values = {
        normalise("whatsapp", "31612345678"),
        normalise("phone", "+31 6 12345678"),
        normalise("phone", "06-12345678"),
    }
    assert values == {"+31612345678"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+31612345678", "+316*****678"),
        ("jan.jansen@example.nl", "j***@example.nl"),
        ("+3161", "*****"),
    ],
)
def test_mask_hides_the_middle_of_a_value(value: str, expected: str) -> None:
    """A suggestion shows the shared address partly hidden."""
    assert mask(value) == expected
