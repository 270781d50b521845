"""Who the citizen says they are (names where they introduce themselves or sign), and cues
of the special categories: health (``medical``) and criminal records (``criminal``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from balie.privacy.detection.spans import Span

_UP = r"[A-ZÀ-Ý]"
_LOW = r"[a-zà-ÿ]"
_PARTICLE = r"(?:van|de|der|den|te|ten|ter|el|al|bin|le|la|da|du|di|'t|op)"
# Words after "ik ben" / "I am" that are not a name.
_NOT_NAME = (
    r"(?!(?:Nederlander|Nederlandse?|Dutch|British|Duits|German|Belg|Marokkaan|Turks"
    r"|Ik|I|De|Het|Een|The|A|Op|In|At|On|Bij|Mijn|My|Geen|Niet|Not|Er|Hier|Here)\b)"
)
_NAME = (
    rf"{_NOT_NAME}{_UP}{_LOW}+(?:-{_UP}{_LOW}+)?"
    rf"(?:\s+(?:{_PARTICLE}\s+){{0,3}}{_NOT_NAME}{_UP}{_LOW}+(?:-{_UP}{_LOW}+)?){{0,3}}"
)
_INTRO = re.compile(
    r"(?i:\b(?:mijn naam is|mijn naam:|naam:|ik heet|ik ben|my name is|my name's|name:"
    r"|i am|i'm|im|this is|u spreekt met|je spreekt met|hier is))"
    rf"\s+(?P<name>{_NAME})"
)
_SIGNATURE = re.compile(
    r"(?i:\b(?:met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|hartelijke groet(?:en)?"
    r"|groetjes|groeten|groet|mvg|m\.v\.g\.?|gr|kind regards|best regards|regards|best"
    r"|thanks|thank you|cheers|bedankt|dank je wel|dankjewel|alvast bedankt))"
    rf"[,!.]?[ \t]*\n?[ \t]*(?P<name>{_NAME})[ \t]*[.!]?[ \t]*(?=\n|$)"
)


_NAME_CUES = (
    "naam",
    "heet",
    "ben ",
    "name",
    "i am",
    "i'm",
    "im ",
    "this is",
    "spreekt",
    "hier is",
    "groet",
    "mvg",
    "m.v.g",
    "gr",
    "regards",
    "best",
    "thank",
    "cheers",
    "bedankt",
    "dank",
)


def find_name(text: str) -> Iterator[Span]:
    """Names a citizen introduces themselves with, or signs with."""
    lower = text.lower()
    if not any(cue in lower for cue in _NAME_CUES):
        return
    for pattern in (_INTRO, _SIGNATURE):
        for m in pattern.finditer(text):
            yield Span(m.start("name"), m.end("name"), "name")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Cue words of the special categories; a word that starts with a stem counts too.
_MEDICAL_WORDS = _words(
    "ziek ziekte zieke kanker medicatie diagnose gediagnosticeerd diabetes suikerziekte "
    "operatie geopereerd depressief psycholoog psychiater psychose huisarts hiv aids "
    "epilepsie gehandicapt handicap rolstoel astma hartaanval beroerte ggz dialyse verslaafd "
    "verslaving cancer chemotherapy medication medicine medicines diagnosed diagnosis "
    "surgery pregnant pregnancy dementia depression depressed psychiatrist disabled "
    "disability wheelchair stroke illness dialysis addiction addicted"
)
_MEDICAL_STEMS = (
    "ziekenhuis",
    "chemo",
    "medicijn",
    "zwanger",
    "dement",
    "depressie",
    "hospital",
)
_CRIMINAL_WORDS = _words(
    "gevangenis gearresteerd arrestatie opgepakt veroordeeld veroordeling strafblad "
    "detentie celstraf strafzaak verdachte taakstraf enkelband tbs jail prison arrested "
    "arrest detained detention convicted conviction custody sentenced imprisoned"
)
_CRIMINAL_STEMS = ("gedetineerd",)
_PHRASES = re.compile(r"\b(?:(?P<medical>heart attack)|(?P<criminal>criminal record))\b")
_WORD = re.compile(r"[^\W\d_]+")


def find_special(text: str) -> Iterator[Span]:
    """Words that tell of someone's health (``medical``) or criminal record or detention
    (``criminal``): one pass over the words."""
    lower = text.lower()
    for m in _WORD.finditer(lower):
        word = m.group()
        if word in _MEDICAL_WORDS or word.startswith(_MEDICAL_STEMS):
            yield Span(m.start(), m.end(), "medical")
        elif word in _CRIMINAL_WORDS or word.startswith(_CRIMINAL_STEMS):
            yield Span(m.start(), m.end(), "criminal")
    if "heart" in lower or "criminal" in lower:
        for m in _PHRASES.finditer(lower):
            yield Span(m.start(), m.end(), m.lastgroup or "medical")
