"""Which term applies to a contact: the most specific of the archivist's terms."""

from __future__ import annotations

from dataclasses import dataclass

from balie.privacy.retention.models import DEFAULT_DAYS, Data, Disposal, RetentionTerm


@dataclass(frozen=True)
class Term:
    """A term in days and what happens at its end."""

    days: int
    disposal: str
    source: str  # "default", "organisation", "channel", "topic", "channel and topic"


DEFAULT = Term(DEFAULT_DAYS, Disposal.DESTROY, "default")


class Terms:
    """An organisation's terms for one kind of data, loaded once (one query)."""

    def __init__(self, organisation_id: int, data: str = Data.CONTACTS) -> None:
        rows = RetentionTerm.objects.filter(organisation_id=organisation_id, data=data)
        self._by_scope = {(r.channel_id, r.topic_id): r for r in rows}

    def for_contact(self, channel_id: int | None, topic_id: int | None) -> Term:
        """The term of a contact on ``channel_id`` about ``topic_id``."""
        candidates: list[tuple[tuple[int | None, int | None], str]] = []
        if channel_id is not None and topic_id is not None:
            candidates.append(((channel_id, topic_id), "channel and topic"))
        if topic_id is not None:
            candidates.append(((None, topic_id), "topic"))
        if channel_id is not None:
            candidates.append(((channel_id, None), "channel"))
        candidates.append(((None, None), "organisation"))
        for scope, source in candidates:
            row = self._by_scope.get(scope)
            if row is not None:
                return Term(row.days, row.disposal, source)
        return DEFAULT
