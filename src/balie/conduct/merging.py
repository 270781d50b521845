"""The conduct procedure when two parties become one (the parties domain's merge port).

The procedure follows the person: when the merged party has one under way and the survivor
none, the survivor takes its state (the steps and blocks move with the merge as rows that
point at the party) and the merged party's state reads clear. Both under way: the merge is
refused (a supervisor settles one first). The undo puts both states back, unless the
survivor's moved on since the merge (a step taken after it), which then stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from balie.conduct.models import ConductState
from balie.conduct.workflow import State
from balie.core import clock
from balie.core.errors import WorkflowViolation


class ConductCarrier:
    """:class:`balie.parties.ports.MergeCarrier` for :class:`ConductState`."""

    label = ConductState._meta.label_lower

    def carry(self, survivor_id: int, merged_id: int, organisation_id: int) -> dict[str, Any]:
        """The merged party's procedure to the survivor; ``{"merged", "survivor"}`` states."""
        states = dict(
            ConductState.objects.select_for_update(no_key=True)
            .filter(pk__in=[survivor_id, merged_id])
            .values_list("pk", "state")
        )
        theirs, ours = states.get(merged_id, State.CLEAR), states.get(survivor_id)
        if theirs == State.CLEAR:
            return {}
        if ours not in (None, State.CLEAR):
            raise WorkflowViolation(
                "both parties have a conduct procedure under way", code="conduct_both"
            )
        now = clock.now()
        ConductState.objects.update_or_create(
            party_id=survivor_id,
            defaults={"organisation_id": organisation_id, "state": theirs, "updated_at": now},
        )
        ConductState.objects.filter(pk=merged_id).update(state=State.CLEAR, updated_at=now)
        return {"merged": theirs, "survivor": ours}

    def restore(
        self, snapshot: dict[str, Any], survivor_id: int, merged_id: int, merged_at: datetime
    ) -> None:
        """The merged party's state back; the survivor's too unless it moved on since."""
        now = clock.now()
        ConductState.objects.filter(pk=merged_id).update(state=snapshot["merged"], updated_at=now)
        ConductState.objects.filter(
            pk=survivor_id, state=snapshot["merged"], updated_at__lte=merged_at
        ).update(state=snapshot.get("survivor") or State.CLEAR, updated_at=now)
