"""events.batch(): handler tasks of many events written at once, with publish()'s guarantees."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from balie.conversations.actions import do_assign_many
from balie.conversations.actions.status import lock_conversation
from balie.conversations.events import MessageReceived
from balie.core import events as core_events
from balie.core.events import publish
from balie.routing.claim import ROUTED
from tests import factories
from tests.helpers import receive

FIELDS = ("task_path", "args_kwargs", "queue_name", "priority", "run_after", "backend_name")


def message(i: int) -> MessageReceived:
    return MessageReceived(message_id=i, conversation_id=i, channel_kind="api")


@pytest.mark.django_db
def test_a_batch_writes_its_tasks_at_the_end_in_one_insert(django_assert_num_queries):
    """Inside the block nothing is written; at its end one INSERT holds every task."""
    with transaction.atomic():  # as many tasks as publishing one by one writes (a task per
        for i in range(5):  # event and handler: several capabilities react to a message)
            publish(message(i))
        unbatched = DBTaskResult.objects.count()
        DBTaskResult.objects.all().delete()
    assert unbatched >= 5
    with transaction.atomic():
        with django_assert_num_queries(2), core_events.batch():  # this check, and the INSERT
            for i in range(5):
                publish(message(i))
            assert not DBTaskResult.objects.exists()
        assert DBTaskResult.objects.count() == unbatched


@pytest.mark.django_db
def test_batched_tasks_equal_the_ones_publish_writes_alone():
    """Path, arguments, queue, priority, run-after and backend match the unbatched rows."""
    with transaction.atomic():
        publish(message(1))
    alone = list(DBTaskResult.objects.values(*FIELDS))
    DBTaskResult.objects.all().delete()
    with transaction.atomic(), core_events.batch():
        publish(message(1))
    assert list(DBTaskResult.objects.values(*FIELDS)) == alone


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_batch_leaves_no_task(channel):
    """An exception in the block rolls back the change and its tasks, as with publish()."""

    def change_then_fail() -> None:
        with transaction.atomic(), core_events.batch():
            receive(channel)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_outside_a_transaction_is_refused():
    """Like publish(), a batch needs the transaction whose commit releases its tasks."""
    with pytest.raises(RuntimeError, match="outside a transaction"), core_events.batch():
        pass


@pytest.mark.django_db(transaction=True)
def test_committed_batched_tasks_run(channel, run_tasks):
    """After commit the worker runs batched tasks like any other: the conversation is queued."""
    with transaction.atomic(), core_events.batch():
        result = receive(channel)
    assert run_tasks() >= 1
    result.message.conversation.refresh_from_db()
    assert result.message.conversation.status == "queued"


@pytest.mark.django_db
def test_the_routers_own_assignment_enqueues_no_routing_task(channel, agent):
    """Routing's status handler is skipped for the router's assignment, kept for a person's."""
    routed = receive(channel, email="a@example.nl").message.conversation
    by_hand = receive(channel, email="b@example.nl").message.conversation
    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        do_assign_many([(lock_conversation(routed.pk), agent)], reason=ROUTED)
    assert not DBTaskResult.objects.exists()
    supervisor = factories.AgentFactory(organisation=channel.organisation)
    with transaction.atomic():
        do_assign_many([(lock_conversation(by_hand.pk), agent)], actor=supervisor, reason=ROUTED)
    assert DBTaskResult.objects.filter(args_kwargs__args__0__endswith="on_status_changed").exists()


@pytest.mark.django_db
def test_a_nested_batch_that_raises_drops_only_its_own_tasks():
    """A nested block rolled back with its savepoint takes its tasks out of the outer batch
    (a retried receive must not leave tasks for messages that were never stored); the outer
    block's own tasks are written at its end."""
    with transaction.atomic():
        publish(message(1))
        alone = DBTaskResult.objects.count()
        DBTaskResult.objects.all().delete()

    def rolled_back() -> None:
        with transaction.atomic(), core_events.batch():
            publish(message(2))
            raise RuntimeError("the savepoint rolls back")

    with transaction.atomic(), core_events.batch():
        publish(message(1))
        with pytest.raises(RuntimeError):
            rolled_back()
    stored = [row.args_kwargs["args"][2]["message_id"] for row in DBTaskResult.objects.all()]
    assert stored == [1] * alone
