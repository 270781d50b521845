"""The ``[[replies]]`` and ``[[greetings]]`` tables of ``balie apply``: the canned replies'
library and the greetings and signatures (``balie.replies``).

```toml
[[replies]]
shortcut = "paspoort-klaar"   # what the agent types after /
title = "Paspoort ligt klaar"
language = "nl"               # default "nl"
tone = "u"                    # "u", "je", or "" for either (default)
text = "Beste {naam}, uw paspoort ligt klaar. Wij zijn open: {openingstijden}."
team = "kcc"                  # owning team (optional)
owner = "sanne"               # owning agent's username (optional)
review_on = 2027-06-01        # when to check it again (optional)

[[greetings]]                 # the organisation's; or team = "…" / channel = "…"
language = "nl"
tone = "u"
opening = "Goedemiddag {naam},"
signature = "Met vriendelijke groet,\\n{voornaam_medewerker}, Klantcontactcentrum"
```
Replies and greetings not in the file are left as they are.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

from balie.channels.models import Channel
from balie.organisations.apply.validator import Path, Validator
from balie.organisations.models import Agent, Team
from balie.replies.models import CannedReply, Greeting
from balie.replies.variables import unknown_variables

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
TONES = ("u", "je", "")


def _text(v: Validator, t: dict[str, Any], key: str, path: Path, *, required: bool) -> str:
    value = v.string(t, key, path, limit=4096)
    if required and not value.strip():
        v.problem((*path, key), "must not be empty")
    for name in unknown_variables(value):
        v.problem((*path, key), f"unknown variable {{{name}}}")
    return value


def _language_and_tone(v: Validator, t: dict[str, Any], path: Path) -> tuple[str, str]:
    language = v.string(t, "language", path, default="nl", pattern=LANGUAGE)
    tone = v.string(t, "tone", path)
    if tone not in TONES:
        v.problem((*path, "tone"), 'must be "u", "je" or "" (either)')
    return language, tone


def validate_reply(
    v: Validator, raw: Any, path: Path, refs: tuple[set[str], set[str]]
) -> dict[str, Any]:
    """One canned reply variant: shortcut, title, language, tone, text, owners, review date."""
    team_slugs, usernames = refs
    allowed = {"shortcut", "title", "language", "tone", "text", "team", "owner", "review_on"}
    t = v.table(raw, path, allowed, {"shortcut", "title", "text"})
    language, tone = _language_and_tone(v, t, path)
    team = v.string(t, "team", path)
    if team and team not in team_slugs:
        v.problem((*path, "team"), f"unknown team {team!r}")
    owner = v.string(t, "owner", path)
    if owner and owner not in usernames:
        v.problem((*path, "owner"), f"unknown agent {owner!r}")
    review_on = t.get("review_on")
    if review_on is not None and not isinstance(review_on, date):
        v.problem((*path, "review_on"), "must be a date (2027-06-01)")
        review_on = None
    return {
        "shortcut": v.string(t, "shortcut", path, pattern=SHORTCUT, limit=50),
        "title": v.string(t, "title", path),
        "language": language,
        "tone": tone,
        "text": _text(v, t, "text", path, required=True),
        "team": team,
        "owner": owner,
        "review_on": review_on,
    }


def validate_greeting(
    v: Validator, raw: Any, path: Path, refs: tuple[set[str], set[str]]
) -> dict[str, Any]:
    """One greeting: its scope (organisation, a team or a channel), language, tone, texts."""
    team_slugs, channel_keys = refs
    allowed = {"team", "channel", "language", "tone", "opening", "signature"}
    t = v.table(raw, path, allowed, set())
    language, tone = _language_and_tone(v, t, path)
    team, channel = v.string(t, "team", path), v.string(t, "channel", path)
    if team and team not in team_slugs:
        v.problem((*path, "team"), f"unknown team {team!r}")
    if channel and channel not in channel_keys:
        v.problem((*path, "channel"), f"unknown channel {channel!r}")
    return {
        "team": team,
        "channel": channel,
        "language": language,
        "tone": tone,
        "opening": _text(v, t, "opening", path, required=False),
        "signature": _text(v, t, "signature", path, required=False),
    }


def check_reply_variants(
    v: Validator, replies: list[dict[str, Any]], greetings: list[dict[str, Any]]
) -> None:
    """One reply per shortcut, language and tone; one greeting per scope, language, tone."""
    for name, items, keys in (
        ("replies", replies, ("shortcut", "language", "tone")),
        ("greetings", greetings, ("team", "channel", "language", "tone")),
    ):
        seen: set[tuple[str, ...]] = set()
        for i, item in enumerate(items):
            key = tuple(item[k] for k in keys)
            if key in seen:
                v.problem((name, i), f"appears twice for the same {', '.join(keys)}")
            seen.add(key)


def write_replies(
    org: Any,
    replies: list[dict[str, Any]],
    greetings: list[dict[str, Any]],
    counts: Counter[str],
) -> None:
    """Create or change each reply and greeting by its key; others are left as they are."""
    from balie.organisations.apply.writer import _upsert  # writer calls this module

    teams = {t.slug: t for t in Team.objects.filter(organisation=org)}
    agents = {
        a.user.username: a for a in Agent.objects.filter(organisation=org).select_related("user")
    }
    channels = {c.key: c for c in Channel.objects.filter(organisation=org)}
    for item in replies:
        scope = {
            "organisation": org,
            "shortcut": item["shortcut"],
            "language": item["language"],
            "tone": item["tone"],
        }
        values = {
            "title": item["title"],
            "body": item["text"],
            "team": teams.get(item["team"]),
            "owner": agents.get(item["owner"]),
            "review_on": item["review_on"],
            "active": True,
        }
        _upsert(CannedReply, counts, "canned replies", scope, values)
    for item in greetings:
        scope = {
            "organisation": org,
            "team": teams.get(item["team"]) if item["team"] else None,
            "channel": channels.get(item["channel"]) if item["channel"] else None,
            "language": item["language"],
            "tone": item["tone"],
        }
        values = {"opening": item["opening"], "signature": item["signature"]}
        _upsert(Greeting, counts, "greetings", scope, values)
