"""The audit trail's own retention term: entries older than it are removed, oldest first, and
the chain stays verifiable from the last removed entry's hash (the anchor on the head row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import connection, transaction

from balie.audit.models import AuditChain, AuditEntry
from balie.core import clock

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Pruned:
    """How many entries went and up to which sequence number."""

    removed: int
    anchor_seq: int


def retention_days() -> int:
    """The audit trail's retention term in days (``BALIE_AUDIT_RETENTION_DAYS``)."""
    return int(getattr(settings, "AUDIT_RETENTION_DAYS", 730))


def prune_expired() -> Pruned:
    """Remove the oldest entries past the term in one statement; move the anchor to the last.

    Only a prefix of the chain goes (every entry up to the first one still within the term),
    so the rest links on from the anchor. On PostgreSQL the trigger lets these deletes through
    because the transaction names the cutoff (``balie.audit_prune_before``).
    """
    cutoff = clock.now() - timedelta(days=retention_days())
    with transaction.atomic():
        head = AuditChain.objects.select_for_update(no_key=True).filter(pk=1).first()
        if head is None:
            return Pruned(0, 0)
        first_kept = (
            AuditEntry.objects.filter(at__gte=cutoff).order_by("seq").values_list("seq", flat=True)
        ).first()
        last = AuditEntry.objects.filter(seq__lte=head.seq).order_by("-seq")
        if first_kept is not None:
            last = last.filter(seq__lt=first_kept)
        anchor = last.values_list("seq", "hash").first()
        if anchor is None:
            return Pruned(0, head.anchor_seq)
        table = AuditEntry._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT set_config('balie.audit_prune_before', %s, true)", [cutoff.isoformat()]
                )
            cursor.execute(f"DELETE FROM {table} WHERE seq <= %s", [anchor[0]])  # noqa: S608
            removed = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('balie.audit_prune_before', '', true)")
        AuditChain.objects.filter(pk=1).update(
            anchor_seq=anchor[0], anchor_hash=anchor[1], pruned_before=cutoff
        )
    log.info("audit_pruned", removed=removed, anchor_seq=anchor[0])
    return Pruned(removed, anchor[0])
