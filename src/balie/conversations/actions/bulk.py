"""Assignment of many conversations at once (the router's batches).

The same outcome as :func:`balie.conversations.actions.status.do_assign` called once per pair,
in the same order: the same statuses and assignees, the same history rows, the same events
(``ConversationAssigned`` then ``ConversationStatusChanged`` per conversation), each transition
checked against the workflow table; but one UPDATE for all conversations, one INSERT for all
history rows and one INSERT for all handler tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from balie.conversations import workflow
from balie.conversations.actions.status import set_assignee
from balie.conversations.events import ConversationStatusChanged
from balie.conversations.models import Conversation, StatusChange
from balie.conversations.workflow import Status
from balie.core import events
from balie.core.errors import WorkflowViolation
from balie.organisations.models import Agent


def do_assign_many(
    pairs: Sequence[tuple[Conversation, Agent]],
    *,
    actor: Agent | None = None,
    reason: str = "",
    defer: list[Statement] | None = None,
) -> list[Conversation]:
    """Give each conversation to its agent and move it to ``assigned``; returns those changed.

    Precondition: inside a transaction, every conversation locked by the caller (as for
    ``do_assign``), each conversation at most once. Every pair is checked before anything is
    written: a pair the workflow table or the organisation check refuses raises
    WorkflowViolation and nothing of the batch is written or published. Capacity checks are
    the router's job (it holds the agents' locks). With ``defer``, the two writes are
    appended to it for the caller to run (:func:`run_statements`, before the transaction
    ends) together with its own.
    """
    moves: list[tuple[Conversation, Agent, Status]] = []
    for conversation, agent in pairs:
        if agent.organisation_id != conversation.organisation_id:
            raise WorkflowViolation("the agent works for another organisation", code="wrong_org")
        source = Status(conversation.status)
        if source == Status.ASSIGNED and conversation.assignee_id == agent.pk:
            continue  # already theirs: do_assign changes nothing either
        if source != Status.ASSIGNED:
            try:
                workflow.check_transition(source, Status.ASSIGNED, reason)
            except workflow.TransitionNotAllowed as exc:
                raise WorkflowViolation(str(exc)) from exc
        moves.append((conversation, agent, source))
    if not moves:
        return []
    now = timezone.now()  # what auto_now would write; bulk_update does not run it
    history: list[StatusChange] = []
    with events.batch():
        for conversation, agent, source in moves:
            set_assignee(conversation, agent, actor=actor, reason=reason)
            conversation.updated_at = now
            if source == Status.ASSIGNED:
                continue  # a reassignment: no status change, as in do_assign
            conversation.status = Status.ASSIGNED
            history.append(
                StatusChange(
                    conversation=conversation,
                    from_status=source,
                    to_status=Status.ASSIGNED,
                    actor=actor,
                    reason=reason[:500],
                )
            )
            events.publish(
                ConversationStatusChanged(
                    conversation_id=conversation.pk,
                    from_status=source.value,
                    to_status=Status.ASSIGNED.value,
                    actor_agent_id=actor.pk if actor else None,
                    reason=reason[:500],
                    organisation_id=conversation.organisation_id,
                )
            )
        changed = [conversation for conversation, _, _ in moves]
        writes = [
            update_statement(Conversation, changed, ["assignee_id", "status", "updated_at"]),
            insert_statement(StatusChange, history),
        ]
        if defer is None:
            for write in writes:  # one statement each, as before
                run_statements([write])
        else:
            defer.extend(writes)
    return changed


#: A statement and its parameters, for :func:`run_statements`.
Statement = tuple[str, list[Any]]


def run_statements(statements: Sequence[Statement]) -> None:
    """Execute ``statements`` in order: on PostgreSQL in one round trip (client-side binding
    takes several statements in one ``execute``), elsewhere one by one."""
    statements = [s for s in statements if s[0]]
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            cursor.execute(
                "; ".join(sql for sql, _ in statements),
                [p for _, params in statements for p in params],
            )
            return
        for sql, params in statements:
            cursor.execute(sql, params)


def fetch_statements(statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    """The rows of each of ``statements``, executed in order: on PostgreSQL in one round trip
    (as :func:`run_statements`; the results are read one after the other), elsewhere one by
    one."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            cursor.execute(
                "; ".join(sql for sql, _ in statements),
                [p for _, params in statements for p in params],
            )
            out = [cursor.fetchall()]
            while cursor.nextset():
                out.append(cursor.fetchall())
            return out
        found = []
        for sql, params in statements:
            cursor.execute(sql, params)
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
