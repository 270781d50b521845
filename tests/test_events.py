"""Events: one registry, JSON-safe payloads, handlers only after commit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from balie.conversations.events import MessageReceived
from balie.core.events import EVENT_TYPES, Event, publish
from balie.handlers import HANDLERS, PERIODIC
from tests.helpers import receive


def test_every_registered_handler_imports_and_names_a_known_event():
    """The registry refers only to real events and importable functions."""
    for name, handlers in HANDLERS.items():
        assert name in EVENT_TYPES
        for handler in handlers:
            assert callable(import_string(handler.path))
    for job in PERIODIC:
        assert callable(import_string(job.path))


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    """publish() without an open transaction raises instead of dispatching too early."""
    with pytest.raises(RuntimeError, match="outside a transaction"):
        publish(MessageReceived(message_id=1, conversation_id=1, channel_kind="api"))


@pytest.mark.django_db
def test_an_unregistered_event_is_refused():
    """An Event subclass without @event cannot be published."""

    @dataclass(frozen=True)
    class Stray(Event):
        value: int

    with transaction.atomic(), pytest.raises(TypeError):
        publish(Stray(1))


@pytest.mark.django_db
def test_an_unserialisable_payload_fails_in_the_action():
    """A payload that is not JSON fails when published, not later in a worker."""
    with transaction.atomic(), pytest.raises(TypeError):
        publish(MessageReceived(message_id=object(), conversation_id=1, channel_kind="api"))  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_handler_task(channel):
    """If the transaction rolls back, the handlers' tasks vanish with it."""
    seen_inside = []

    def change_then_fail() -> None:
        with transaction.atomic():
            receive(channel)
            seen_inside.append(DBTaskResult.objects.exists())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert seen_inside == [True]
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_runs_its_handlers(channel, run_tasks):
    """After commit the worker runs the handlers: the new conversation is queued."""
    result = receive(channel)
    assert run_tasks() >= 1
    result.message.conversation.refresh_from_db()
    assert result.message.conversation.status == "queued"
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
