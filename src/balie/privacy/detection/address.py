"""Addresses in running text: a street with a house number (and addition), a postcode
(``1234 AB``) and a city, together or in part ("Kerkstraat 12a, 3512 AB Utrecht",
"Kerkstraat 12 in Utrecht", "3512 AB Utrecht", "postcode 3512AB")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from balie.privacy.detection.spans import Span

_UP = r"[A-ZÀ-Ý]"
_LOW = r"[a-zà-ÿ]"
_SUFFIX = (
    r"(?:straatweg|straat|laan|weg|plein|gracht|kade|singel|dijk|hof|pad|steeg|dreef|park"
    r"|plantsoen|markt|burgwal|baan|ring|erf|wal|veld|dam|haven|kwartier|allee|boulevard"
    r"|street|road|avenue|lane|drive)"
)
# A street name: capitalised words (with van/de/der/den between them) ending in a street
# word, or a few well-known names without one.
_STREET = (
    rf"(?:(?:{_UP}{_LOW}*\.?|van|de|der|den|het|'t|sint|st\.)\s+){{0,3}}"
    rf"{_UP}[\w'-]*?{_SUFFIX}"
    rf"|(?:Laan|Straat|Plein)\s+van\s+{_UP}[\w'-]+"
    rf"|(?:Brink|Spui|Markt|Dam|Kade|Plein|Voorstraat|Lange|Korte)"
)
_NUMBER = (
    r"\d{1,5}(?:[A-Za-z]{1,3}(?![\w])|-\d{1,4}|-[A-Za-z]{1,4}(?![\w])"
    r"|\s(?:bis|hs|huis|boven|zw|[1-9]?hg|[1-9]?h|[A-Z]|I{1,3}|IV|V)(?![\w]))?"
)
_POSTCODE = r"[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}"
_CITY_WORD = rf"(?:'s-)?{_UP}[\w'-]+"
# Words that start a sentence rather than continue a city's name.
_NOT_CITY = (
    r"(?!(?:Graag|Ik|Is|Kunt|Kan|Can|Please|Thanks|Dank|Mijn|My|En|And|De|Het|Tel|Email"
    r"|E-mail|I|We|Wij|Wat|What|Hoe|How|Groet|Regards|Postcode|Adres|Address)\b)"
)
_CITY = (
    rf"{_NOT_CITY}{_CITY_WORD}(?:\s+(?:aan|op|in|bij)(?:\s+(?:den|de|het))?\s+{_CITY_WORD}"
    rf"|\s+{_NOT_CITY}{_UP}{_LOW}+(?=[\s,.!?)]|$))?"
)
_ADDRESS = re.compile(
    rf"(?<![\w])(?P<street>{_STREET})\s+{_NUMBER}"
    rf"(?:,?\s+{_POSTCODE}(?:,?\s+{_CITY})?|(?:,\s*|\s+(?:in|te)\s+){_CITY})?(?![\w])"
    rf"|(?<![\w]){_POSTCODE}(?:,?\s+{_CITY})?(?![\w])"
)
# Words a street name's first capital may be that belong to the sentence instead.
_LEAD = re.compile(
    r"(?:(?:Adres|Address|Nieuw|Nieuwe\s+adres|Mijn|Ik|Wij|We|Op|In|Naar|Aan|At|I|My|Live"
    r"|Woon|Woonachtig|Tel|Email|Hallo|Hoi|Hi|Hello|Sinds|Vanaf|From|To|The|Het|De)\s+)+"
)


def find_address(text: str) -> Iterator[Span]:
    """Street and house number (with postcode and city), or postcode (with city)."""
    for m in _ADDRESS.finditer(text):
        start = m.start()
        if m.group("street"):
            lead = _LEAD.match(text, start, m.end("street"))
            if lead:
                start = lead.end()
                if not re.search(
                    _SUFFIX + "|Laan|Brink|Spui|Markt|Dam|Kade|Plein",
                    text[start : m.end("street")],
                    re.IGNORECASE,
                ):
                    continue
        yield Span(start, m.end(), "address")
