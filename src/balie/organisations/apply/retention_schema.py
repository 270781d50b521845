"""The ``[[retention]]`` tables of ``balie apply``: the archivist's retention terms.

```toml
[[retention]]                # the organisation's own term for contacts
days = 365
[[retention]]
data = "performance"         # agent performance data
days = 365
[[retention]]
topic = "bezwaar"            # a topic category (and/or channel = "<key>")
days = 3650
disposal = "keep"            # "destroy" (default) or "keep" (transfer to the archive)
basis = "Selectielijst gemeenten 2020, 1.1.2"
```
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from balie.channels.models import Channel
from balie.organisations.apply.validator import Path, Validator
from balie.organisations.models import Topic
from balie.privacy.retention.models import RetentionTerm

DATA = ("contacts", "performance")
DISPOSALS = ("destroy", "keep")


def validate_retention(
    v: Validator, raw: Any, path: Path, refs: tuple[set[str], set[str]]
) -> dict[str, Any]:
    """One term: data, channel key, topic code, days (1 to 100 years), disposal, basis."""
    channel_keys, topic_codes = refs
    t = v.table(raw, path, {"data", "channel", "topic", "days", "disposal", "basis"}, {"days"})
    data = v.string(t, "data", path, default="contacts")
    if data not in DATA:
        v.problem((*path, "data"), f"must be one of {', '.join(DATA)}")
    channel = v.string(t, "channel", path)
    if channel and channel not in channel_keys:
        v.problem((*path, "channel"), f"unknown channel {channel!r}")
    topic = v.string(t, "topic", path)
    if topic and topic not in topic_codes:
        v.problem((*path, "topic"), f"unknown topic {topic!r}")
    disposal = v.string(t, "disposal", path, default="destroy")
    if disposal not in DISPOSALS:
        v.problem((*path, "disposal"), f"must be one of {', '.join(DISPOSALS)}")
    return {
        "data": data,
        "channel": channel,
        "topic": topic,
        "days": v.integer(t.get("days"), (*path, "days"), 1, 36500),
        "disposal": disposal,
        "basis": v.string(t, "basis", path),
    }


def check_retention_scopes(v: Validator, terms: list[dict[str, Any]]) -> None:
    """One term per data, channel and topic."""
    seen: set[tuple[str, str, str]] = set()
    for i, term in enumerate(terms):
        scope = (term["data"], term["channel"], term["topic"])
        if scope in seen:
            v.problem(("retention", i), "a term for this data, channel and topic appears twice")
        seen.add(scope)


def write_retention(org: Any, terms: list[dict[str, Any]], counts: Counter[str]) -> None:
    """Create or change each term by its scope; terms not in the file are left as they are."""
    from balie.organisations.apply.writer import _upsert  # writer calls this module

    channels = {c.key: c for c in Channel.objects.filter(organisation=org)}
    topics = {t.code: t for t in Topic.objects.filter(organisation=org)}
    for item in terms:
        scope = {
            "organisation": org,
            "data": item["data"],
            "channel": channels.get(item["channel"]) if item["channel"] else None,
            "topic": topics.get(item["topic"]) if item["topic"] else None,
        }
        values = {"days": item["days"], "disposal": item["disposal"], "basis": item["basis"]}
        _upsert(RetentionTerm, counts, "retention terms", scope, values)
