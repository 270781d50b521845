# ruff: noqa: F811 (the WhatsApp fixtures are imported, then requested by name)
"""The outbox table: one due rule for the attempt and the sweep, typed state, batch sends in a
fixed number of queries, the data migration from ``Message.metadata``; against the Graph API
simulator over real HTTP with a frozen clock."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from balie.channels import delivery
from balie.channels.models import OutboxEntry, OutboxState
from balie.channels.whatsapp.adapter import WhatsAppAdapter
from balie.conversations.actions import check_send_reply
from balie.conversations.models import Message
from balie.core import clock
from tests.whatsapp.conftest import (  # noqa: F401 (fixtures)
    deliver,
    post_webhook,
    simulator,
    wa_channel,
)
from tests.whatsapp.helpers import last_inbound, status_payload

T0 = "2026-03-02 09:00:00+00:00"


@pytest.fixture
def conversation_id(deliver, run_tasks, time_machine):  # type: ignore[no-untyped-def]
    """A citizen's conversation whose queue notice the outbox already sent (clock at T0)."""
    time_machine.move_to(T0, tick=False)
    deliver("text")
    run_tasks()
    return last_inbound().conversation_id


def replies(conversation_id: int, agent, count: int) -> list[Message]:  # type: ignore[no-untyped-def]
    """``count`` pending replies by ``agent``."""
    return [check_send_reply(conversation_id, agent, f"Antwoord {n}") for n in range(count)]


def entry(message: Message) -> OutboxEntry:
    """The message's outbox entry, fresh from the database."""
    return OutboxEntry.objects.get(pk=message.pk)


def test_queueing_writes_a_due_entry(conversation_id, agent):
    """A queued reply has an entry in ``queued``, no attempts, due at once, on its channel."""
    (reply,) = replies(conversation_id, agent, 1)
    queued = entry(reply)
    assert (queued.state, queued.attempts, queued.channel_id) == ("queued", 0, reply.channel_id)
    assert queued.next_attempt_at == clock.now()
    assert list(OutboxEntry.objects.due(clock.now())) == [queued]
    assert "outbox" not in reply.metadata


def test_a_sent_message_closes_its_entry(conversation_id, agent, run_tasks):
    """After the send the entry is ``sent`` with one attempt and is due no more."""
    (reply,) = replies(conversation_id, agent, 1)
    run_tasks()
    sent = entry(reply)
    assert (sent.state, sent.attempts, sent.next_attempt_at) == ("sent", 1, None)
    assert sent.claimed_at == clock.now()
    assert not OutboxEntry.objects.due(clock.now() + timedelta(days=1)).exists()


def test_the_sweep_waits_for_a_lost_task_but_not_for_a_stuck_attempt(
    conversation_id, agent, time_machine
):
    """The one due rule: a queued entry is the sweep's after LOST_AFTER, an attempt stuck in
    ``sending`` as soon as STUCK_AFTER has passed since it was claimed."""
    queued, stuck = replies(conversation_id, agent, 2)
    OutboxEntry.objects.filter(pk=stuck.pk).update(
        state=OutboxState.SENDING,
        attempts=1,
        claimed_at=clock.now() - delivery.STUCK_AFTER,
        next_attempt_at=clock.now(),
    )
    swept = OutboxEntry.objects.due(clock.now(), grace=delivery.LOST_AFTER)
    assert [e.pk for e in swept] == [stuck.pk]
    time_machine.shift(delivery.LOST_AFTER.total_seconds())
    swept = OutboxEntry.objects.due(clock.now(), grace=delivery.LOST_AFTER)
    assert sorted(e.pk for e in swept) == [queued.pk, stuck.pk]


def test_a_batch_of_sends_takes_the_same_queries_for_three_or_eight(
    conversation_id, agent, simulator
):
    """deliver_many claims, sends and records a chunk in a fixed number of queries: three
    replies and eight take the same count."""
    counts = []
    for size in (3, 8):
        batch = replies(conversation_id, agent, size)
        with CaptureQueriesContext(connection) as queries:
            delivery.deliver_many([m.pk for m in batch])
        assert [entry(m).state for m in batch] == ["sent"] * size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # claim: the locking read, two prefetches, the entries' write; record: the messages'
    # locking read and three writes (one round trip on PostgreSQL); a savepoint around each
    assert counts[0] == (10 if connection.vendor == "postgresql" else 12)


def test_the_sweep_with_nothing_due_is_one_query(conversation_id, agent, django_assert_num_queries):
    """A sweep over an outbox with only fresh and finished entries reads once and sends none."""
    replies(conversation_id, agent, 2)
    with django_assert_num_queries(1):
        assert delivery.sweep_outbox() == 0


def test_the_sweep_sends_lost_messages_in_one_batch(
    conversation_id, agent, simulator, time_machine
):
    """Five lost messages are swept in the queries of one batch plus the sweep's read."""
    batch = replies(conversation_id, agent, 5)
    time_machine.shift(delivery.LOST_AFTER.total_seconds())
    with CaptureQueriesContext(connection) as swept:
        assert delivery.sweep_outbox() == 5
    again = replies(conversation_id, agent, 5)
    with CaptureQueriesContext(connection) as sent:
        delivery.deliver_many([m.pk for m in again])
    assert len(swept) == len(sent) + 1
    assert {entry(m).state for m in batch + again} == {"sent"}


def test_a_late_status_settles_a_stuck_entry_without_a_send(
    conversation_id,
    agent,
    simulator,
    time_machine,
    deliver,
):
    """A stuck attempt whose delivery report came in is closed by the sweep, not resent and
    not failed."""
    (reply,) = replies(conversation_id, agent, 1)
    OutboxEntry.objects.filter(pk=reply.pk).update(
        state=OutboxState.SENDING,
        attempts=1,
        claimed_at=clock.now(),
        next_attempt_at=clock.now() + delivery.STUCK_AFTER,
    )
    deliver(status_payload("wamid.LATE", "delivered", callback_data=str(reply.uuid)))
    count = len(simulator.sent)
    time_machine.shift(delivery.STUCK_AFTER.total_seconds())
    assert delivery.sweep_outbox() == 1
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_id) == ("delivered", "wamid.LATE")
    assert entry(reply).state == "sent"
    assert len(simulator.sent) == count


def test_an_idempotent_adapter_resends_a_stuck_attempt(
    conversation_id, agent, simulator, time_machine, monkeypatch
):
    """With ``idempotent_sends`` the sweep sends a stuck attempt again (second attempt)."""
    monkeypatch.setattr(WhatsAppAdapter, "idempotent_sends", True)
    (reply,) = replies(conversation_id, agent, 1)
    OutboxEntry.objects.filter(pk=reply.pk).update(
        state=OutboxState.SENDING,
        attempts=1,
        claimed_at=clock.now(),
        next_attempt_at=clock.now() + delivery.STUCK_AFTER,
    )
    count = len(simulator.sent)
    delivery.deliver(reply.pk)  # not stuck yet: another worker may be sending
    assert len(simulator.sent) == count
    time_machine.shift(delivery.STUCK_AFTER.total_seconds())
    assert delivery.sweep_outbox() == 1
    reply.refresh_from_db()
    assert (reply.delivery_status, entry(reply).attempts) == ("sent", 2)
    assert len(simulator.sent) == count + 1


def test_the_migration_moves_pending_state_out_of_metadata(conversation_id, agent):
    """The data migration gives pending messages an entry from ``metadata["outbox"]`` (waiting,
    sending, never attempted) and drops the key."""
    waiting, sending, fresh = replies(conversation_id, agent, 3)
    now = clock.now()
    old = {
        waiting.pk: {"state": "waiting", "attempts": 2, "next_at": (now + timedelta(seconds=8))},
        sending.pk: {"state": "sending", "attempts": 1, "started_at": now},
    }
    for pk, outbox in old.items():
        stored = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in outbox.items()}
        Message.objects.filter(pk=pk).update(metadata={"outbox": stored})
    OutboxEntry.objects.all().delete()
    migration = importlib.import_module("balie.channels.migrations.0003_outbox")
    migration.move_to_table(apps, None)
    moved = {e.pk: e for e in OutboxEntry.objects.all()}
    assert (moved[waiting.pk].state, moved[waiting.pk].attempts) == ("waiting", 2)
    assert moved[waiting.pk].next_attempt_at == now + timedelta(seconds=8)
    assert (moved[sending.pk].state, moved[sending.pk].claimed_at) == ("sending", now)
    assert moved[sending.pk].next_attempt_at == now + delivery.STUCK_AFTER
    assert (moved[fresh.pk].state, moved[fresh.pk].attempts) == ("queued", 0)
    assert not Message.objects.filter(metadata__has_key="outbox").exists()


def test_an_idempotent_resend_gives_up_after_the_last_attempt(
    conversation_id, agent, simulator, time_machine, monkeypatch
):
    """Even with ``idempotent_sends`` a stuck attempt is not sent again after MAX_ATTEMPTS."""
    monkeypatch.setattr(WhatsAppAdapter, "idempotent_sends", True)
    (reply,) = replies(conversation_id, agent, 1)
    OutboxEntry.objects.filter(pk=reply.pk).update(
        state=OutboxState.SENDING,
        attempts=delivery.MAX_ATTEMPTS,
        claimed_at=clock.now(),
        next_attempt_at=clock.now(),
    )
    count = len(simulator.sent)
    assert delivery.sweep_outbox() == 1
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.error_code) == ("failed", "outcome_unknown")
    assert entry(reply).state == "failed"
    assert len(simulator.sent) == count


def test_an_unexpected_error_in_one_send_leaves_the_chunk_recorded(
    conversation_id, agent, simulator, monkeypatch
):
    """A bug while sending one message (not a SendError) makes only that message wait for a
    retry; the others of the chunk are sent and recorded as sent."""
    first, second = replies(conversation_id, agent, 2)
    OutboxEntry.objects.filter(pk__in=[first.pk, second.pk]).update(
        state=OutboxState.QUEUED, next_attempt_at=clock.now()
    )
    real_send = WhatsAppAdapter.send

    def flaky(self, message):  # type: ignore[no-untyped-def]
        if message.pk == first.pk:
            raise KeyError("payload bug")
        return real_send(self, message)

    monkeypatch.setattr(WhatsAppAdapter, "send", flaky)
    delivery.deliver_many([first.pk, second.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.delivery_status == "sent"
    assert entry(first).state == "waiting"
    assert entry(first).last_error == "internal_error: KeyError"
