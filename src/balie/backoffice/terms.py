"""Terms on the calendar: a task's deadline on the receiving team's calendar, the next opening
for out-of-hours replies, and the promise written out for the citizen in Dutch or English.

Built on the pure business-time functions of ``balie.sla.businesstime`` and the calendars the
organisations app keeps per organisation, team and channel.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from balie.sla.businesstime import (
    Calendar,
    NoOpening,
    add_business_minutes,
    closing_time,
    is_open_day,
)
from balie.sla.calendars import calendar_for

if TYPE_CHECKING:
    from balie.channels.models import Channel
    from balie.organisations.models import Organisation, Team, Topic

DAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_NL = (
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
    "september", "oktober", "november", "december",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip
#: the longest term anyone may set by hand
MAX_TERM_DAYS = 366


def calendar_of(
    organisation: Organisation, team: Team | None = None, channel: Channel | None = None
) -> Calendar:
    """The calendar that applies (the organisations app's, with team and channel overrides)."""
    return calendar_for(organisation, team=team, channel=channel)


def add_working_days(cal: Calendar, at: datetime, days: int) -> datetime:
    """The closing time of the ``days``-th open day after ``at``'s day (a term of working
    days: "binnen 3 werkdagen" ends at closing time on the third open day after today).

    A 24/7 calendar counts calendar days, ending at the same time of day.
    """
    if days < 1:
        raise ValueError("a term is at least one working day")
    if cal.always_open:
        return (at + timedelta(days=days)).astimezone(cal.zone)
    day = at.astimezone(cal.zone).date()
    counted = 0
    for _ in range(MAX_TERM_DAYS * 2):
        day += timedelta(days=1)
        if is_open_day(cal, day):
            counted += 1
            if counted == days:
                found = closing_time(cal, day)
                assert found is not None  # an open day has a closing time
                return found
    raise NoOpening(f"no {days} open days within {MAX_TERM_DAYS * 2} days")


def default_due(
    organisation: Organisation, team: Team, topic: Topic | None, at: datetime
) -> datetime:
    """The default deadline of a task forwarded at ``at``: the topic's term (or the
    organisation's default in working days) on the team's calendar."""
    from balie.backoffice.models import CarePolicy, TermUnit, TopicTerm

    cal = calendar_of(organisation, team=team)
    term = TopicTerm.objects.filter(topic=topic).first() if topic is not None else None
    if term is not None and term.unit == TermUnit.BUSINESS_MINUTES:
        return add_business_minutes(cal, at, term.amount)
    if term is not None:
        return add_working_days(cal, at, max(term.amount, 1))
    policy = CarePolicy.objects.filter(organisation=organisation).first()
    return add_working_days(cal, at, policy.default_term_days if policy else 3)


def local_day(at: datetime, cal: Calendar) -> date:
    """The calendar date of ``at`` in the calendar's zone."""
    return at.astimezone(cal.zone).date()


def written_time(at: time, language: str) -> str:
    """``12.00`` (Dutch) or ``12:00`` (English)."""
    sep = "." if language == "nl" else ":"
    return f"{at.hour:02d}{sep}{at.minute:02d}"


def written_date(at: datetime, language: str) -> str:
    """``maandag 1 december`` / ``Monday 1 December`` (the instant's local date)."""
    if language == "nl":
        return f"{DAYS_NL[at.weekday()]} {at.day} {MONTHS_NL[at.month - 1]}"
    return f"{DAYS_EN[at.weekday()]} {at.day} {MONTHS_EN[at.month - 1]}"


def written_due(at: datetime, language: str) -> str:
    """``maandag 1 december vóór 12.00 uur`` / ``Monday 1 December before 12:00`` (local)."""
    if language == "nl":
        return f"{written_date(at, 'nl')} vóór {written_time(at.time(), 'nl')} uur"
    return f"{written_date(at, 'en')} before {written_time(at.time(), 'en')}"


def weekday_name(at: datetime, language: str) -> str:
    """``zaterdag`` / ``Saturday``."""
    return (DAYS_NL if language == "nl" else DAYS_EN)[at.weekday()]


__all__ = [
    "Calendar",
    "NoOpening",
    "add_working_days",
    "calendar_of",
    "default_due",
    "written_due",
]
