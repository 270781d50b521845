"""Workers wake when tasks are committed (this process at once, others by PostgreSQL NOTIFY),
and the ingest queue has a worker thread of its own on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from balie.conversations.events import MessageReceived
from balie.core import dispatch
from balie.core.events import publish
from balie.core.worker import InProcessWorker, lanes

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="LISTEN/NOTIFY is PostgreSQL's"
)


def _raw_connection() -> psycopg.Connection[tuple[object, ...]]:
    """A connection of the test's own, outside Django (another process, in effect)."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def _until(condition, seconds: float = 5.0) -> float:  # type: ignore[no-untyped-def]
    """Seconds until ``condition()`` held (fails after ``seconds``)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "not within the time"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_wake_up_while_the_worker_was_busy_is_not_lost() -> None:
    """A commit that lands between a worker's claim and its wait ends the wait at once."""
    before = dispatch.wake_generation()
    dispatch.wake_local_workers()  # the commit, while the worker was claiming
    started = time.monotonic()
    dispatch.wait_for_work(5.0, since=before)
    assert time.monotonic() - started < 0.5


def test_waiting_with_nothing_new_lasts_the_poll() -> None:
    """Without a wake-up the wait lasts its timeout (the poll), no longer."""
    started = time.monotonic()
    dispatch.wait_for_work(0.2, since=dispatch.wake_generation())
    assert 0.15 < time.monotonic() - started < 2.0


@pytest.mark.django_db
def test_ingest_has_a_thread_of_its_own_on_postgresql() -> None:
    """On PostgreSQL a worker for every queue runs ingest in a second thread; on SQLite (one
    writer) and for a worker of one queue there is one thread."""
    if connection.vendor == "postgresql":
        assert lanes(None) == [["default", "outbound"], ["ingest"]]
        assert lanes(["*"]) == [["default", "outbound"], ["ingest"]]
        assert lanes(["ingest", "outbound"]) == [["outbound"], ["ingest"]]
    else:
        assert lanes(None) == [None]
    assert lanes(["default"]) == [["default"]]
    assert lanes(["ingest"]) == [["ingest"]]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_commit_notifies_other_processes() -> None:
    """Publishing an event with a durable handler sends a NOTIFY that another connection
    listening on the workers' channel hears after the commit, not before."""
    with _raw_connection() as other:
        other.execute(f"LISTEN {dispatch.WAKE_CHANNEL}")
        with transaction.atomic():
            publish(MessageReceived(message_id=1, conversation_id=1, channel_kind="api"))
            assert not list(other.notifies(timeout=0.2))
        heard = list(other.notifies(timeout=5.0, stop_after=1))
    assert [n.channel for n in heard] == [dispatch.WAKE_CHANNEL]


@pytest.fixture
def worker() -> Iterator[InProcessWorker]:
    """A worker whose poll is far too long to find a task by polling within the test."""
    started = InProcessWorker(poll_seconds=60.0, queues=["default", "ingest"])
    started.start()
    time.sleep(0.5)  # its first round (nothing to do) and the listener's LISTEN
    yield started
    started.stop()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_hears_another_process_notify(worker: InProcessWorker) -> None:
    """A NOTIFY from another connection (another web process) wakes the worker's threads."""
    before = dispatch.wake_generation()
    with _raw_connection() as other:
        other.execute(f"NOTIFY {dispatch.WAKE_CHANNEL}")
    _until(lambda: dispatch.wake_generation() > before)


@pytest.mark.django_db(transaction=True)
def test_a_committed_task_runs_without_waiting_for_the_poll(worker: InProcessWorker) -> None:
    """A task committed while the worker waits runs at once, not after its 60 s poll."""
    with transaction.atomic():
        publish(MessageReceived(message_id=1, conversation_id=1, channel_kind="api"))
    assert _until(lambda: not DBTaskResult.objects.filter(status="READY").exists()) < 5.0
