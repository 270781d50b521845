"""Events about parties."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("party_created")
@dataclass(frozen=True)
class PartyCreated(Event):
    party_id: int
    organisation_id: int
