"""Events about agents."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("agent_presence_changed")
@dataclass(frozen=True)
class AgentPresenceChanged(Event):
    agent_id: int
    organisation_id: int
    presence: str
    previous: str
