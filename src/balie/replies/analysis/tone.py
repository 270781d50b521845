"""Tone: would this citizen rather be addressed with *u* (formal) or *je* (informal)?

A transparent rule set: each rule is a pattern, a side (``u`` or ``je``) and a weight; every
match becomes a :class:`Reason` the agent sees ("'kunt u' — verb form with u, +3"). The sides'
weights are summed over the citizen's messages; the larger side wins, a tie or no cue at all
gives ``None`` (the organisation's default applies). Rules read lower-cased text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Tone = Literal["u", "je"]


@dataclass(frozen=True)
class Rule:
    """One cue: a regular expression, the tone it points to, its weight and what it means."""

    key: str
    pattern: re.Pattern[str]
    tone: Tone
    weight: int
    label: str


@dataclass(frozen=True)
class Reason:
    """A rule that matched: what matched, the tone it points to and its weight."""

    rule: str
    label: str
    match: str
    tone: Tone
    weight: int

    def __str__(self) -> str:
        return f"'{self.match}': {self.label} ({self.tone} +{self.weight})"


def _rule(key: str, pattern: str, tone: Tone, weight: int, label: str) -> Rule:
    return Rule(key, re.compile(pattern, re.IGNORECASE), tone, weight, label)


_FORMAL_VERBS = r"kunt|kon|heeft|had|bent|was|wilt|wil|zou|zoudt|mag|moet|weet|gaat|hoeft|kent"
_INFORMAL_VERBS = r"kun|kan|kon|heb|had|ben|was|wil|zou|mag|moet|weet|ga|hoef|ken|snap|zie"
#: Pictographs, dingbats and the like: emoji point to an informal register.
_EMOJI = "[\U0001f300-\U0001faff\u2600-\u27bf\U0001f000-\U0001f2ff]"

RULES: tuple[Rule, ...] = (
    # verb forms first: "kunt u" is a stronger cue than a bare "u"
    _rule("verb_u", rf"\b(?:{_FORMAL_VERBS})\s+u\b", "u", 3, "verb form with u"),
    _rule("verb_je", rf"\b(?:{_INFORMAL_VERBS})\s+(?:je|jij)\b", "je", 3, "verb form with je"),
    _rule("pronoun_u", r"\b(?:u|uw|uzelf)\b", "u", 2, "formal pronoun"),
    _rule("pronoun_je", r"\b(?:jij|jou|jouw|jullie|jezelf)\b", "je", 2, "informal pronoun"),
    # a bare "je" is often impersonal ("je moet een formulier invullen"): a weak cue
    _rule("pronoun_je_weak", r"\bje\b", "je", 1, "informal pronoun 'je'"),
    _rule("greeting_formal", r"\b(?:geachte|hoogachtend)\b", "u", 3, "formal greeting"),
    _rule(
        "greeting_polite",
        r"\b(?:goedemorgen|goedemiddag|goedenavond|goedendag|met vriendelijke groet|mvg)\b",
        "u",
        1,
        "polite greeting",
    ),
    _rule("greeting_beste", r"\bbeste\b", "u", 1, "greeting 'Beste'"),
    _rule("title", r"\b(?:meneer|mevrouw|mijnheer|heer|dhr|mevr)\b\.?", "u", 1, "title"),
    _rule(
        "greeting_informal",
        r"\b(?:hoi+|hey+|hee+|heey+|hi|hallo+o|yo|doei|groetjes|gr|thanks|thx|top)\b",
        "je",
        2,
        "informal greeting",
    ),
    _rule("emoji", _EMOJI, "je", 1, "emoji"),
    _rule("emoticon", r"(?:[:;]-?[)(dp]|\bxd\b|\bhaha\w*|\blol\b)", "je", 1, "emoticon or laugh"),
)

#: At most this many matches of one rule count (a long letter full of "u" is not 20 times
#: more formal than one sentence).
MAX_MATCHES_PER_RULE = 3


def tone(texts: Iterable[str]) -> tuple[Tone | None, list[Reason]]:
    """The suggested tone for a citizen's messages, with every cue that led to it.

    A verb form ("kunt u") also contains a pronoun: the pronoun rule skips the spans a verb
    rule already counted, so one phrase counts once.
    """
    reasons: list[Reason] = []
    for text in texts:
        reasons.extend(_reasons(text))
    score: dict[Tone, int] = {"u": 0, "je": 0}
    for reason in reasons:
        score[reason.tone] += reason.weight
    if score["u"] == score["je"]:
        return None, reasons
    return ("u" if score["u"] > score["je"] else "je"), reasons


def _reasons(text: str) -> list[Reason]:
    taken: list[tuple[int, int]] = []
    out: list[Reason] = []
    for rule in RULES:
        count = 0
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            out.append(Reason(rule.key, rule.label, match.group(0), rule.tone, rule.weight))
            count += 1
            if count >= MAX_MATCHES_PER_RULE:
                break
    return out
