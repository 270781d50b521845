"""Writing calendars and service levels (idempotent: only real changes count and publish)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from balie.channels.models import Channel
from balie.organisations.models import Calendar as CalendarRow
from balie.organisations.models import Organisation, Team, Topic
from balie.sla.calendars import do_save_calendar
from balie.sla.models import Policy


def write_calendars(
    org: Organisation,
    calendars: list[dict[str, Any]],
    teams: dict[str, Team],
    counts: Counter[str],
) -> None:
    """Create or change each calendar; a change goes through ``do_save_calendar`` (recompute)."""
    channels = {c.key: c for c in Channel.objects.filter(organisation=org)}
    for item in calendars:
        team = teams.get(item["team"]) if item["team"] else None
        channel = channels.get(item["channel"]) if item["channel"] else None
        data = item["data"]
        values = {
            "time_zone": data["timezone"],
            "holidays_country": data["holidays"] or "",
            "hours": data["hours"],
            "closed_days": data["closed"],
            "open_days": data["open"],
        }
        row = CalendarRow.objects.filter(organisation=org, team=team, channel=channel).first()
        if row is None:
            row = CalendarRow(organisation=org, team=team, channel=channel, **values)
            counts["calendars created"] += 1
        elif all(getattr(row, key) == value for key, value in values.items()):
            continue
        else:
            for key, value in values.items():
                setattr(row, key, value)
            counts["calendars updated"] += 1
        do_save_calendar(row)


def write_service_levels(
    org: Organisation, policies: list[dict[str, Any]], counts: Counter[str]
) -> None:
    """Create or change each policy by name. Clocks already running keep their due times
    until they are recomputed (a move, a calendar change); new clocks use the new policy."""
    channels = {c.key: c for c in Channel.objects.filter(organisation=org)}
    topics = {t.code: t for t in Topic.objects.filter(organisation=org)}
    for item in policies:
        values = {
            "channel": channels.get(item["channel"]) if item["channel"] else None,
            "topic": topics.get(item["topic"]) if item["topic"] else None,
            "priority": item["priority"],
            "warning_percent": item["warning_percent"],
            "active": item["active"],
            "first_response": item["first_response"],
            "next_response": item["next_response"],
            "resolution": item["resolution"],
        }
        row = Policy.objects.filter(organisation=org, name=item["name"]).first()
        if row is None:
            Policy.objects.create(organisation=org, name=item["name"], **values)
            counts["service_levels created"] += 1
            continue
        changed = [key for key, value in values.items() if getattr(row, key) != value]
        if changed:
            for key in changed:
                setattr(row, key, values[key])
            row.save(update_fields=changed)
            counts["service_levels updated"] += 1
