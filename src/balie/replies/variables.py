"""The variables of canned replies and greetings: ``{naam}``, ``{voornaam_medewerker}``,
``{termijn}``, ``{openingstijden}``, ``{volgende_opening}``.

:func:`fill` is pure: a known variable without a value stays visible as ``[termijn]`` so the
agent fills it in before sending (the composer never sends by itself). :func:`values_for`
gathers the values of one conversation: opening hours and the next opening come from the
organisation's calendar (``balie.sla.businesstime``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from balie.core import clock
from balie.sla.businesstime import Calendar, CalendarError, NoOpening, next_opening

if TYPE_CHECKING:
    from balie.conversations.models import Conversation
    from balie.organisations.models import Agent, Organisation

VARIABLES = ("naam", "voornaam_medewerker", "termijn", "openingstijden", "volgende_opening")
_VARIABLE = re.compile(r"\{(\w+)\}")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
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


def calendar_of(organisation: Organisation) -> Calendar | None:
    """The organisation's opening hours as a calendar with Dutch public holidays; ``None``
    when it gives no hours (open around the clock)."""
    hours = organisation.business_hours or {}
    if not hours:
        return None
    try:
        return Calendar.from_json(
            {
                "timezone": organisation.time_zone,
                "hours": {day: hours.get(day, []) for day in _DAYS},
                "holidays": "NL",
            }
        )
    except CalendarError:
        return None


def opening_hours_text(organisation: Organisation, language: str = "nl") -> str:
    """``ma 08.30–17.00; di …`` from the organisation's hours ('' when none are set)."""
    names = _DAY_NAMES.get(language, _DAY_NAMES["en"])
    parts = []
    for day, name in zip(_DAYS, names, strict=True):
        blocks = (organisation.business_hours or {}).get(day) or []
        if blocks:
            spans = ", ".join(f"{a.replace(':', '.')}–{b.replace(':', '.')}" for a, b in blocks)
            parts.append(f"{name} {spans}")
    return "; ".join(parts)


def moment_text(at: datetime, language: str = "nl") -> str:
    """``ma 1 dec 08.30`` (Dutch) or ``Mon 1 Dec 08.30`` in ``at``'s own time zone."""
    names = _DAY_NAMES.get(language, _DAY_NAMES["en"])
    months = _MONTHS.get(language, _MONTHS["en"])
    return f"{names[at.weekday()]} {at.day} {months[at.month - 1]} {at:%H.%M}"


def next_opening_text(organisation: Organisation, language: str = "nl") -> str:
    """When the organisation opens next (now, if it is open), '' without a calendar."""
    cal = calendar_of(organisation)
    if cal is None:
        return ""
    try:
        at = next_opening(cal, clock.now())
    except NoOpening:
        return ""
    return moment_text(at.astimezone(cal.zone), language)


def values_for(
    conversation: Conversation, agent: Agent | None, *, term: str = ""
) -> dict[str, str]:
    """The variables' values for ``conversation`` answered by ``agent``."""
    organisation = conversation.organisation
    language = conversation.language or "nl"
    name = conversation.party.display_name if conversation.party_id else ""
    return {
        "naam": name,
        "voornaam_medewerker": (agent.display_name.split() or [""])[0] if agent else "",
        "termijn": term,
        "openingstijden": opening_hours_text(organisation, language),
        "volgende_opening": next_opening_text(organisation, language),
    }
