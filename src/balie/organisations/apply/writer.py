"""Writing a validated configuration in one transaction."""

from __future__ import annotations

import os
import re
import tomllib
from collections import Counter
from pathlib import Path as FilePath
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from balie.audit.models import AuditEntry
from balie.channels.models import Channel
from balie.organisations.apply.errors import ApplyError, Problem
from balie.organisations.apply.locate import locate
from balie.organisations.apply.replies_schema import write_replies
from balie.organisations.apply.retention_schema import write_retention
from balie.organisations.apply.schema import AgentConfig, ChannelConfig, Config, validate
from balie.organisations.apply.sla_writer import write_calendars, write_service_levels
from balie.organisations.models import Agent, Organisation, Team, Topic
from balie.routing.models import AgentChannel, AgentLanguage, AgentSkill, AgentTraining, Training


class _DryRun(Exception):
    """Raised to roll back a dry run after everything was written."""


def apply_file(filename: str, *, dry_run: bool = False) -> str:
    """Apply a TOML file; return a one-line summary. Raises ApplyError, writing nothing."""
    try:
        source = FilePath(filename).read_text(encoding="utf-8")
    except OSError as exc:
        raise ApplyError(
            filename, [Problem("", 0, f"cannot read the file: {exc.strerror}")]
        ) from exc
    return apply_config(source, filename=filename, dry_run=dry_run)


def apply_config(source: str, *, filename: str = "<config>", dry_run: bool = False) -> str:
    """Apply configuration text; return a summary of what was created and changed."""
    try:
        doc = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError has no lineno attribute; its message has the line.
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else 0
        raise ApplyError(filename, [Problem("", line, f"not valid TOML: {exc}")]) from exc
    config, problems = validate(doc)
    secrets = _resolve_secrets(config, problems) if config else {}
    if config is None or problems:
        raise ApplyError(
            filename,
            [Problem(_dotted(p), locate(source, p), message) for p, message in problems],
        )
    counts: Counter[str] = Counter()
    try:
        with transaction.atomic():
            _write(config, secrets, counts)
            AuditEntry.objects.create(
                actor_label="balie apply",
                action="apply_config",
                object_type="organisations.organisation",
                object_id=config.organisation["slug"],
                origin="cli",
                detail={"file": os.path.basename(filename), **counts},
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        return "dry run: valid; " + _summary(counts) + " (rolled back)"
    return _summary(counts)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(file)"


def _summary(counts: Counter[str]) -> str:
    if not counts:
        return "nothing to change"
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))


def _resolve_secrets(
    config: Config, problems: list[tuple[tuple[str | int, ...], str]]
) -> dict[str, dict[str, str]]:
    """Read every referenced secret now, so a missing one stops the apply before writing."""
    resolved: dict[str, dict[str, str]] = {}
    for i, channel in enumerate(config.channels):
        values: dict[str, str] = {}
        for name, ref in channel.secrets.items():
            path = ("channels", i, "secrets", name)
            if "env" in ref:
                value = os.environ.get(ref["env"])
                if value is None:
                    problems.append((path, f"environment variable {ref['env']} is not set"))
                    continue
            else:
                try:
                    value = FilePath(ref["file"]).read_text(encoding="utf-8").strip()
                except OSError:
                    problems.append((path, f"cannot read secret file {ref['file']}"))
                    continue
            values[name] = value
        resolved[channel.key] = values
    return resolved


def _upsert(
    model: Any, counts: Counter[str], label: str, lookup: dict[str, Any], values: dict[str, Any]
) -> Any:
    """Create or update one row; count only real changes (idempotence is visible).

    A row found under ``lookup`` that belongs to another organisation than ``values`` names is
    refused: one organisation's file never takes over another's agent or channel.
    """
    obj = model.objects.filter(**lookup).first()
    org = values.get("organisation")
    if obj is not None and org is not None and obj.organisation_id != org.pk:
        name = "/".join(str(v) for v in lookup.values())
        raise ApplyError(
            "<config>", [Problem(f"{label}.{name}", 0, "belongs to another organisation")]
        )
    if obj is None:
        counts[f"{label} created"] += 1
        return model.objects.create(**lookup, **values)
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for key in changed:
            setattr(obj, key, values[key])
        obj.save(update_fields=changed)
        counts[f"{label} updated"] += 1
    return obj


def _write(config: Config, secrets: dict[str, dict[str, str]], counts: Counter[str]) -> None:
    o = config.organisation
    org = _upsert(
        Organisation,
        counts,
        "organisation",
        {"slug": o["slug"]},
        {k: v for k, v in o.items() if k != "slug"},
    )
    teams = {
        t["slug"]: _upsert(
            Team, counts, "teams", {"organisation": org, "slug": t["slug"]}, {"name": t["name"]}
        )
        for t in config.teams
    }
    trainings = {
        t["code"]: _upsert(
            Training,
            counts,
            "trainings",
            {"organisation": org, "code": t["code"]},
            {"name": t["name"]},
        )
        for t in config.trainings
    }
    topics = {}
    for t in config.topics:
        topics[t["code"]] = _upsert(
            Topic,
            counts,
            "topics",
            {"organisation": org, "code": t["code"]},
            {
                "name": t["name"],
                "team": teams.get(t["team"]),
                "required_training": trainings.get(t["required_training"]),
                "priority": t["priority"],
                "min_skill_level": t["min_skill_level"],
                "restricted": t["restricted"],
            },
        )
    for agent_config in config.agents:
        _write_agent(org, agent_config, teams, topics, trainings, counts)
    for channel_config in config.channels:
        _write_channel(org, channel_config, teams, secrets[channel_config.key], counts)
    write_calendars(org, config.calendars, teams, counts)
    write_service_levels(org, config.service_levels, counts)
    write_retention(org, config.retention, counts)
    write_replies(org, config.replies, config.greetings, counts)


def _write_agent(
    org: Organisation,
    a: AgentConfig,
    teams: dict[str, Team],
    topics: dict[str, Topic],
    trainings: dict[str, Training],
    counts: Counter[str],
) -> None:
    user_model = get_user_model()
    user = user_model.objects.filter(username=a.username).first()
    if user is None:
        # without a password, create_user stores an unusable one
        user = user_model.objects.create_user(username=a.username, email=a.email)
    elif a.email and user.email != a.email:
        user.email = a.email
        user.save(update_fields=["email"])
    agent = _upsert(
        Agent,
        counts,
        "agents",
        {"user": user},
        {
            "organisation": org,
            "display_name": a.name,
            "role": a.role,
            "is_supervisor": a.supervisor,
            "shifts": a.shifts,
        },
    )
    wanted_teams = {teams[s].pk for s in a.teams}
    if set(agent.teams.values_list("pk", flat=True)) != wanted_teams:
        agent.teams.set(wanted_teams)
        counts["agent teams set"] += 1
    _sync(AgentLanguage, agent, "language", a.languages, "proficiency", counts)
    _sync(
        AgentSkill,
        agent,
        "topic",
        {topics[c]: lvl for c, lvl in a.skills.items()},
        "proficiency",
        counts,
    )
    _sync(
        AgentTraining,
        agent,
        "training",
        {trainings[c]: until for c, until in a.trainings},
        "valid_until",
        counts,
    )
    _sync(AgentChannel, agent, "channel_kind", a.channels, "capacity", counts)


#: the summary's (and audit entry's) name of each child list: fixed English words, so neither
#: depends on the active language (verbose names are translated: "kanalen van medewerkers")
_SYNC_LABELS = {
    AgentLanguage: "agent languages",
    AgentSkill: "agent skills",
    AgentTraining: "agent trainings",
    AgentChannel: "agent channels",
}


def _sync(
    model: Any, agent: Agent, key: str, wanted: dict[Any, Any], field: str, counts: Counter[str]
) -> None:
    """Make the agent's rows of ``model`` equal ``wanted`` (key → field value)."""
    label = _SYNC_LABELS[model]
    current = {getattr(row, key): row for row in model.objects.filter(agent=agent)}
    for k, row in current.items():
        if k not in wanted:
            row.delete()
            counts[f"{label} removed"] += 1
    for k, value in wanted.items():
        row = current.get(k)
        if row is None:
            model.objects.create(agent=agent, **{key: k, field: value})
            counts[f"{label} created"] += 1
        elif getattr(row, field) != value:
            setattr(row, field, value)
            row.save(update_fields=[field])
            counts[f"{label} updated"] += 1


def _write_channel(
    org: Organisation,
    c: ChannelConfig,
    teams: dict[str, Team],
    secrets: dict[str, str],
    counts: Counter[str],
) -> None:
    channel = _upsert(
        Channel,
        counts,
        "channels",
        {"key": c.key},
        {
            "organisation": org,
            "kind": c.kind,
            "name": c.name,
            "team": teams.get(c.team),
            "settings": c.settings,
            "secrets": secrets,
            "is_active": c.active,
        },
    )
    for template in c.templates:
        _write_template(channel, template, counts)


def _write_template(channel: Channel, t: dict[str, str], counts: Counter[str]) -> None:
    """A new or changed template is (re)submitted: pending until Meta's review says otherwise."""
    from balie.channels.whatsapp.models import MessageTemplate
    from balie.channels.whatsapp.templates import register_template

    current = MessageTemplate.objects.filter(
        channel=channel, name=t["name"], language=t["language"]
    ).first()
    if current is not None and (current.body, current.category) == (t["body"], t["category"]):
        return
    register_template(channel, t["name"], t["language"], body=t["body"], category=t["category"])
    counts["templates submitted"] += 1
