"""The audit trail's hash chain: append-only, verifiable, tamper-evident, prunable."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import InternalError, ProgrammingError, connection, transaction
from django.test import RequestFactory

from balie.audit import trail
from balie.audit.models import HASHED_FIELDS, AppendOnly, AuditChain, AuditEntry, chain_hash
from balie.audit.prune import prune_expired
from balie.audit.verify import verify
from balie.core import clock
from tests import factories
from tests.conftest import ON_POSTGRES

TABLE = AuditEntry._meta.db_table


def _write(n: int, party) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return [
        trail.record(request=None, action="view_party", obj=party, detail={"i": i})
        for i in range(n)
    ]


def _raw(sql: str, params: list[object]) -> None:
    """Run SQL past the ORM guard and, on PostgreSQL, past the append-only trigger."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_entry_append_only")


@pytest.fixture
def party(organisation):  # type: ignore[no-untyped-def]
    return factories.PartyFactory(organisation=organisation)


def test_each_entry_links_to_the_one_before(party):
    """Entries get consecutive numbers; each hash covers its content and the previous hash."""
    first, second, third = _write(3, party)
    assert (second.seq, third.seq) == (first.seq + 1, first.seq + 2)
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    stored = AuditEntry.objects.filter(pk=third.pk).values(*HASHED_FIELDS).get()
    assert chain_hash(second.hash, stored) == third.hash
    assert AuditChain.objects.get(pk=1).hash == third.hash


def test_an_entry_records_the_trusted_client_address(party, settings):
    """The origin is the client address as core.clientip trusts it behind a proxy."""
    settings.PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    request.user = factories.UserFactory()
    entry = trail.record(request=request, action="view_party", obj=party)
    assert entry.origin == "203.0.113.9"
    assert entry.actor_label == request.user.username


def test_appending_takes_three_queries(party, django_assert_max_num_queries):
    """One entry costs the head update, the insert and the head's new hash (plus savepoints)."""
    _write(1, party)
    with django_assert_max_num_queries(5):
        _write(1, party)


def test_the_orm_refuses_updates_and_deletes(party):
    """Saving, updating, deleting or bulk-creating entries through the ORM raises."""
    (entry,) = _write(1, party)
    entry.result = "failed"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(result="failed")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.bulk_create([AuditEntry(action="x")])
    assert AuditEntry.objects.get(pk=entry.pk).result == "success"


def test_deleting_a_user_keeps_the_entries_they_made(party):
    """The actor link has no cascade: removing a user leaves the chain as it was."""
    user = factories.UserFactory()
    request = RequestFactory().get("/")
    request.user = user
    trail.record(request=request, action="view_party", obj=party)
    user.delete()
    assert verify().ok
    assert AuditEntry.objects.filter(actor_label=user.username).count() == 1


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_by_sql(party):
    """On PostgreSQL a trigger refuses UPDATE and DELETE of entries, whoever sends them."""
    (entry,) = _write(1, party)
    for sql in (
        "UPDATE audit_auditentry SET result = 'failed' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises((InternalError, ProgrammingError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, result="success").exists()


def test_verify_audit_passes_an_intact_chain(party, capsys):
    """An untouched chain verifies, and the command says how many entries it checked."""
    _write(5, party)
    call_command("verify_audit")
    assert "5 checked" in capsys.readouterr().out


def test_verify_audit_names_a_changed_entry(party):
    """A detail changed by raw SQL fails the check at that entry, exit non-zero."""
    entries = _write(5, party)
    _raw("UPDATE audit_auditentry SET object_id = %s WHERE id = %s", ["999", entries[2].pk])
    verdict = verify()
    assert (verdict.broken_at, verdict.problem) == (entries[2].seq, "content changed")
    with pytest.raises(CommandError, match=f"broken at entry {entries[2].seq}"):
        call_command("verify_audit")


def test_verify_audit_names_a_removed_entry(party):
    """An entry deleted by raw SQL from the middle is named as missing."""
    entries = _write(5, party)
    _raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    verdict = verify()
    assert verdict.broken_at == entries[1].seq
    assert "missing" in verdict.problem


def test_verify_audit_notices_the_newest_entries_removed(party):
    """Cutting off the tail is caught by the head row's sequence number."""
    entries = _write(4, party)
    _raw("DELETE FROM audit_auditentry WHERE seq >= %s", [entries[2].seq])
    assert verify().broken_at == entries[2].seq


def test_verify_audit_notices_a_rehashed_entry(party):
    """Changing an entry and recomputing its own hash still breaks the next entry's link."""
    entries = _write(3, party)
    row = AuditEntry.objects.filter(pk=entries[1].pk).values(*HASHED_FIELDS).get()
    row["result"] = "refused"
    forged = chain_hash(entries[1].prev_hash, row)
    sql = "UPDATE audit_auditentry SET result = 'refused', hash = %s WHERE id = %s"
    _raw(sql, [forged, entries[1].pk])
    assert verify().broken_at == entries[2].seq


def test_pruning_keeps_the_chain_verifiable_from_its_anchor(party, settings):
    """Entries past the trail's term go; the anchor holds the last one's hash; the rest verify."""
    settings.AUDIT_RETENTION_DAYS = 30
    start = clock.now()
    with time_machine.travel(start - timedelta(days=40), tick=False):
        old = _write(3, party)
    with time_machine.travel(start - timedelta(days=10), tick=False):
        recent = _write(2, party)
    with time_machine.travel(start, tick=False):
        pruned = prune_expired()
    assert (pruned.removed, pruned.anchor_seq) == (3, old[-1].seq)
    assert list(AuditEntry.objects.order_by("seq").values_list("pk", flat=True)) == [
        e.pk for e in recent
    ]
    head = AuditChain.objects.get(pk=1)
    assert head.anchor_hash == old[-1].hash
    verdict = verify()
    assert verdict.ok
    assert verdict.checked == 2


def test_pruning_stops_at_the_first_entry_within_the_term(party, settings):
    """An entry written late with an early clock is not pruned past a newer one before it."""
    settings.AUDIT_RETENTION_DAYS = 30
    start = clock.now()
    with time_machine.travel(start - timedelta(days=40), tick=False):
        _write(1, party)
    with time_machine.travel(start - timedelta(days=5), tick=False):
        kept = _write(1, party)
    with time_machine.travel(start - timedelta(days=50), tick=False):
        _write(1, party)  # a skewed clock: older time, later number
    with time_machine.travel(start, tick=False):
        assert prune_expired().removed == 1
    assert AuditEntry.objects.order_by("seq").first().pk == kept[0].pk
    assert verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain(organisation):
    """Eight threads appending at once leave consecutive numbers and valid links (PostgreSQL:
    the head row's lock; SQLite: IMMEDIATE transactions queue at BEGIN)."""
    party = factories.PartyFactory(organisation=organisation)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                with transaction.atomic():
                    trail.record(request=None, action="view_party", obj=party)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    verdict = verify()
    assert verdict.ok
    assert verdict.checked == AuditEntry.objects.count() == 120
