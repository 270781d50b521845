"""Events of the conduct procedure."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("conduct_step_taken")
@dataclass(frozen=True)
class ConductStepTaken(Event):
    """A step of the procedure was recorded for a party."""

    step_id: int
    party_id: int
    organisation_id: int
    step: str
    from_state: str
    to_state: str
    conversation_id: int | None
    by_agent_id: int | None  # not agent_id: realtime would also push it to that agent alone
