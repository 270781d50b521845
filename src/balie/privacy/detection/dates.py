"""Dates of birth: a date with a birth cue before it ("geboren op", "geb.", "DOB", "born on")
or just after it ("op 3 mei 2010 geboren"). Other dates (appointments, departures, deadlines,
expiry) are left alone."""

from __future__ import annotations

import re
from collections.abc import Iterator

from balie.privacy.detection.spans import Span

_MONTH = (
    r"(?:januari|january|jan|februari|february|feb|maart|march|mrt|mar|april|apr|mei|may"
    r"|juni|june|jun|juli|july|jul|augustus|august|aug|september|sept|sep|oktober|october"
    r"|okt|oct|november|nov|december|dec)\.?"
)
_D = r"(?:0?[1-9]|[12]\d|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
_Y4 = r"(?:1[89]|20)\d\d"
_DATE = (
    rf"(?:{_D}(?P<s>[-/. ]){_M}(?P=s)(?:{_Y4}|\d\d)(?!\d)"
    rf"|{_Y4}-{_M}-{_D}(?!\d)"
    rf"|{_D}(?:st|nd|rd|th|e|ste)?\s+(?:of\s+)?{_MONTH}\s+{_Y4}(?!\d)"
    rf"|{_MONTH}\s+{_D}(?:st|nd|rd|th)?,?\s+{_Y4}(?!\d))"
)
_CUE = (
    r"(?:geboortedatum|geboortedatm|geboorte\s?datum|geb\.\s?datum|geb\.|geb\b|geboren"
    r"|date\s+of\s+birth|birth\s?date|birthday|d\.o\.b\.?|\bdob\b|born|verjaardag)"
)
# Between the cue and the date: a few words, no digits, no end of sentence.
_BEFORE = re.compile(rf"{_CUE}[^\d\n!?;]{{0,30}}?(?P<date>{_DATE})", re.IGNORECASE)
_AFTER = re.compile(rf"(?P<date>{_DATE})[^\d\n.!?;]{{0,12}}\b(?:geboren|born)\b", re.IGNORECASE)


_CUE_WORDS = ("geb", "born", "birth", "dob", "d.o.b", "verjaardag")


def find_date_of_birth(text: str) -> Iterator[Span]:
    """Dates the text calls a date of birth."""
    lower = text.lower()
    if not any(cue in lower for cue in _CUE_WORDS):
        return
    for pattern in (_BEFORE, _AFTER):
        for m in pattern.finditer(text):
            yield Span(m.start("date"), m.end("date"), "date_of_birth")
