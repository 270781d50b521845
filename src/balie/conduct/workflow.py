"""The conduct procedure as data: a party's states and the table of allowed steps.

Tests walk this table; :func:`check_step` is the only gate the actions use. Consulting
colleagues is allowed in every state and changes nothing; a lifted or expired block leaves the
party *warned*, so a repetition is met with the reminder, not a fresh start.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from balie.core.workflow import Table


class State(StrEnum):
    """Where a party is in the procedure."""

    CLEAR = "clear"  # nothing recorded
    NAMED = "named"  # the behaviour that is not accepted was named
    WARNED = "warned"  # warned, with the consequence
    REMINDED = "reminded"  # told on repetition that a warning was already given
    ANNOUNCED = "announced"  # the block was announced
    BLOCK_REQUESTED = "block_requested"  # a block waits for a second person's confirmation
    BLOCKED = "blocked"  # blocked (until a date, or permanently)


class Step(StrEnum):
    """What an agent (or the clock) does."""

    NAME = "name"
    WARN = "warn"
    REMIND = "remind"
    ANNOUNCE = "announce"
    REQUEST_BLOCK = "request_block"
    CONFIRM_BLOCK = "confirm_block"
    REJECT_BLOCK = "reject_block"
    LIFT = "lift"
    EXPIRE = "expire"
    CONSULT = "consult"


#: the steps that send the citizen a message from a template
MESSAGE_STEPS: frozenset[Step] = frozenset(
    {Step.NAME, Step.WARN, Step.REMIND, Step.ANNOUNCE, Step.CONFIRM_BLOCK}
)
#: the steps an agent takes from a conversation (the others: the confirmer, supervisor, clock)
AGENT_STEPS: tuple[Step, ...] = (
    Step.NAME,
    Step.WARN,
    Step.REMIND,
    Step.ANNOUNCE,
    Step.REQUEST_BLOCK,
)


@dataclass(frozen=True)
class Transition:
    """An allowed step, where it leads, and whether a reason must be given."""

    source: State
    step: Step
    target: State
    meaning: str
    reason_required: bool = False


S, T = State, Step
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.CLEAR, T.NAME, S.NAMED, "the behaviour is named"),
    Transition(S.CLEAR, T.WARN, S.WARNED, "warned at once, with the consequence"),
    Transition(S.NAMED, T.WARN, S.WARNED, "it went on: warned, with the consequence"),
    Transition(S.WARNED, T.REMIND, S.REMINDED, "repeated: a warning was already given"),
    Transition(S.WARNED, T.ANNOUNCE, S.ANNOUNCED, "repeated after the warning: block announced"),
    Transition(S.REMINDED, T.ANNOUNCE, S.ANNOUNCED, "repeated again: block announced"),
    Transition(S.ANNOUNCED, T.REQUEST_BLOCK, S.BLOCK_REQUESTED, "block asked", True),
    Transition(S.BLOCK_REQUESTED, T.CONFIRM_BLOCK, S.BLOCKED, "a second person confirms"),
    Transition(S.BLOCK_REQUESTED, T.REJECT_BLOCK, S.ANNOUNCED, "the second person declines", True),
    Transition(S.BLOCKED, T.LIFT, S.WARNED, "a supervisor lifts the block", True),
    Transition(S.BLOCKED, T.EXPIRE, S.WARNED, "the block's end date passed"),
    *(Transition(s, T.CONSULT, s, "colleagues consulted", True) for s in State),
)


class StepNotAllowed(Exception):
    """The step is not in :data:`TRANSITIONS` from this state (or lacks its reason)."""


_TABLE: Table[Transition] = Table(
    TRANSITIONS,
    key="step",
    coerce=(State, Step),
    error=StepNotAllowed,
    refused="a party in state {source} cannot take the step {key}",
    needs_reason="the step {key} needs a reason",
)


def allowed_steps(source: State) -> list[Step]:
    """The steps possible from ``source``, in the table's order."""
    return _TABLE.following(source)


def check_step(source: State, step: Step, reason: str = "") -> Transition:
    """Return the transition for ``step`` from ``source`` or raise StepNotAllowed."""
    return _TABLE.check(source, step, reason)
