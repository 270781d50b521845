"""The internal task's workflow as data: states and the table of allowed transitions.

Like ``conversations.workflow``: tests walk the table as scenarios and :func:`check_transition`
is the only gate the actions use. An extension is asked (``extension_requested``, with a
reason) and granted in the same action (``extended``, the new term set); a grant step by the
team lead could slot in between without changing the table's shape (ADR 0011).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from balie.core.workflow import Table


class TaskState(StrEnum):
    """Where an internal task is in its life (Klantinteracties: te_verwerken / verwerkt)."""

    OPEN = "open"  # forwarded, the back office works on it
    EXTENSION_REQUESTED = "extension_requested"  # the back office asked for more time
    EXTENDED = "extended"  # a new term is set; the citizen was told
    OVERDUE = "overdue"  # the term passed; escalated to the team lead
    ANSWERED = "answered"  # the back office answered; back to the contact centre
    CANCELLED = "cancelled"  # the contact centre withdrew it


@dataclass(frozen=True)
class Transition:
    """An allowed move, what it means, and whether a reason must be given."""

    source: TaskState
    target: TaskState
    meaning: str
    reason_required: bool = False


T = TaskState
TRANSITIONS: tuple[Transition, ...] = (
    Transition(T.OPEN, T.ANSWERED, "the back office answered"),
    Transition(T.OPEN, T.EXTENSION_REQUESTED, "more time needed", reason_required=True),
    Transition(T.OPEN, T.OVERDUE, "the term passed"),
    Transition(T.OPEN, T.CANCELLED, "the contact centre withdrew it", reason_required=True),
    Transition(T.EXTENSION_REQUESTED, T.EXTENDED, "the new term is set"),
    Transition(T.EXTENDED, T.ANSWERED, "the back office answered"),
    Transition(T.EXTENDED, T.EXTENSION_REQUESTED, "more time needed again", reason_required=True),
    Transition(T.EXTENDED, T.OVERDUE, "the new term passed"),
    Transition(T.EXTENDED, T.CANCELLED, "the contact centre withdrew it", reason_required=True),
    Transition(T.OVERDUE, T.ANSWERED, "answered late"),
    Transition(T.OVERDUE, T.EXTENSION_REQUESTED, "more time after the term", reason_required=True),
    Transition(T.OVERDUE, T.CANCELLED, "the contact centre withdrew it", reason_required=True),
)

#: states in which the back office still owes an answer
ACTIVE: frozenset[TaskState] = frozenset({T.OPEN, T.EXTENSION_REQUESTED, T.EXTENDED, T.OVERDUE})
#: states whose term can pass
RUNNING: frozenset[TaskState] = frozenset({T.OPEN, T.EXTENDED})


class TransitionNotAllowed(Exception):
    """The move is not in :data:`TRANSITIONS` (or lacks its required reason)."""


_TABLE: Table[Transition] = Table(
    TRANSITIONS,
    key="target",
    coerce=(TaskState, TaskState),
    error=TransitionNotAllowed,
    refused="a task cannot go from {source} to {key}",
    needs_reason="going from {source} to {key} needs a reason",
)


def allowed_targets(source: TaskState) -> list[TaskState]:
    """The states reachable in one step from ``source``."""
    return _TABLE.following(source)


def check_transition(source: TaskState, target: TaskState, reason: str = "") -> Transition:
    """Return the transition from ``source`` to ``target`` or raise TransitionNotAllowed."""
    return _TABLE.check(source, target, reason)
