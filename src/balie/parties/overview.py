"""What the merge screens and the API show, and the audit of every merge decision.

Reading only: suggestions with both parties' names, channels and conversation counts (the
conversations are reached through ``Party``'s reverse relation, so this layer imports no app
above it), the recent merges. :func:`audited` wraps a ``check_*`` of :mod:`.merge`: the
decision in the audit trail (who, which parties, result), refusals included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest

from balie.audit import trail
from balie.core.errors import BalieError
from balie.parties.merge import Suggestion, suggestions
from balie.parties.models import Party, PartyMerge
from balie.parties.normalise import mask

T = TypeVar("T")
#: suggestions shown at once (the page and the API); the oldest parties first
LIMIT = 100


@dataclass(frozen=True)
class PartyFacts:
    """One side of a suggestion as a supervisor needs to judge it."""

    id: int
    name: str
    channels: tuple[str, ...]  # channel kinds of its conversations
    conversations: int
    created_at: Any


@dataclass(frozen=True)
class SuggestionRow:
    """A suggestion with the shared value masked and both parties described."""

    first: PartyFacts
    second: PartyFacts
    masked: str
    kinds: tuple[str, ...]

    @property
    def key(self) -> str:
        """A stable id for the page's elements: ``<first>-<second>``."""
        return f"{self.first.id}-{self.second.id}"


def facts(party_ids: set[int]) -> dict[int, PartyFacts]:
    """Name, channel kinds and conversation count of each party (two queries)."""
    rows = Party.objects.filter(pk__in=party_ids).annotate(n=Count("conversations"))
    kinds: dict[int, set[str]] = {}
    for party_id, kind in (
        Party.objects.filter(pk__in=party_ids, conversations__isnull=False)
        .values_list("pk", "conversations__channel__kind")
        .distinct()
    ):
        kinds.setdefault(party_id, set()).add(kind)
    return {
        p.pk: PartyFacts(
            p.pk, p.display_name, tuple(sorted(kinds.get(p.pk, ()))), p.n, p.created_at
        )
        for p in rows
    }


def describe(found: list[Suggestion]) -> list[SuggestionRow]:
    """The suggestions (at most :data:`LIMIT`) with their parties' facts."""
    found = found[:LIMIT]
    known = facts({i for s in found for i in (s.first_id, s.second_id)})
    return [
        SuggestionRow(known[s.first_id], known[s.second_id], mask(s.value), s.kinds)
        for s in found
        if s.first_id in known and s.second_id in known
    ]


def suggestion_rows(organisation_id: int) -> list[SuggestionRow]:
    """The organisation's suggestions as rows for the page and the API."""
    return describe(suggestions(organisation_id))


def recent_merges(organisation_id: int, limit: int = 50) -> QuerySet[PartyMerge]:
    """The organisation's merges, the latest first, with their parties and people."""
    return (
        PartyMerge.objects.filter(organisation_id=organisation_id)
        .select_related("survivor", "merged", "merged_by", "undone_by")
        .order_by("-merged_at", "-pk")[:limit]
    )


def audited(
    request: HttpRequest,
    action: str,
    subject: Model,
    run: Callable[[], T],
    asked: dict[str, Any] | None = None,
) -> T:
    """Run ``run`` (a ``check_*``) and record the decision: ``success`` against the row it
    made (a merge, an undone merge, a dismissal) naming both parties, or ``refused`` with the
    error code against ``subject`` (the party or merge asked for) and ``asked`` (the ids in
    the request); then re-raise."""
    try:
        done = run()
    except BalieError as exc:
        trail.record(
            request=request,
            action=action,
            obj=subject,
            result="refused",
            detail={**(asked or {}), "error": exc.code},
        )
        raise
    trail.record(request=request, action=action, obj=done, detail=_parties_of(done))
    return done


def _parties_of(row: Any) -> dict[str, Any]:
    if isinstance(row, PartyMerge):
        return {"survivor": row.survivor_id, "merged": row.merged_id, "merge": row.pk}
    return {"parties": [row.first_id, row.second_id]}
