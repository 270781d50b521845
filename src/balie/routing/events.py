"""Events about routing: offers, their outcomes, queue notices and queue snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("contact_offered")
@dataclass(frozen=True)
class ContactOffered(Event):
    offer_id: int
    conversation_id: int
    agent_id: int
    expires_at: str


@event("offer_resolved")
@dataclass(frozen=True)
class OfferResolved(Event):
    offer_id: int
    conversation_id: int
    agent_id: int
    outcome: str


@event("contact_waiting")
@dataclass(frozen=True)
class ContactWaiting(Event):
    """Nobody could take the contact now; ``expected_wait_s`` is None when nobody is on."""

    conversation_id: int
    organisation_id: int
    expected_wait_s: int | None
    opens_at: str | None


@event("queue_snapshot")
@dataclass(frozen=True)
class QueueSnapshot(Event):
    """Queue lengths and longest waits per channel kind, and agents by presence."""

    organisation_id: int
    at: str
    queues: dict[str, dict[str, int]]
    agents: dict[str, int]
