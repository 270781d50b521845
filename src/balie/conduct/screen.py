"""Conduct's answer to the conversations domain's port: which senders are blocked now."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db.models import Q, QuerySet

from balie.conduct.models import Block, BlockState


def in_force(now: datetime) -> QuerySet[Block]:
    """Blocks in force at ``now``: confirmed, not lifted, and permanent or not yet ended."""
    return Block.objects.filter(state=BlockState.ACTIVE).filter(
        Q(until__isnull=True) | Q(until__gt=now)
    )


class BlockScreen:
    """One indexed query per received batch (``conversations.ports.InboundScreen``)."""

    def blocked(
        self, organisation_id: int, party_ids: Collection[int], now: datetime
    ) -> frozenset[int]:
        """The parties among ``party_ids`` with a block in force at ``now``."""
        if not party_ids:
            return frozenset()
        rows = in_force(now).filter(organisation_id=organisation_id, party_id__in=party_ids)
        return frozenset(rows.values_list("party_id", flat=True))
