"""Work done many at a time: workers' batch handlers, receiving, status changes, queueing."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from balie.conversations.actions import InboundMessage, do_receive_messages
from balie.conversations.actions.status import do_change_statuses
from balie.conversations.models import Conversation, Message, StatusChange
from balie.conversations.workflow import Status
from balie.core.errors import WorkflowViolation
from balie.parties import actions as party_actions
from balie.parties.actions import AddressClaim, SenderIdentity
from balie.parties.models import DigitalAddress, Party
from balie.routing import handlers as routing_handlers
from tests.helpers import receive


def sender(email: str, name: str = "") -> SenderIdentity:
    return SenderIdentity(primary=AddressClaim("email", email, True), name=name)


def text(provider_id: str) -> InboundMessage:
    return InboundMessage(provider_id=provider_id, body=f"bericht {provider_id}")


def test_a_worker_gives_a_batch_handler_all_its_events_and_a_failure_fails_alone(
    channel, run_tasks, monkeypatch
):
    """Three new conversations reach routing in one call; when that call fails, each event
    runs alone, and only the bad one's task is failed, with its exception."""
    ids = [receive(channel, email=f"p{n}@example.nl").message.conversation_id for n in range(3)]
    calls: list[list[int]] = []

    def enqueue_and_route(conversation_ids: list[int], reason: str) -> None:
        calls.append(list(conversation_ids))
        if ids[1] in conversation_ids:
            raise ValueError("cannot route this one")

    monkeypatch.setattr(routing_handlers, "_enqueue_and_route", enqueue_and_route)
    run_tasks()
    assert calls == [ids, [ids[0]], [ids[1]], [ids[2]]]
    path = "balie.routing.handlers.on_conversations_created"
    rows = {
        r.args_kwargs["args"][2]["conversation_id"]: r
        for r in DBTaskResult.objects.all()
        if r.args_kwargs["args"][0] == path
    }
    assert {cid: rows[cid].status for cid in ids} == {
        ids[0]: "SUCCESSFUL",
        ids[1]: "FAILED",
        ids[2]: "SUCCESSFUL",
    }
    assert rows[ids[1]].exception_class_path == "builtins.ValueError"
    assert "cannot route this one" in rows[ids[1]].traceback


def test_a_batch_opens_one_conversation_per_sender_and_stores_each_message_once(channel, events):
    """Two senders, one of them writing twice and once more with a repeated provider id."""
    anna, bert = sender("anna@example.nl", "Anna"), sender("bert@example.nl")
    items = [(anna, text("m1")), (bert, text("m2")), (anna, text("m3")), (anna, text("m1"))]
    with transaction.atomic():
        results = do_receive_messages(channel, items)
    assert [r.created for r in results] == [True, True, True, False]
    assert results[3].message.pk == results[0].message.pk
    first, second, third = (r.message for r in results[:3])
    assert first.conversation_id == third.conversation_id != second.conversation_id
    assert [r.conversation_created for r in results[:3]] == [True, True, False]
    assert (Party.objects.count(), Conversation.objects.count(), Message.objects.count()) == (
        2,
        2,
        3,
    )
    assert Party.objects.get(addresses__value="anna@example.nl").display_name == "Anna"
    assert DigitalAddress.objects.get(value="bert@example.nl").verified
    assert len(events.named("party_created")) == 2
    assert len(events.named("conversation_created")) == 2
    assert [e.message_id for e in events.named("message_received")] == [
        first.pk,
        second.pk,
        third.pk,
    ]

    events.clear()
    with transaction.atomic():
        again = do_receive_messages(channel, [(anna, text("m1")), (anna, text("m4"))])
    assert [r.created for r in again] == [False, True]
    assert again[1].message.conversation_id == first.conversation_id
    assert not events.named("conversation_created")


def test_a_batch_that_loses_a_race_is_received_one_by_one(channel, monkeypatch):
    """An IntegrityError (another worker created an address meanwhile) rolls the batch back
    to its savepoint; every message is then received on its own, none lost or doubled."""
    real = party_actions.do_find_or_create_parties
    failures = []

    def racing(organisation_id, senders):  # type: ignore[no-untyped-def]
        if len(senders) > 1 and not failures:
            failures.append(len(senders))
            real(organisation_id, senders)
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(organisation_id, senders)

    monkeypatch.setattr("balie.conversations.actions.receive.do_find_or_create_parties", racing)
    items = [(sender(f"c{n}@example.nl"), text(f"r{n}")) for n in range(3)]
    with transaction.atomic():
        results = do_receive_messages(channel, items)
    assert failures == [3]
    assert all(r.created for r in results)
    assert Message.objects.count() == 3
    assert Party.objects.count() == 3


def test_status_changes_of_a_batch_are_all_or_nothing(channel):
    """One refused move refuses the batch: no status, no history written."""
    ok = receive(channel, email="a@example.nl").message.conversation
    closed = receive(channel, email="b@example.nl").message.conversation
    Conversation.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    closed.refresh_from_db()
    with transaction.atomic(), pytest.raises(WorkflowViolation):
        do_change_statuses([ok, closed], Status.QUEUED, reason="test")
    ok.refresh_from_db()
    assert ok.status == Status.NEW
    assert not StatusChange.objects.exists()

    with transaction.atomic():
        do_change_statuses([ok], Status.QUEUED, reason="waiting")
    ok.refresh_from_db()
    assert ok.status == Status.QUEUED
    assert StatusChange.objects.get().reason == "waiting"


def test_a_worker_for_some_queues_leaves_the_others(channel, run_tasks):
    """``balie worker --queues default`` routes; the outbox's sends stay for their worker."""
    from balie.core.worker import run_ready_tasks

    receive(channel, email="q@example.nl")
    run_ready_tasks(queues=["default"])
    waiting = DBTaskResult.objects.filter(status="READY")
    assert {t.queue_name for t in waiting} == {"outbound"}  # the queue notice's send
    assert Message.objects.filter(direction="outbound", delivery_status="pending").count() == 1
    run_tasks()
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_tasks_of_a_lost_worker_go_back_to_the_queue(channel, run_tasks, time_machine):
    """A worker killed mid-round leaves its tasks running; after a minute without its
    heartbeat they are ready again and run, while a living worker's tasks are left alone."""
    from balie.core.worker import beat, reclaim_lost_tasks

    time_machine.move_to("2026-11-24 10:00:00 +0000", tick=False)
    lost = receive(channel, email="lost@example.nl").message.conversation
    kept = receive(channel, email="kept@example.nl").message.conversation
    tasks = {
        t.args_kwargs["args"][2]["conversation_id"]: t
        for t in DBTaskResult.objects.filter(status="READY")
        if t.args_kwargs["args"][1] == "conversation_created"
    }
    for conversation, worker in ((lost, "killed"), (kept, "alive")):
        DBTaskResult.objects.filter(pk=tasks[conversation.pk].pk).update(
            status="RUNNING", started_at=timezone.now(), worker_ids=[worker]
        )
    beat("killed")
    time_machine.move_to("2026-11-24 10:02:00 +0000", tick=False)
    beat("alive")
    assert reclaim_lost_tasks() == 1
    assert DBTaskResult.objects.get(pk=tasks[lost.pk].pk).status == "READY"
    assert DBTaskResult.objects.get(pk=tasks[kept.pk].pk).status == "RUNNING"
    run_tasks()
    lost.refresh_from_db()
    kept.refresh_from_db()
    assert (lost.status, kept.status) == (Status.QUEUED, Status.NEW)


def test_a_task_that_keeps_losing_its_worker_is_failed_not_run_forever(channel, time_machine):
    """A task whose worker disappears three times (it may be what kills them) is failed with
    WorkerLost instead of being queued again; its workers are all on the row."""
    from balie.core import worker

    time_machine.move_to("2026-11-24 10:00:00 +0000", tick=False)
    receive(channel, email="poison@example.nl")
    ids = set(DBTaskResult.objects.filter(status="READY").values_list("pk", flat=True))
    for run, name in enumerate(["w1", "w2", "w3"], start=1):
        assert {row.pk for row in worker._claim(name, 64, None)} == ids  # then killed
        time_machine.shift(120)
        reclaimed = worker.reclaim_lost_tasks()
        assert reclaimed == (len(ids) if run < worker.MAX_LOST_RUNS else 0)
    for task in DBTaskResult.objects.filter(pk__in=ids):
        assert (task.status, task.worker_ids) == ("FAILED", ["w1", "w2", "w3"])
        assert task.exception_class_path == "balie.core.worker.WorkerLost"
    assert worker.run_ready_tasks() == 0


def test_claiming_fresh_tasks_marks_them_running_in_one_update(channel):
    """The claim of tasks never run before stays one locking read and one UPDATE."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from balie.core import worker

    for n in range(3):
        receive(channel, email=f"p{n}@example.nl")
    with CaptureQueriesContext(connection) as queries:
        claimed = worker._claim("w1", 64, None)
    assert len(claimed) >= 3
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1, updates
    assert {tuple(row.worker_ids) for row in claimed} == {("w1",)}
