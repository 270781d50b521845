"""The variables of canned replies and greetings: ``{naam}``, ``{voornaam_medewerker}``,
``{termijn}``, ``{openingstijden}``, ``{volgende_opening}``.

:func:`fill` is pure: a known variable without a value stays visible as ``[termijn]`` so the
agent fills it in before sending (the composer never sends by itself). :func:`values_for`
gathers the values of one conversation: opening hours and the next opening come from the
calendar of its organisation, team and channel (``balie.sla.calendars.calendar_for``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING

from balie.core import clock
from balie.sla.businesstime import Calendar, NoOpening, next_opening
from balie.sla.calendars import calendar_for

if TYPE_CHECKING:
    from balie.conversations.models import Conversation
    from balie.organisations.models import Agent

VARIABLES = ("naam", "voornaam_medewerker", "termijn", "openingstijden", "volgende_opening")
_VARIABLE = re.compile(r"\{(\w+)\}")
_DAY_NAMES = {
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def fill(body: str, values: Mapping[str, str]) -> str:
    """``body`` with its variables replaced; a known one without a value becomes ``[name]``,
    an unknown ``{word}`` stays as written."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in VARIABLES:
            return match.group(0)
        return values.get(name) or f"[{name}]"

    return _VARIABLE.sub(one, body)


def unknown_variables(body: str) -> list[str]:
    """The ``{names}`` in ``body`` that are not variables (for the admin's validation)."""
    return sorted({m.group(1) for m in _VARIABLE.finditer(body)} - set(VARIABLES))


def opening_hours_text(cal: Calendar, language: str = "nl") -> str:
    """``ma 08.30–17.00; di …`` from a calendar's weekly hours; around the clock in words."""
    if cal.always_open:
        return "dag en nacht" if language == "nl" else "day and night"
    names = _DAY_NAMES.get(language, _DAY_NAMES["en"])
    parts = []
    for weekday, name in enumerate(names):
        blocks = cal.hours.get(weekday, ())
        if blocks:
            spans = ", ".join(f"{_clock(a)}–{_clock(b, end=True)}" for a, b in blocks)
            parts.append(f"{name} {spans}")
    return "; ".join(parts)


def _clock(value: time, *, end: bool = False) -> str:
    return "24.00" if end and value == time(0, 0) else f"{value:%H.%M}"


def moment_text(at: datetime, language: str = "nl") -> str:
    """``ma 1 dec 08.30`` (Dutch) or ``Mon 1 Dec 08.30`` in ``at``'s own time zone."""
    names = _DAY_NAMES.get(language, _DAY_NAMES["en"])
    months = _MONTHS.get(language, _MONTHS["en"])
    return f"{names[at.weekday()]} {at.day} {months[at.month - 1]} {at:%H.%M}"


def next_opening_text(cal: Calendar, language: str = "nl") -> str:
    """When the calendar opens next (now, if it is open); '' when it never does."""
    try:
        at = next_opening(cal, clock.now())
    except NoOpening:
        return ""
    return moment_text(at.astimezone(cal.zone), language)


def values_for(
    conversation: Conversation, agent: Agent | None, *, term: str = ""
) -> dict[str, str]:
    """The variables' values for ``conversation`` answered by ``agent``."""
    cal = calendar_for(conversation.organisation, conversation.team_id, conversation.channel_id)
    language = conversation.language or "nl"
    name = conversation.party.display_name if conversation.party_id else ""
    return {
        "naam": name,
        "voornaam_medewerker": (agent.display_name.split() or [""])[0] if agent else "",
        "termijn": term,
        "openingstijden": opening_hours_text(cal, language),
        "volgende_opening": next_opening_text(cal, language),
    }
