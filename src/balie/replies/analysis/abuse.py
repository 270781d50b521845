"""Likely abusive messages: insults, threats, sexist or discriminatory language.

A maintained word list (``data/*.txt``, one file per category; ``data/README.md`` says how
entries are written) plus rules for threats and phrases. Matching is on whole words, also when
written with repeated letters, l33t digits or separators between the letters. The result is a
flag for the agent with what triggered it; Balie never acts on it by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: l33t and masking characters read as the letters they stand for; one character for one
#: character, so a match's span in the normalised text is its span in the original.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "€": "e", "!": "i", "|": "i"})  # fmt: skip
_SEPARATOR = r"[.\-_*]?"
_LETTER_BEFORE = r"(?<![^\W_])"
_LETTER_AFTER = r"(?![^\W_])"


@dataclass(frozen=True)
class Trigger:
    """What made a message look abusive: the category (file) and the words as written."""

    category: str
    match: str

    def __str__(self) -> str:
        return f"{self.category}: {self.match}"


@dataclass(frozen=True)
class _Category:
    name: str
    pattern: re.Pattern[str] | None  # the words, in one alternation
    rules: tuple[re.Pattern[str], ...]


def normalise(text: str) -> str:
    """Lower case with l33t characters replaced, of the same length as ``text``."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer ("İ")
        lowered = "".join(c.lower()[:1] or c for c in text)
    return lowered.translate(_LEET)


def _word_pattern(entry: str) -> str:
    """A word as a pattern: each letter may repeat, separators may stand between letters."""
    prefix = entry.endswith("*")
    word = entry.rstrip("*")
    parts = []
    for char in word:
        if char == " ":
            parts.append(r"\s+")
        else:
            parts.append(re.escape(char) + "+")
    body = _SEPARATOR.join(parts).replace(_SEPARATOR + r"\s+" + _SEPARATOR, r"\s+")
    return body + (r"\w*" if prefix else "")


@cache
def categories() -> tuple[_Category, ...]:
    """The categories with their compiled words and rules (read once from ``data/``)."""
    out = []
    data = resources.files("balie.replies.analysis") / "data"
    for item in sorted(data.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".txt") or item.name == "allow.txt":
            continue
        words, rules = [], []
        for line in item.read_text(encoding="utf-8").splitlines():
            entry = line.strip()
            if not entry or entry.startswith("#"):
                continue
            if entry.startswith("re:"):
                rules.append(re.compile(entry[3:]))
            else:
                words.append(_word_pattern(entry.lower()))
        words.sort(key=len, reverse=True)
        pattern = (
            re.compile(f"{_LETTER_BEFORE}(?:{'|'.join(words)}){_LETTER_AFTER}") if words else None
        )
        out.append(_Category(item.name.removesuffix(".txt"), pattern, tuple(rules)))
    return tuple(out)


@cache
def allowed_words() -> frozenset[str]:
    """Words never flagged although a prefix entry matches them (``data/allow.txt``)."""
    text = (resources.files("balie.replies.analysis") / "data" / "allow.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip()[:1] not in ("", "#")
    )


def abusive(text: str) -> tuple[bool, list[Trigger]]:
    """Whether ``text`` should be flagged to the agent, and every trigger (category, words)."""
    normal = normalise(text)
    allow = allowed_words()
    triggers: list[Trigger] = []
    seen: list[tuple[int, int]] = []
    for category in categories():
        found = list(category.pattern.finditer(normal)) if category.pattern else []
        for rule in category.rules:
            found.extend(rule.finditer(normal))
        for match in found:
            span = match.span()
            inside = any(start <= span[0] and span[1] <= end for start, end in seen)
            if inside or match.group(0).strip() in allow:
                continue
            seen.append(span)
            triggers.append(Trigger(category.name, text[span[0] : span[1]]))
    return bool(triggers), triggers
