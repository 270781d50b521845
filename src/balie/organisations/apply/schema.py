"""Validation of the configuration file: every key known, every value checked.

Produces a plain, typed :class:`Config`; all problems are collected, not just the first.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from balie.organisations.apply.channel_schema import ChannelConfig, validate_channel
from balie.organisations.apply.replies_schema import (
    check_reply_variants,
    validate_greeting,
    validate_reply,
)
from balie.organisations.apply.retention_schema import check_retention_scopes, validate_retention
from balie.organisations.apply.sla_schema import (
    check_slugs,
    validate_calendar,
    validate_service_level,
)
from balie.organisations.apply.validator import (
    CHANNEL_KINDS,
    LANG,
    SLUG,
    TIME,
    Path,
    Validator,
)
from balie.routing.shifts import DAYS

ROLES = ("agent", "supervisor", "backoffice")  # organisations.models.AgentRole

__all__ = ["AgentConfig", "ChannelConfig", "Config", "validate"]


@dataclass
class AgentConfig:
    username: str
    name: str
    email: str
    teams: list[str]
    supervisor: bool
    role: str
    languages: dict[str, int]
    skills: dict[str, int]
    trainings: list[tuple[str, date | None]]
    channels: dict[str, int]
    shifts: list[dict[str, Any]]


@dataclass
class Config:
    organisation: dict[str, Any]
    teams: list[dict[str, str]] = field(default_factory=list)
    trainings: list[dict[str, str]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    agents: list[AgentConfig] = field(default_factory=list)
    channels: list[ChannelConfig] = field(default_factory=list)
    calendars: list[dict[str, Any]] = field(default_factory=list)
    service_levels: list[dict[str, Any]] = field(default_factory=list)
    retention: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    greetings: list[dict[str, Any]] = field(default_factory=list)


def validate(doc: dict[str, Any]) -> tuple[Config | None, list[tuple[Path, str]]]:
    """Check a parsed document; return the config, or None and the problems."""
    v = Validator()
    v.table(
        doc,
        (),
        {
            "organisation",
            "teams",
            "trainings",
            "topics",
            "agents",
            "channels",
            "calendars",
            "service_levels",
            "retention",
            "replies",
            "greetings",
        },
        {"organisation"},
    )
    config = Config(organisation=_organisation(v, doc.get("organisation", {})))
    config.teams = [
        _coded(v, t, ("teams", i), "slug") for i, t in enumerate(_array(v, doc, "teams"))
    ]
    config.trainings = [
        _coded(v, t, ("trainings", i), "code") for i, t in enumerate(_array(v, doc, "trainings"))
    ]
    team_slugs = {t["slug"] for t in config.teams}
    training_codes = {t["code"] for t in config.trainings}
    config.topics = [
        _topic(v, t, ("topics", i), team_slugs, training_codes)
        for i, t in enumerate(_array(v, doc, "topics"))
    ]
    topic_codes = {t["code"] for t in config.topics}
    refs = (team_slugs, topic_codes, training_codes)
    config.agents = [
        _agent(v, a, ("agents", i), refs) for i, a in enumerate(_array(v, doc, "agents"))
    ]
    config.channels = [
        validate_channel(v, c, ("channels", i), team_slugs)
        for i, c in enumerate(_array(v, doc, "channels"))
    ]
    channel_keys = {c.key for c in config.channels}
    config.calendars = [
        validate_calendar(v, c, ("calendars", i), team_slugs, channel_keys)
        for i, c in enumerate(_array(v, doc, "calendars"))
    ]
    check_slugs(v, config.calendars, "calendars")
    config.service_levels = [
        validate_service_level(v, s, ("service_levels", i), (channel_keys, topic_codes))
        for i, s in enumerate(_array(v, doc, "service_levels"))
    ]
    _unique(v, "service_levels", [s["name"] for s in config.service_levels], "name")
    config.retention = [
        validate_retention(v, r, ("retention", i), (channel_keys, topic_codes))
        for i, r in enumerate(_array(v, doc, "retention"))
    ]
    check_retention_scopes(v, config.retention)
    usernames = {a.username for a in config.agents}
    config.replies = [
        validate_reply(v, r, ("replies", i), (team_slugs, usernames))
        for i, r in enumerate(_array(v, doc, "replies"))
    ]
    config.greetings = [
        validate_greeting(v, g, ("greetings", i), (team_slugs, channel_keys))
        for i, g in enumerate(_array(v, doc, "greetings"))
    ]
    check_reply_variants(v, config.replies, config.greetings)
    for name, items, key in (
        ("teams", config.teams, "slug"),
        ("trainings", config.trainings, "code"),
        ("topics", config.topics, "code"),
    ):
        _unique(v, name, [str(item[key]) for item in items], key)
    _unique(v, "agents", [a.username for a in config.agents], "username")
    _unique(v, "channels", [c.key for c in config.channels], "key")
    return (None if v.problems else config), v.problems


def _array(v: Validator, doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        v.problem((key,), f"must be an array of tables ([[{key}]])")
        return []
    return value


def _unique(v: Validator, section: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            v.problem((section, i, key), f"{value!r} appears twice")
        seen.add(value)


def _organisation(v: Validator, raw: Any) -> dict[str, Any]:
    path: Path = ("organisation",)
    allowed = {
        "slug",
        "name",
        "time_zone",
        "languages",
        "min_language_proficiency",
        "business_hours",
        "signature",
    }
    t = v.table(raw, path, allowed, {"slug", "name"})
    time_zone = v.string(t, "time_zone", path, default="Europe/Amsterdam")
    if time_zone not in zoneinfo.available_timezones():
        v.problem((*path, "time_zone"), f"unknown time zone {time_zone!r}")
    languages = v.string_list(t.get("languages", ["nl"]), (*path, "languages"))
    for i, language in enumerate(languages):
        if not LANG.match(language):
            v.problem((*path, "languages", i), f"{language!r} is not an ISO 639-1 code")
    hours_raw = t.get("business_hours", {})
    hours: dict[str, list[list[str]]] = {}
    if not isinstance(hours_raw, dict):
        v.problem((*path, "business_hours"), "must be a table of weekday = periods")
    else:
        for day in sorted(set(hours_raw) - set(DAYS)):
            v.problem((*path, "business_hours", day), f"unknown day (use {', '.join(DAYS)})")
        hours = {
            d: v.hours(hours_raw[d], (*path, "business_hours", d)) for d in DAYS if d in hours_raw
        }
    return {
        "slug": v.string(t, "slug", path, pattern=SLUG),
        "name": v.string(t, "name", path),
        "time_zone": time_zone,
        "languages": languages,
        "min_language_proficiency": v.integer(
            t.get("min_language_proficiency", 3), (*path, "min_language_proficiency"), 1, 5
        ),
        "business_hours": hours,
        "signature": v.string(t, "signature", path, limit=1000),
    }


def _coded(v: Validator, raw: Any, path: Path, key: str) -> dict[str, str]:
    t = v.table(raw, path, {key, "name"}, {key, "name"})
    return {key: v.string(t, key, path, pattern=SLUG), "name": v.string(t, "name", path)}


def _topic(
    v: Validator, raw: Any, path: Path, teams: set[str], trainings: set[str]
) -> dict[str, Any]:
    allowed = {
        "code", "name", "team", "required_training", "priority", "min_skill_level", "restricted"
    }  # fmt: skip
    t = v.table(raw, path, allowed, {"code", "name"})
    team = v.string(t, "team", path)
    if team and team not in teams:
        v.problem((*path, "team"), f"unknown team {team!r}")
    training = v.string(t, "required_training", path)
    if training and training not in trainings:
        v.problem((*path, "required_training"), f"unknown training {training!r}")
    restricted = v.boolean(t, "restricted", path, False)
    if restricted and not team:  # only the serving team sees its conversations
        v.problem((*path, "restricted"), "a restricted topic needs the team that serves it")
    return {
        "code": v.string(t, "code", path, pattern=SLUG),
        "name": v.string(t, "name", path),
        "team": team,
        "required_training": training,
        "priority": v.integer(t.get("priority", 0), (*path, "priority"), 0, 10),
        "min_skill_level": v.integer(t.get("min_skill_level", 1), (*path, "min_skill_level"), 1, 5),
        "restricted": restricted,
    }


def _agent(
    v: Validator, raw: Any, path: Path, refs: tuple[set[str], set[str], set[str]]
) -> AgentConfig:
    teams, topics, trainings = refs
    allowed = {
        "username",
        "name",
        "email",
        "teams",
        "supervisor",
        "role",
        "languages",
        "skills",
        "trainings",
        "channels",
        "shifts",
    }
    t = v.table(raw, path, allowed, {"username", "name", "languages"})
    agent_teams = v.string_list(t.get("teams", []), (*path, "teams"))
    for i, team in enumerate(agent_teams):
        if team not in teams:
            v.problem((*path, "teams", i), f"unknown team {team!r}")
    skills = v.levels(t.get("skills", {}), (*path, "skills"), SLUG)
    for code in skills:
        if code not in topics:
            v.problem((*path, "skills", code), f"unknown topic {code!r}")
    channels: dict[str, int] = {}
    raw_channels = t.get("channels", {})
    if not isinstance(raw_channels, dict):
        v.problem((*path, "channels"), "must be a table of channel kind = capacity")
    else:
        for kind, capacity in raw_channels.items():
            if kind not in CHANNEL_KINDS:
                v.problem((*path, "channels", kind), f"unknown channel kind {kind!r}")
            channels[kind] = v.integer(capacity, (*path, "channels", kind), 1, 50)
    supervisor = v.boolean(t, "supervisor", path, False)
    role = v.string(t, "role", path, default="supervisor" if supervisor else "agent")
    if role not in ROLES:
        v.problem((*path, "role"), f"must be one of {', '.join(ROLES)}")
    elif supervisor and role != "supervisor":
        v.problem((*path, "role"), f"role {role!r} contradicts supervisor = true")
    return AgentConfig(
        username=v.string(t, "username", path, pattern=re.compile(r"^[\w.@+-]{1,150}$")),
        name=v.string(t, "name", path),
        email=v.string(t, "email", path, limit=254),
        teams=agent_teams,
        supervisor=role == "supervisor",
        role=role,
        languages=v.levels(t.get("languages", {}), (*path, "languages"), LANG),
        skills=skills,
        trainings=_trainings(v, t.get("trainings", []), (*path, "trainings"), trainings),
        channels=channels,
        shifts=_shifts(v, t.get("shifts", []), (*path, "shifts")),
    )


def _trainings(
    v: Validator, raw: Any, path: Path, known: set[str]
) -> list[tuple[str, date | None]]:
    if not isinstance(raw, list):
        v.problem(path, 'must be a list like [{ code = "crisis", valid_until = 2027-06-30 }]')
        return []
    result: list[tuple[str, date | None]] = []
    for i, item in enumerate(raw):
        t = v.table(item, (*path, i), {"code", "valid_until"}, {"code"})
        code = v.string(t, "code", (*path, i))
        if code and code not in known:
            v.problem((*path, i, "code"), f"unknown training {code!r}")
        until = t.get("valid_until")
        if until is not None and not isinstance(until, date):
            v.problem((*path, i, "valid_until"), "must be a date like 2027-06-30")
            until = None
        result.append((code, until))
    return result


def _shifts(v: Validator, raw: Any, path: Path) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        v.problem(path, 'must be a list like [{ days = ["mon"], start = "08:00", end = "17:00" }]')
        return []
    shifts: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        t = v.table(item, (*path, i), {"days", "start", "end"}, {"days", "start", "end"})
        days = v.string_list(t.get("days", []), (*path, i, "days"))
        for day in days:
            if day not in DAYS:
                v.problem((*path, i, "days"), f"unknown day {day!r}")
        start = v.string(t, "start", (*path, i), pattern=TIME)
        end = v.string(t, "end", (*path, i), pattern=TIME)
        shifts.append({"days": days, "start": start, "end": end})
    return shifts
