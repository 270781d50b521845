"""The scan: every kind's finder over one text, overlaps settled."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from balie.privacy.detection.address import find_address
from balie.privacy.detection.dates import find_date_of_birth
from balie.privacy.detection.numbers import (
    find_bsn,
    find_document_number,
    find_email,
    find_iban,
    find_phone,
)
from balie.privacy.detection.people import find_name, find_special
from balie.privacy.detection.spans import Span, needs_redirect, settle

Finder = Callable[[str], Iterator[Span]]
# Finders that need a digit in the text, and those that may not.
_WITH_DIGITS: tuple[Finder, ...] = (
    find_iban,
    find_bsn,
    find_document_number,
    find_date_of_birth,
    find_phone,
    find_address,
)
_ALWAYS: tuple[Finder, ...] = (find_email, find_name, find_special)
_DIGIT = re.compile(r"\d")


def detect(text: str) -> list[Span]:
    """The personal data in ``text``: sorted, non-overlapping spans."""
    finders = _ALWAYS + _WITH_DIGITS if _DIGIT.search(text) else _ALWAYS
    return settle(span for find in finders for span in find(text))


def scan(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``balie privacy scan``: ``{"id","text"}`` in, ``{"id","spans","redirect"}`` out."""
    for item in items:
        spans = detect(item["text"])
        yield {
            "id": item["id"],
            "spans": [span.to_json() for span in spans],
            "redirect": needs_redirect(spans),
        }
