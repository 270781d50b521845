"""The calendar a conversation runs on: the channel's, else the team's, else the organisation's.

``calendar_for`` is cached per process and keyed by a version in Django's cache, which every
calendar change bumps (so every process, also behind Redis, sees a change at its next call).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from balie.core.errors import InvalidInput
from balie.core.events import publish
from balie.organisations.models import Calendar as CalendarRow
from balie.organisations.models import Organisation
from balie.sla.businesstime import DAYS, Calendar, CalendarError, always_open
from balie.sla.events import CalendarChanged

VERSION_KEY = "balie:sla:calendars"
_cache: dict[tuple[int, int, int | None, int | None], Calendar] = {}


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return int(version)


def forget_calendars() -> None:
    """Every process reads calendars afresh at its next call (after a change)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted)
        cache.set(VERSION_KEY, 2, timeout=None)
    _cache.clear()


def _id(value: Any) -> int | None:
    return None if value is None else int(getattr(value, "pk", value))


def calendar_for(organisation: Any, team: Any = None, channel: Any = None) -> Calendar:
    """The business-time calendar for work of ``organisation`` (and its team and channel).

    Each argument is a model instance or its id. Without a calendar row the organisation's
    ``business_hours`` and time zone apply, without public holidays (empty hours: 24/7).
    """
    org_id, team_id, channel_id = _id(organisation), _id(team), _id(channel)
    assert org_id is not None
    key = (_version(), org_id, team_id, channel_id)
    found = _cache.get(key)
    if found is None:
        if len(_cache) > 10_000:
            _cache.clear()
        found = _cache[key] = _load(org_id, team_id, channel_id)
    return found


def _load(org_id: int, team_id: int | None, channel_id: int | None) -> Calendar:
    wanted = Q(team__isnull=True, channel__isnull=True)
    if team_id is not None:
        wanted |= Q(team_id=team_id)
    if channel_id is not None:
        wanted |= Q(channel_id=channel_id)
    rows = list(CalendarRow.objects.filter(wanted, organisation_id=org_id))
    for row in sorted(rows, key=lambda r: (r.channel_id is None, r.team_id is None)):
        return Calendar.from_json(row.as_json())
    org = Organisation.objects.only("time_zone", "business_hours").get(pk=org_id)
    hours = org.business_hours if isinstance(org.business_hours, dict) else {}
    if not any(hours.values()):
        return always_open(org.time_zone)
    return Calendar.from_json(
        {"timezone": org.time_zone, "hours": {day: hours.get(day, []) for day in DAYS}}
    )


def check_calendar(data: dict[str, Any]) -> Calendar:
    """Validate a calendar in the DESIGN.md shape; InvalidInput naming the bad field."""
    try:
        return Calendar.from_json(data)
    except CalendarError as error:
        raise InvalidInput(str(error), code="invalid_calendar") from error


def do_save_calendar(row: CalendarRow) -> CalendarRow:
    """Validate and save a calendar row, and have open conversations' due times follow.

    Publishes CalendarChanged (its handler recomputes every running clock of the organisation
    in one bulk pass) and makes every process read calendars afresh.
    """
    check_calendar(row.as_json())
    with transaction.atomic():
        row.save()
        publish(CalendarChanged(organisation_id=row.organisation_id, calendar_id=row.pk))
        _forget_now_and_on_commit()
    return row


def do_delete_calendar(row: CalendarRow) -> None:
    """Remove a calendar override (or the organisation's calendar) and recompute."""
    with transaction.atomic():
        organisation_id = row.organisation_id
        row.delete()
        publish(CalendarChanged(organisation_id=organisation_id, calendar_id=None))
        _forget_now_and_on_commit()


def _forget_now_and_on_commit() -> None:
    # now, for this transaction's own reads; again after commit, since another process may
    # have cached the old rows under the new version in between
    forget_calendars()
    transaction.on_commit(forget_calendars)
