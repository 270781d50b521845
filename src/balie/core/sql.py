"""Raw SQL for batches: statements built from a model's meta with every value a parameter,
and run several to a round trip on PostgreSQL.

For the hot batch paths (routing claims, the outbox, receiving), where building the same
statement through the ORM costs more CPU than the database spends running it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

#: A statement and its parameters, for :func:`run_statements`.
Statement = tuple[str, list[Any]]


def run_statements(statements: Sequence[Statement]) -> None:
    """Execute ``statements`` in order: on PostgreSQL in one round trip (client-side binding
    takes several statements in one ``execute``), elsewhere one by one."""
    _execute([s for s in statements if s[0]], read=False)


def fetch_statements(statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    """The rows of each of ``statements``, executed in order: on PostgreSQL in one round trip
    (as :func:`run_statements`; the results are read one after the other), elsewhere one by
    one."""
    return _execute(list(statements), read=True)


def _execute(statements: list[Statement], *, read: bool) -> list[list[tuple[Any, ...]]]:
    found: list[list[tuple[Any, ...]]] = []
    if not statements:
        return found
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            cursor.execute(
                "; ".join(sql for sql, _ in statements),
                [p for _, params in statements for p in params],
            )
            if read:
                found.append(cursor.fetchall())
                while cursor.nextset():
                    found.append(cursor.fetchall())
            return found
        for sql, params in statements:
            cursor.execute(sql, params)
            if read:
                found.append(cursor.fetchall())
    return found


def any_of(column: str, values: Sequence[Any]) -> Statement:
    """The condition ``column`` is one of ``values``, with its parameters: on PostgreSQL
    ``= ANY(%s)`` with one array parameter (the same text for any number of values, so the
    driver parses it once), elsewhere ``IN (%s, …)``. ``values`` must not be empty."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def insert_statement(model: type[Model], rows: Sequence[Model]) -> Statement:
    """The ``INSERT … VALUES`` of ``rows``, as ``bulk_create`` would write them (``pre_save``:
    ``auto_now_add``), without reading the new keys back: the rows' ``pk`` stays unset. For
    callers that drop the instances after the write (history and records). No rows: ``""``.
    """
    if not rows:
        return "", []
    meta, quote = model._meta, connection.ops.quote_name
    fields: list[Any] = [f for f in meta.concrete_fields if not f.primary_key]
    params: list[Any] = []
    for row in rows:
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(row, True), connection))
    holders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join([holders] * len(rows))
    # Names come from the model's meta, every value is a parameter.
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}", params  # noqa: S608


def update_rows(model: type[Model], rows: Sequence[Model], columns: Sequence[str]) -> None:
    """Write ``columns`` (attribute names) of ``rows`` in one statement
    (see :func:`update_statement`)."""
    run_statements([update_statement(model, rows, columns)])


def update_statement(
    model: type[Model], rows: Sequence[Model], columns: Sequence[str]
) -> Statement:
    """The ``UPDATE … FROM (VALUES …)`` writing ``columns`` (attribute names) of ``rows``.

    What ``bulk_update`` does, without building a ``CASE WHEN`` expression per row and field
    (which costs more in Python than the statement costs the database). A single row is a
    plain UPDATE. PostgreSQL and SQLite (≥ 3.33) both support ``UPDATE … FROM``. No rows:
    ``""``.
    """
    if not rows:
        return "", []
    meta, quote = model._meta, connection.ops.quote_name
    fields: list[Any] = [meta.get_field(name) for name in columns]  # concrete columns only
    pk = meta.pk
    assert pk is not None  # every model has one
    table = quote(meta.db_table)
    if len(rows) == 1:  # a plain UPDATE, written directly (the ORM's compilation costs more)
        row = rows[0]
        sets = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        single = [field.get_db_prep_save(getattr(row, name), connection) for name, field in
                  zip(columns, fields, strict=True)]  # fmt: skip
        # Names come from the model's meta, every value is a parameter.
        return (
            f"UPDATE {table} SET {sets} WHERE {quote(pk.column)} = %s",  # noqa: S608
            [*single, pk.get_db_prep_save(row.pk, connection)],
        )
    postgres = connection.vendor == "postgresql"
    width = len(fields) + 1

    def ref(i: int) -> str:
        # PostgreSQL names VALUES columns in the alias and needs their types; SQLite calls
        # them column1, column2, … and takes any value.
        if not postgres:
            return f"v.column{i + 1}"
        return f"v.c{i}" if i == 0 else f"v.c{i}::{fields[i - 1].db_type(connection)}"

    sets = ", ".join(f"{quote(field.column)} = {ref(i + 1)}" for i, field in enumerate(fields))
    holders = "(" + ", ".join(["%s"] * width) + ")"
    params: list[Any] = []
    for row in rows:
        params.append(row.pk)
        for name, field in zip(columns, fields, strict=True):
            params.append(field.get_db_prep_save(getattr(row, name), connection))
    alias = "v(" + ", ".join(f"c{i}" for i in range(width)) + ")" if postgres else "v"
    # Names come from the model's meta, every value is a parameter.
    values = ", ".join([holders] * len(rows))
    where = f"{table}.{quote(pk.column)} = {ref(0)}"
    sql = f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS {alias} WHERE {where}"  # noqa: S608
    return sql, params
