"""Events about parties."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("party_created")
@dataclass(frozen=True)
class PartyCreated(Event):
    party_id: int
    organisation_id: int


@event("parties_merged")
@dataclass(frozen=True)
class PartiesMerged(Event):
    merge_id: int
    survivor_id: int
    merged_id: int
    organisation_id: int
    agent_id: int


@event("party_merge_undone")
@dataclass(frozen=True)
class PartyMergeUndone(Event):
    merge_id: int
    survivor_id: int
    merged_id: int
    organisation_id: int
    agent_id: int


@event("merge_dismissed")
@dataclass(frozen=True)
class MergeDismissed(Event):
    dismissal_id: int
    first_id: int
    second_id: int
    organisation_id: int
    agent_id: int
