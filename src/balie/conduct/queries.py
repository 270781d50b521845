"""Reading a party's conduct: for the workspace panels, the API and parties-level code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from balie.conduct.models import Block, BlockState, ConductState, ConductStep
from balie.conduct.workflow import AGENT_STEPS, State, Step, allowed_steps


@dataclass(frozen=True)
class Conduct:
    """A party's place in the procedure as of ``now``."""

    state: State
    block: Block | None = None  # in force, or awaiting confirmation
    steps: list[ConductStep] = field(default_factory=list)  # the latest first

    @property
    def next_steps(self) -> list[Step]:
        """The steps an agent may take from a conversation now (consulting always)."""
        allowed = allowed_steps(self.state)
        return [s for s in AGENT_STEPS if s in allowed]

    @property
    def blocked(self) -> bool:
        """A block is in force."""
        return self.state == State.BLOCKED


def conduct_of(party_id: int, now: datetime, *, history: int = 5) -> Conduct:
    """The party's state, its open block and its latest ``history`` steps (three queries).

    A block whose end has passed reads as ended before the periodic job records it."""
    row = ConductState.objects.filter(party_id=party_id).first()
    state = State(row.state) if row else State.CLEAR
    block = (
        Block.objects.filter(party_id=party_id, state__in=[BlockState.ACTIVE, BlockState.REQUESTED])
        .select_related("requested_by", "decided_by")
        .order_by("-pk")
        .first()
        if state in (State.BLOCKED, State.BLOCK_REQUESTED)
        else None
    )
    if state == State.BLOCKED and block is not None and block.until and block.until <= now:
        state, block = State.WARNED, None
    steps = (
        list(
            ConductStep.objects.filter(party_id=party_id)
            .select_related("agent")
            .order_by("-created_at", "-pk")[:history]
        )
        if row
        else []
    )
    return Conduct(state, block, steps)


def pending_blocks(organisation_id: int) -> QuerySet[Block]:
    """Blocks awaiting a second person's confirmation, oldest first."""
    return (
        Block.objects.filter(organisation_id=organisation_id, state=BlockState.REQUESTED)
        .select_related("party", "requested_by", "conversation")
        .order_by("requested_at", "pk")
    )


def active_blocks(organisation_id: int, now: datetime) -> QuerySet[Block]:
    """Blocks in force, the latest confirmed first."""
    from balie.conduct.screen import in_force

    return (
        in_force(now)
        .filter(organisation_id=organisation_id)
        .select_related("party", "requested_by", "decided_by")
        .order_by("-decided_at", "-pk")
    )
