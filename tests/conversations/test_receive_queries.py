"""Receiving is the hottest write path: a batch of messages, received as the ingest paths do
(inside ``events.batch()``), costs the same queries whether it holds five messages or fifty,
new senders or known ones, and duplicates write nothing."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from balie.conversations.actions import InboundMessage, do_receive_messages
from balie.conversations.models import Conversation, Message
from balie.core.events import batch
from balie.parties.actions import AddressClaim, SenderIdentity
from balie.parties.models import Party

pytestmark = pytest.mark.django_db


def _items(senders: range, tag: str) -> list[tuple[SenderIdentity, InboundMessage]]:
    return [
        (
            SenderIdentity(primary=AddressClaim("email", f"b{n}@example.nl", True), name=f"B{n}"),
            InboundMessage(provider_id=f"{tag}-{n}", body=f"vraag {n}"),
        )
        for n in senders
    ]


TASKS = 'INTO "django_tasks_database_dbtaskresult"'


def _count(channel, items) -> int:  # type: ignore[no-untyped-def]
    """Queries to receive ``items`` as the ingest paths do, the handler tasks' INSERT (which
    SQLite splits by its parameter limit) counted once."""
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), batch():
        do_receive_messages(channel, items)
    return len([q for q in queries if TASKS not in q["sql"]]) + 1


def test_a_batch_of_new_senders_costs_the_same_queries_for_5_or_50(channel):
    """Fifty first-time senders take no more queries than five: one read and one write per
    table, and the handler tasks in one bulk INSERT."""
    few = _count(channel, _items(range(0, 5), "a"))
    many = _count(channel, _items(range(5, 55), "a"))
    assert few == many, (few, many)
    assert few <= 14
    assert Party.objects.count() == 55
    assert Conversation.objects.count() == 55


def test_known_senders_writing_again_cost_no_more_than_new_ones(channel):
    """A second message from each of twenty known senders lands in their open conversations
    in no more queries than the first round took."""
    first = _count(channel, _items(range(20), "m1"))
    again = _count(channel, _items(range(20), "m2"))
    assert again <= first, (first, again)
    assert Conversation.objects.count() == 20
    assert Message.objects.count() == 40


def test_a_batch_of_duplicates_writes_nothing(channel, events):
    """Receiving the same provider ids again inserts no row and publishes no event."""
    items = _items(range(10), "d")
    with transaction.atomic():
        do_receive_messages(channel, items)
    events.clear()
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), batch():
        results = do_receive_messages(channel, items)
    assert not any(r.created for r in results)
    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert list(events) == []
    assert Message.objects.count() == 10


def test_outside_a_batch_the_action_writes_the_handler_tasks_in_one_insert(channel):
    """Called without ``events.batch()``, the receive opens its own: the handler tasks of
    every message are still one INSERT (SQLite splits it only by its parameter limit)."""
    from django_tasks_db.models import DBTaskResult

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        do_receive_messages(channel, _items(range(4), "n"))
    tasks = [q for q in queries if TASKS in q["sql"]]
    assert len(tasks) == 1
    assert DBTaskResult.objects.count() > 4  # one per handler and message, all written
