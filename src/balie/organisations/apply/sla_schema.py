"""Validation of calendars (``[[calendars]]``) and service levels (``[[service_levels]]``).

A calendar without ``team`` or ``channel`` is the organisation's; with one of them it
overrides it for that team's or channel's conversations. ``always_open = true`` is a 24/7
calendar. Rules have the shape of ``balie sla due``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from balie.organisations.apply.validator import Path, Validator
from balie.sla.businesstime import DAYS, Calendar, CalendarError
from balie.sla.rules import Rule

CALENDAR_KEYS = {
    "team",
    "channel",
    "time_zone",
    "holidays",
    "hours",
    "closed",
    "open",
    "always_open",
}
TARGETS = ("first_response", "next_response", "resolution")


def validate_calendar(
    v: Validator, raw: Any, path: Path, teams: set[str], channels: set[str]
) -> dict[str, Any]:
    """One calendar: its scope (team or channel) and its DESIGN.md-shaped definition."""
    t = v.table(raw, path, CALENDAR_KEYS, set())
    team, channel = v.string(t, "team", path), v.string(t, "channel", path)
    if team and channel:
        v.problem((*path, "channel"), "a calendar is for a team or for a channel, not both")
    if team and team not in teams:
        v.problem((*path, "team"), f"unknown team {team!r}")
    if channel and channel not in channels:
        v.problem((*path, "channel"), f"unknown channel {channel!r}")
    always = v.boolean(t, "always_open", path, False)
    hours_raw = t.get("hours", {})
    if always and "hours" in t:
        v.problem((*path, "hours"), "a calendar that is always open has no hours")
    if not isinstance(hours_raw, dict):
        v.problem((*path, "hours"), "must be a table of weekday = periods")
        hours_raw = {}
    for day in sorted(set(hours_raw) - set(DAYS)):
        v.problem((*path, "hours", day), f"unknown day (use {', '.join(DAYS)})")
    full = [["00:00", "24:00"]]
    hours = {day: full if always else hours_raw.get(day, []) for day in DAYS}
    data = {
        "timezone": v.string(t, "time_zone", path, default="Europe/Amsterdam"),
        "hours": hours,
        "holidays": (None if always else v.string(t, "holidays", path, default="NL")) or None,
        "closed": _dates(v, t.get("closed", []), (*path, "closed")),
        "open": _dates(v, t.get("open", []), (*path, "open")),
    }
    try:
        Calendar.from_json(data)
    except CalendarError as error:
        v.problem(path, str(error).removeprefix("calendar."))
    return {"team": team, "channel": channel, "data": data}


def _dates(v: Validator, raw: Any, path: Path) -> list[str]:
    if not isinstance(raw, list):
        v.problem(path, "must be a list of dates like [2026-12-24]")
        return []
    out: list[str] = []
    for i, item in enumerate(raw):
        if isinstance(item, date):
            out.append(item.isoformat())
            continue
        try:
            out.append(date.fromisoformat(str(item)).isoformat())
        except ValueError:
            v.problem((*path, i), f"{item!r} is not a date like 2026-12-24")
    return out


def validate_service_level(
    v: Validator, raw: Any, path: Path, refs: tuple[set[str], set[str]]
) -> dict[str, Any]:
    """One policy: its scope (channel, topic, priority) and its targets."""
    channels, topics = refs
    allowed = {"name", "channel", "topic", "priority", "warning_percent", "active", *TARGETS}
    t = v.table(raw, path, allowed, {"name"})
    channel, topic = v.string(t, "channel", path), v.string(t, "topic", path, pattern=None)
    if channel and channel not in channels:
        v.problem((*path, "channel"), f"unknown channel {channel!r}")
    if topic and topic not in topics:
        v.problem((*path, "topic"), f"unknown topic {topic!r}")
    priority = t.get("priority")
    if priority is not None:
        priority = v.integer(priority, (*path, "priority"), 0, 10)
    targets: dict[str, dict[str, Any] | None] = {}
    for target in TARGETS:
        value = t.get(target)
        if value is None:
            targets[target] = None
            continue
        try:
            targets[target] = Rule.from_json(value).to_json()
        except CalendarError as error:
            v.problem((*path, target), str(error).removeprefix("rule: "))
            targets[target] = None
    if not any(targets.values()):
        v.problem(path, f"give at least one target ({', '.join(TARGETS)})")
    return {
        "name": v.string(t, "name", path),
        "channel": channel,
        "topic": topic,
        "priority": priority,
        "warning_percent": v.integer(
            t.get("warning_percent", 80), (*path, "warning_percent"), 1, 99
        ),
        "active": v.boolean(t, "active", path, True),
        **targets,
    }


def check_slugs(v: Validator, items: list[dict[str, Any]], section: str) -> None:
    """At most one calendar per scope."""
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        scope = (item["team"], item["channel"])
        if scope in seen:
            v.problem((section, i), "a second calendar for the same scope")
        seen.add(scope)
