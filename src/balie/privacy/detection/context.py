"""Cue words just before a number: what the writer says it is."""

from __future__ import annotations

import re

#: How far before a number its cue may stand (characters).
WINDOW = 32

# The last cue before a number decides: a "bsn" after "ordernummer" still counts, and an
# order number after "mijn bsn staat niet op de factuur" does not.
_CUES = re.compile(
    r"(?P<bsn>\bbsn|burger\s?service\s?n|\bsofi|social security|citizen service number)"
    r"|(?P<document>paspoort|passport|\bid[- ]?(?:kaart|card)|identiteitskaart|identity card"
    r"|reisdocument|travel document|document\s?n|\bdocnr|\bdoc\.?\s?nr)"
    r"|(?P<other>order|bestel|factuur|invoice|\bklant|customer|\bzaak|\bcase\b|dossier|kenmerk"
    r"|referentie|reference|\bref\b|boeking|booking|ticket|vlucht|flight|\btel\b|telefoon"
    r"|\bbel\b|\bbellen|\bphone|\bcall\b|mobiel|mobile|polis|contract|abonnement|pakket"
    r"|tracking|artikel|bedrag|amount|betaal|betaald|paid|\beur\b|euro|€)",
    re.IGNORECASE,
)


def last_cue(text: str, start: int) -> str | None:
    """``"bsn"``, ``"document"``, ``"other"`` or None: the last cue in the window before
    ``start``."""
    found = None
    for m in _CUES.finditer(text, max(0, start - WINDOW), start):
        found = m.lastgroup
    return found


_AMOUNT_AFTER = re.compile(r"\s*(?:euro|eur\b|,-|,\d\d\b)", re.IGNORECASE)


def amount_follows(text: str, end: int) -> bool:
    """Whether the number ending at ``end`` is followed by a currency ("… euro", ",50")."""
    return _AMOUNT_AFTER.match(text, end) is not None
