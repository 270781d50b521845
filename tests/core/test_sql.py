"""The hand-written batch SQL of ``balie.core.sql``: NULLs, JSON and datetimes written as the
ORM writes them, statement order and round trips, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from balie.channels.models import Channel
from balie.core.models import ScheduledJob
from balie.core.sql import (
    any_of,
    fetch_statements,
    insert_statement,
    run_statements,
    update_rows,
    update_statement,
)
from tests import factories

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
AMSTERDAM = timezone(timedelta(hours=1))


def jobs(count: int) -> list[ScheduledJob]:
    """``count`` scheduled jobs, run before."""
    return [
        ScheduledJob.objects.create(name=f"job-{n}", next_run_at=T0, last_run_at=T0)
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [1, 3], ids=["single-row UPDATE", "UPDATE … FROM VALUES"])
def test_update_writes_nulls_and_datetimes_as_the_orm_reads_them(count):
    """NULL and aware datetimes (microseconds, any offset) round-trip and compare equal in ORM
    filters, in the single-row and the many-row statement."""
    rows = jobs(count)
    later = datetime(2026, 3, 2, 10, 30, 0, 654321, tzinfo=AMSTERDAM)  # 09:30:00.654321 UTC
    for n, row in enumerate(rows):
        row.last_run_at = None if n % 2 == 0 else T0
        row.next_run_at = later
    update_rows(ScheduledJob, rows, ["last_run_at", "next_run_at"])
    stored = list(ScheduledJob.objects.order_by("pk"))
    assert [r.last_run_at for r in stored] == [None if n % 2 == 0 else T0 for n in range(count)]
    assert {r.next_run_at for r in stored} == {later}
    assert ScheduledJob.objects.filter(next_run_at=later).count() == count
    assert ScheduledJob.objects.filter(next_run_at__gt=T0 + timedelta(minutes=29)).count() == count
    assert ScheduledJob.objects.filter(last_run_at__isnull=True).count() == (count + 1) // 2


def test_update_writes_json_values_and_null_foreign_keys(organisation):
    """JSON (nested, unicode, quotes, JSON null, empty) and a NULL foreign key round-trip."""
    team = factories.TeamFactory(organisation=organisation)
    channels = [factories.ChannelFactory(organisation=organisation, team=team) for _ in range(3)]
    values = [
        {"nested": {"list": [1, 2.5, True, None]}, "text": "café 'quoted' \"twice\" 👍"},
        {"empty": {}, "null": None},
        {},
    ]
    for channel, value in zip(channels, values, strict=True):
        channel.settings, channel.team = value, None
    update_rows(Channel, channels, ["settings", "team"])
    stored = list(Channel.objects.filter(pk__in=[c.pk for c in channels]).order_by("pk"))
    assert [c.settings for c in stored] == values
    assert {c.team_id for c in stored} == {None}
    assert Channel.objects.filter(settings__nested__list__1=2.5).get().pk == channels[0].pk


def test_insert_writes_rows_with_nulls_and_leaves_keys_unset():
    """insert_statement writes every row (NULLs included) and does not read the keys back."""
    rows = [
        ScheduledJob(name="a", next_run_at=T0, last_run_at=None),
        ScheduledJob(name="b", next_run_at=T0.astimezone(AMSTERDAM), last_run_at=T0),
    ]
    run_statements([insert_statement(ScheduledJob, rows)])
    assert [r.pk for r in rows] == [None, None]
    stored = {j.name: j for j in ScheduledJob.objects.all()}
    assert (stored["a"].last_run_at, stored["b"].last_run_at) == (None, T0)
    assert {j.next_run_at for j in stored.values()} == {T0}


def test_no_rows_make_no_statement(django_assert_num_queries):
    """No rows give an empty statement, which run_statements skips without a query."""
    assert insert_statement(ScheduledJob, []) == ("", [])
    assert update_statement(ScheduledJob, [], ["last_run_at"]) == ("", [])
    with django_assert_num_queries(0):
        run_statements([insert_statement(ScheduledJob, []), ("", [])])


def test_statements_run_in_order_in_one_round_trip_on_postgresql(django_assert_num_queries):
    """An INSERT then an UPDATE of its row run in order: one round trip on PostgreSQL, one
    each elsewhere."""
    insert = insert_statement(ScheduledJob, [ScheduledJob(name="x", next_run_at=T0)])
    table = ScheduledJob._meta.db_table
    update = (f"UPDATE {table} SET last_run_at = next_run_at WHERE name = %s", ["x"])  # noqa: S608
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        run_statements([insert, update])
    assert ScheduledJob.objects.get(name="x").last_run_at == T0


def test_fetch_returns_each_statements_rows_in_order():
    """fetch_statements gives one list of rows per statement, in order, empty ones included."""
    jobs(3)
    table = ScheduledJob._meta.db_table
    count = (f"SELECT COUNT(*) FROM {table}", [])  # noqa: S608
    names = (f"SELECT name FROM {table} WHERE name <> %s ORDER BY name", ["job-1"])  # noqa: S608
    none = (f"SELECT name FROM {table} WHERE last_run_at IS NULL", [])  # noqa: S608
    assert fetch_statements([count, names, none]) == [[(3,)], [("job-0",), ("job-2",)], []]


@pytest.mark.parametrize("values", [["job-1"], ["job-0", "job-2", "absent"]])
def test_any_of_matches_one_or_many_values(values):
    """any_of selects the rows whose column is among the values (one value or several)."""
    jobs(3)
    condition, params = any_of("name", values)
    table = ScheduledJob._meta.db_table
    sql = f"SELECT name FROM {table} WHERE {condition} ORDER BY name"  # noqa: S608
    assert fetch_statements([(sql, params)]) == [[(v,) for v in sorted(values) if v != "absent"]]
