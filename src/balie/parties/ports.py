"""What the parties domain asks of the apps above it when two parties become one.

A merge moves the rows that point at a party by foreign key itself (they simply change
owner). A row that *is* the party's in another app (a one-to-one row whose key is the party,
such as the conduct procedure's state) cannot be moved: the app that owns it says what
merging means for it. Such an app registers a :class:`MergeCarrier` from its
``AppConfig.ready`` (dependency inversion, as ``conversations.ports``); a party with a
one-to-one row no carrier takes is never merged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class MergeCarrier(Protocol):
    """The owner of a one-to-one row on parties, asked during a merge and its undo."""

    #: the model label of the row it carries ("app_label.modelname")
    label: str

    def carry(self, survivor_id: int, merged_id: int, organisation_id: int) -> dict[str, Any]:
        """Carry the merged party's row over to the survivor as the app sees fit; return
        what :meth:`restore` needs to put it back (``{}``: nothing was changed). Raise
        :class:`balie.core.errors.WorkflowViolation` to refuse the merge. Precondition:
        inside the merge's transaction, both parties locked."""
        ...

    def restore(
        self, snapshot: dict[str, Any], survivor_id: int, merged_id: int, merged_at: datetime
    ) -> None:
        """Undo :meth:`carry` from its ``snapshot`` (same transaction rules)."""
        ...


_carriers: dict[str, MergeCarrier] = {}


def register_merge_carrier(carrier: MergeCarrier) -> None:
    """Called by the owning app's ``AppConfig.ready``; registering twice replaces."""
    _carriers[carrier.label] = carrier


def merge_carriers() -> dict[str, MergeCarrier]:
    """The registered carriers by model label."""
    return dict(_carriers)
