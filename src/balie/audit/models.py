"""Audit trail (BIO 8.15): who did what to which object, from where, with what result.

Append-only with a hash chain (ADR 0013): each entry stores the SHA-256 of its canonical
content and of the entry before it, so a changed or removed entry breaks the chain and
``balie manage verify_audit`` names the first broken link. Entries are only ever added through
:meth:`AuditEntryManager.create`, which serialises writers on the chain head; the ORM refuses
updates and deletes, and on PostgreSQL a trigger refuses them too (except the pruning of
entries past the audit trail's own retention term, :mod:`balie.audit.prune`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from balie.core import clock

#: The hash before the first entry ever written.
GENESIS = "0" * 64


class AppendOnly(Exception):
    """An audit entry cannot be changed or removed."""


def canonical(fields: dict[str, Any]) -> str:
    """The entry's content as one stable JSON text (sorted keys, UTC microseconds)."""
    at = fields["at"]
    if isinstance(at, datetime):
        at = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    content = {
        "seq": fields["seq"],
        "at": at,
        "actor": fields["actor_id"],
        "actor_label": fields["actor_label"],
        "action": fields["action"],
        "object_type": fields["object_type"],
        "object_id": fields["object_id"],
        "result": fields["result"],
        "origin": fields["origin"],
        "detail": fields["detail"],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous entry's hash and this entry's canonical content."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(fields)}".encode()).hexdigest()


HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "result",
    "origin",
    "detail",
)


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    """Reads only: updates and deletes are refused."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnly("audit entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("audit entries are append-only")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEntry]:
        raise AppendOnly("audit entries are appended one by one, each on the chain")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnly("audit entries are append-only")


class AuditEntryManager(models.Manager["AuditEntry"]):
    """``create`` appends an entry to the chain; nothing else writes."""

    def get_queryset(self) -> AuditQuerySet:
        return AuditQuerySet(self.model, using=self._db)

    def create(self, **kwargs: Any) -> AuditEntry:
        """Append one entry after the chain head, holding the head's row lock until commit.

        The first statement is an UPDATE of the head row: on PostgreSQL it takes the row lock
        that queues concurrent writers; on SQLite the transaction already holds the database's
        write lock (``transaction_mode = IMMEDIATE``). Three queries.
        """
        actor = kwargs.pop("actor", None)
        if actor is not None:
            kwargs["actor_id"] = actor.pk
        kwargs.setdefault("at", clock.now())
        kwargs.setdefault("result", "success")
        kwargs.setdefault("origin", "")
        kwargs.setdefault("detail", {})
        kwargs.setdefault("actor_id", None)
        with transaction.atomic(using=self.db):
            seq, prev_hash = _advance_head(self.db)
            entry = self.model(seq=seq, prev_hash=prev_hash, **kwargs)
            # the JSON round trip the database will make (tuples become lists, …)
            entry.detail = json.loads(json.dumps(entry.detail))
            entry.hash = chain_hash(prev_hash, {f: getattr(entry, f) for f in HASHED_FIELDS})
            entry._appending = True  # type: ignore[attr-defined]
            entry.save(force_insert=True, using=self.db)
            AuditChain.objects.using(self.db).filter(pk=1).update(hash=entry.hash)
        return entry


def _advance_head(using: str) -> tuple[int, str]:
    """Move the head to the next sequence number (locking it); return it and the last hash."""
    table = AuditChain._meta.db_table
    sql = f"UPDATE {table} SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"  # noqa: S608
    with transaction.get_connection(using).cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:
            # A fresh (or flushed) database: create the head before the first entry. Writers
            # that race here insert it once (ON CONFLICT DO NOTHING waits for the one that
            # won) and then queue on its row lock like everyone else.
            AuditChain.objects.using(using).bulk_create(
                [AuditChain(pk=1, seq=0, hash=GENESIS)], ignore_conflicts=True
            )
            cursor.execute(sql)
            row = cursor.fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


class AuditEntry(models.Model):
    """One logged action. Append-only; ``detail`` never holds personal data."""

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    at = models.DateTimeField(_("at"), default=clock.now, db_index=True)
    # no database constraint and no cascade: deleting a user must not rewrite the trail
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor label"), max_length=150)
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    result = models.CharField(_("result"), max_length=16, default="success")
    origin = models.CharField(_("origin"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditEntryManager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not getattr(self, "_appending", False) or not self._state.adding:
            raise AppendOnly("audit entries are written by AuditEntry.objects.create only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("audit entries are append-only")


class AuditChain(models.Model):
    """The chain's single head row (id 1): the last sequence number and hash written, and the
    anchor left by pruning (the last pruned entry's number and hash, where verifying starts)."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)
    anchor_seq = models.PositiveBigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default=GENESIS)
    pruned_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
