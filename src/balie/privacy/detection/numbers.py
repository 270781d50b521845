"""Numbers that identify a person: BSN, IBAN, passport and ID-card numbers, phone, e-mail.

One precompiled pattern per kind finds candidates; checksums (python-stdnum, phonenumbers)
and the cue words before a candidate decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.nl import bsn as stdnum_bsn

from balie.privacy.detection.context import amount_follows, last_cue
from balie.privacy.detection.spans import Span

_SEP = r"[ .\-\u00a0]"
_BSN = re.compile(
    rf"(?<![\w@/])(?:\d{{9}}|\d{{4}}{_SEP}\d{{2}}{_SEP}\d{{3}}|\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{3}}"
    rf"|\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{4}}|\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{4}})(?![\w@])"
)
_DIGIT_BEFORE = re.compile(r"(?:\d|\d[ .\-\u00a0]|[+€$])$")
_DIGIT_AFTER = re.compile(r"[ .\-,\u00a0]?\d")


def _part_of_longer_number(text: str, start: int, end: int) -> bool:
    return (
        _DIGIT_BEFORE.search(text, max(0, start - 2), start) is not None
        or _DIGIT_AFTER.match(text, end) is not None
    )


def find_bsn(text: str) -> Iterator[Span]:
    """Nine digits (grouped with spaces, dots or dashes) that pass the 11-proof, unless the
    words before call it something else (an order, case or phone number, an amount)."""
    for m in _BSN.finditer(text):
        start, end = m.span()
        if _part_of_longer_number(text, start, end) or amount_follows(text, end):
            continue
        if not stdnum_bsn.is_valid(re.sub(r"\D", "", m.group())):
            continue
        if last_cue(text, start) in {"document", "other"}:
            continue
        yield Span(start, end, "bsn")


# Two letters, two check digits, then 8 to 30 letters or digits, grouped or not.
_IBAN = re.compile(r"(?<![\w])(?:[A-Z]{2}|[a-z]{2})\d\d(?:[ \u00a0]?[A-Za-z0-9]){8,34}")
_TOKEN = re.compile(r"[A-Za-z0-9]+")


def find_iban(text: str) -> Iterator[Span]:
    """IBANs of any country whose mod-97 check and national format hold (python-stdnum); a
    word glued to the end is dropped."""
    for m in _IBAN.finditer(text):
        # The longest prefix ending at a group boundary that is a valid IBAN.
        ends = [t.end() for t in _TOKEN.finditer(m.group())]
        for cut in reversed(ends):
            candidate = m.group()[:cut]
            if len(candidate) >= 12 and stdnum_iban.is_valid(candidate):
                yield Span(m.start(), m.start() + cut, "iban")
                break


# Dutch passport and ID card: 2 letters, 6 letters or digits, 1 digit; never the letter O.
_NL_DOCUMENT = re.compile(r"(?<![\w])[A-NP-Z]{2}[A-NP-Z0-9]{6}[0-9](?![\w])")
# Any passport or ID-card number after its cue words ("paspoortnummer is …", "passport no.").
_DOCUMENT_BY_CUE = re.compile(
    r"(?:paspoort|passport|reisdocument|travel document|identiteitskaart|identity card"
    r"|\bid[- ]?(?:kaart|card)|\bdocument|\bdocnr|\bdoc\.? ?nr)\w*"
    r"(?:[\s.:#=()-]|\b(?:nummer|nr|no|number|num|is|was|van|mijn|my|the|de|het)\b)*"
    r"(?P<number>[A-Za-z0-9]{6,9})(?![\w])",
    re.IGNORECASE,
)
_HAS_DIGIT = re.compile(r"\d")


def find_document_number(text: str) -> Iterator[Span]:
    """Dutch passport and ID-card numbers (with or without cue words); other countries'
    passport numbers when the words before say so."""
    found: set[int] = set()
    for m in _DOCUMENT_BY_CUE.finditer(text):
        number = m.group("number")
        if _HAS_DIGIT.search(number):
            found.add(m.start("number"))
            yield Span(m.start("number"), m.end("number"), "document_number")
    for m in _NL_DOCUMENT.finditer(text):
        if m.start() in found or last_cue(text, m.start()) == "other":
            continue
        yield Span(m.start(), m.end(), "document_number")


# A phone number starts with +, 00 or a trunk 0 (a bare 9-digit number is not one).
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)[1-9]|\(?0)[\d ().\-\u00a0]{6,18}\d(?![\w])")
_BREAK = re.compile(r"\s{2,}|\n")
_NL_MOBILE = re.compile(r"(?:316|00316|06)\d{8}")
_NOT_DIGIT = re.compile(r"\D")


def find_phone(text: str, region: str = "NL") -> Iterator[Span]:
    """Phone numbers that phonenumbers holds valid (national numbers in ``region``)."""
    for m in _PHONE.finditer(text):
        if _BREAK.search(m.group()):
            continue
        try:
            number = phonenumbers.parse(m.group(), region)
        except phonenumbers.NumberParseException:
            continue
        # A Dutch mobile number (06 and eight digits) counts even in a range not yet issued.
        if phonenumbers.is_valid_number(number) or _NL_MOBILE.fullmatch(
            _NOT_DIGIT.sub("", m.group())
        ):
            yield Span(m.start(), m.end(), "phone")


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w])")


def find_email(text: str) -> Iterator[Span]:
    """E-mail addresses."""
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Span(m.start(), m.end(), "email")
