"""Events of the service levels."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("calendar_changed")
@dataclass(frozen=True)
class CalendarChanged(Event):
    """An organisation's calendar (or a team's or channel's override) was saved or removed."""

    organisation_id: int
    calendar_id: int | None


@event("sla_warning")
@dataclass(frozen=True)
class SlaWarning(Event):
    """A conversation passed the warning share of its nearest target."""

    conversation_id: int
    target: str
    due_at: str
    organisation_id: int | None = None  # realtime pushes go to the organisation


@event("sla_breached")
@dataclass(frozen=True)
class SlaBreached(Event):
    """A conversation's nearest target passed its due time unmet."""

    conversation_id: int
    target: str
    due_at: str
    organisation_id: int | None = None  # realtime pushes go to the organisation
