"""Tone and language variants of named texts (WhatsApp message templates), pure.

The link between the variants of one text is a naming rule, because a WhatsApp template's
name is all Meta keeps (lower-case letters, digits and underscores, one name per language):
``<base>_u`` is the formal variant of ``<base>``, ``<base>_je`` the informal one, and a name
without either ending is a variant for both tones. ``afspraak_herinnering_u`` and
``afspraak_herinnering_je`` are thus one template to the agent; the conversation's tone (the
agent's choice, else Balie's suggestion, else u) decides which is offered or sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

#: name endings that mark a tone variant
SUFFIXES = {"_je": "je", "_u": "u"}


def split_tone(name: str) -> tuple[str, str]:
    """``("afspraak", "je")`` for ``afspraak_je``; ``(name, "")`` for a name without a tone."""
    for suffix, tone in SUFFIXES.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], tone
    return name, ""


def language_rank(language: str, wanted: str) -> int:
    """0 for the wanted language (``en_US`` counts as ``en``), 1 for Dutch, 2 for any other."""
    base = language.replace("-", "_").split("_")[0].lower()
    if base == wanted:
        return 0
    return 1 if base == "nl" else 2


def tone_rank(tone: str, wanted: str) -> int:
    """0 for the wanted tone, 1 for a variant without a tone, 2 for the other tone."""
    if tone == wanted:
        return 0
    return 1 if not tone else 2


def pick(
    items: Iterable[T],
    *,
    name: Callable[[T], str],
    language: Callable[[T], str],
    wanted_language: str,
    wanted_tone: str,
) -> list[T]:
    """One item per base name: the wanted language (else Dutch, else any) and the wanted tone
    (else the tone-less variant, else the other tone); ordered by base name."""
    best: dict[str, tuple[tuple[int, int, str], T]] = {}
    for item in items:
        base, tone = split_tone(name(item))
        rank = (
            language_rank(language(item), wanted_language),
            tone_rank(tone, wanted_tone),
            name(item),
        )
        if base not in best or rank < best[base][0]:
            best[base] = (rank, item)
    return [best[base][1] for base in sorted(best)]
