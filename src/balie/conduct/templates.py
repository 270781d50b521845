"""The message of a step: the stored template in the conversation's language and tone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from balie.conduct.defaults import LANGUAGES, default_text
from balie.conduct.models import ConductTemplate, Tone
from balie.conduct.workflow import MESSAGE_STEPS, Step

#: the languages the seeded templates cover; others fall back to Dutch
DEFAULT_LANGUAGE = "nl"


def language_for(conversation_language: str) -> str:
    """The template language for a conversation: its own when templates exist, else Dutch."""
    code = (conversation_language or "").lower()[:2]
    if code and (code in LANGUAGES or ConductTemplate.objects.filter(language=code).exists()):
        return code
    return DEFAULT_LANGUAGE


def until_text(until: datetime | None, language: str, zone: str) -> str:
    """The block's end in words for the citizen, in the organisation's time zone."""
    if until is None:
        return "for an indefinite period" if language == "en" else "voor onbepaalde tijd"
    local = until.astimezone(ZoneInfo(zone or "Europe/Amsterdam"))
    when = local.strftime("%d-%m-%Y %H:%M")
    return f"until {when}" if language == "en" else f"tot {when}"


def render(step: Step, language: str, tone: str, *, until: str = "") -> str:
    """The template text of ``step``: the stored one, else the shipped one (empty only for a
    step that sends nothing)."""
    if step not in MESSAGE_STEPS:
        return ""
    tone = tone if tone in Tone.values else Tone.FORMAL
    found = (
        ConductTemplate.objects.filter(step=step, language__in=[language, DEFAULT_LANGUAGE])
        .filter(tone=tone)
        .order_by("-language")  # "nl" sorts after "en": prefer the asked language below
    )
    by_language = {t.language: t.body for t in found}
    body = (
        by_language.get(language)
        or by_language.get(DEFAULT_LANGUAGE)
        or default_text(step, language, tone)
        or default_text(step, DEFAULT_LANGUAGE, tone)
    )
    return body.replace("{until}", until)
