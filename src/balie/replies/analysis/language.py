"""The language of a message, among the organisation's languages, with lingua.

lingua (Apache-2.0) computes a confidence per candidate language from character n-gram models;
Balie restricts it to the languages the organisation serves and takes the best only when it is
confident enough (:data:`THRESHOLD`). A short message ("ok", "dank je", "Hola") says too little:
it keeps the conversation's earlier language. Detectors are built lazily, once per set of
languages, and lingua loads each language's models on first use (about 30 MB a language), so a
process that never detects pays nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

#: The best candidate's confidence (0–1, summing to 1 over the candidates) must reach this.
THRESHOLD = 0.6
#: Shorter messages (stripped) or a single word keep the earlier language.
SHORT = 20
#: Without an earlier language, a short message is detected only when this sure.
SHORT_THRESHOLD = 0.9

_lock = threading.Lock()


@dataclass(frozen=True)
class Detection:
    """A detected language (ISO 639-1) or ``None`` when unsure; its confidence; ``kept``:
    the earlier language was kept because the message was too short to tell."""

    language: str | None
    confidence: float
    kept: bool = False


def supported(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes among ``codes`` that lingua can detect (sorted, unique). Papiamento, for one,
    is not among lingua's 75 languages."""
    from lingua import IsoCode639_1

    out = set()
    for code in codes:
        try:
            IsoCode639_1.from_str(code.lower())
        except ValueError:
            continue
        out.add(code.lower())
    return tuple(sorted(out))


@lru_cache(maxsize=8)
def _detector(codes: tuple[str, ...]) -> LanguageDetector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in codes]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detector(codes: tuple[str, ...]) -> LanguageDetector:
    """The detector for ``codes`` (built once per set, thread-safely)."""
    with _lock:
        return _detector(codes)


def is_short(text: str) -> bool:
    """Too short to tell a language by: under :data:`SHORT` characters or one word."""
    stripped = text.strip()
    return len(stripped) < SHORT or len(stripped.split()) < 2


def language(text: str, allowed: Iterable[str], previous: str | None = None) -> Detection:
    """The language of ``text`` among ``allowed`` (ISO 639-1 codes), or ``None`` when unsure.

    A short message keeps ``previous`` when there is one; with a single allowed language
    that language is the answer; languages lingua does not know are never returned.
    """
    codes = supported(allowed)
    if previous and is_short(text):
        return Detection(previous, 1.0, kept=True)
    if not codes or not text.strip():
        return Detection(None, 0.0)
    if len(codes) == 1:
        return Detection(codes[0], 1.0)
    values = detector(codes).compute_language_confidence_values(text)
    if not values:
        return Detection(None, 0.0)
    best = values[0]
    threshold = SHORT_THRESHOLD if is_short(text) else THRESHOLD
    code = best.language.iso_code_639_1.name.lower()
    if best.value < threshold:
        return Detection(None, round(best.value, 3))
    return Detection(code, round(best.value, 3))


def languages(
    texts: Iterable[str], allowed: Iterable[str], previous: str | None = None
) -> list[Detection]:
    """:func:`language` for many texts at once (one detector)."""
    allowed = tuple(allowed)
    return [language(text, allowed, previous) for text in texts]
