"""Queue lengths, longest waits and agents by state: for the workspace and reports."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Min

from balie.core import clock
from balie.core.events import publish
from balie.organisations.models import Agent
from balie.routing.events import QueueSnapshot
from balie.routing.models import EntryState, QueueEntry


def queue_snapshot(organisation_id: int) -> dict[str, Any]:
    """Per channel kind: waiting, offered, longest wait (s); agents per presence (3 queries)."""
    now = clock.now()
    queues: dict[str, dict[str, int]] = {}
    rows = (
        QueueEntry.objects.filter(
            organisation_id=organisation_id, state__in=[EntryState.WAITING, EntryState.OFFERED]
        )
        .values("channel_kind", "state")
        .annotate(n=Count("id"), oldest=Min("enqueued_at"))
    )
    for row in rows:
        queue = queues.setdefault(
            row["channel_kind"], {"waiting": 0, "offered": 0, "longest_wait_s": 0}
        )
        queue[row["state"]] = row["n"]
        if row["state"] == EntryState.WAITING:
            queue["longest_wait_s"] = max(0, round((now - row["oldest"]).total_seconds()))
    agents = {
        row["presence"]: row["n"]
        for row in Agent.objects.filter(organisation_id=organisation_id)
        .values("presence")
        .annotate(n=Count("id"))
    }
    return {
        "organisation_id": organisation_id,
        "at": now.isoformat(),
        "queues": queues,
        "agents": agents,
    }


def publish_snapshots() -> None:
    """Periodic: publish a snapshot per organisation with agents or waiting contacts."""
    organisations = set(Agent.objects.values_list("organisation_id", flat=True).distinct())
    for organisation_id in sorted(organisations):
        snapshot = queue_snapshot(organisation_id)
        with transaction.atomic():
            publish(QueueSnapshot(**snapshot))
