"""The conversation workflow as data: statuses and the table of allowed transitions.

Tests walk this table as scenarios; :func:`check_transition` is the only gate actions use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from balie.core.workflow import Table


class Status(StrEnum):
    """Where a conversation is in its life."""

    NEW = "new"  # received, not yet routed
    QUEUED = "queued"  # waiting for an agent
    ASSIGNED = "assigned"  # an agent works on it
    PENDING = "pending"  # waiting for the citizen
    ON_HOLD = "on_hold"  # forwarded to the back office
    RESOLVED = "resolved"  # answered; a new message from the citizen reopens it
    CLOSED = "closed"  # final; a new message starts a new conversation


@dataclass(frozen=True)
class Transition:
    """An allowed move, why it happens, and whether a human must give a reason."""

    source: Status
    target: Status
    meaning: str
    reason_required: bool = False


S = Status
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.NEW, S.QUEUED, "routing queues it"),
    Transition(S.NEW, S.ASSIGNED, "routing or a supervisor assigns it"),
    Transition(S.NEW, S.RESOLVED, "answered at once (self-service)"),
    Transition(S.NEW, S.CLOSED, "spam or abuse closed without answer", reason_required=True),
    Transition(S.QUEUED, S.ASSIGNED, "an agent accepts it"),
    Transition(S.QUEUED, S.RESOLVED, "answered from the queue"),
    Transition(S.QUEUED, S.CLOSED, "spam or abuse closed without answer", reason_required=True),
    Transition(S.ASSIGNED, S.QUEUED, "the agent declines or is unassigned"),
    Transition(S.ASSIGNED, S.PENDING, "waiting for the citizen"),
    Transition(S.ASSIGNED, S.ON_HOLD, "forwarded to the back office"),
    Transition(S.ASSIGNED, S.RESOLVED, "answered"),
    Transition(S.PENDING, S.ASSIGNED, "the citizen replied"),
    Transition(S.PENDING, S.QUEUED, "the citizen replied; the agent is gone"),
    Transition(S.PENDING, S.RESOLVED, "no reply needed any more"),
    Transition(S.ON_HOLD, S.ASSIGNED, "the back office answered"),
    Transition(S.ON_HOLD, S.QUEUED, "the back office answered; the agent is gone"),
    Transition(S.ON_HOLD, S.RESOLVED, "answered after the back office"),
    Transition(S.RESOLVED, S.QUEUED, "the citizen wrote again"),
    Transition(S.RESOLVED, S.ASSIGNED, "reopened by an agent"),
    Transition(S.RESOLVED, S.CLOSED, "archived after the retention wait"),
)


#: Statuses in which the citizen can still be answered.
REPLYABLE: frozenset[Status] = frozenset(Status) - {Status.CLOSED}
#: Statuses in which an inbound message joins the conversation instead of starting a new one.
OPEN_FOR_INBOUND: frozenset[Status] = frozenset(Status) - {Status.CLOSED}


class TransitionNotAllowed(Exception):
    """The move is not in :data:`TRANSITIONS` (or lacks its required reason)."""


_TABLE: Table[Transition] = Table(
    TRANSITIONS,
    key="target",
    coerce=(Status, Status),
    error=TransitionNotAllowed,
    refused="a conversation cannot go from {source} to {key}",
    needs_reason="going from {source} to {key} needs a reason",
)


def allowed_targets(source: Status) -> list[Status]:
    """The statuses reachable in one step from ``source``."""
    return _TABLE.following(source)


def check_transition(source: Status, target: Status, reason: str = "") -> Transition:
    """Return the transition from ``source`` to ``target`` or raise TransitionNotAllowed."""
    return _TABLE.check(source, target, reason)
