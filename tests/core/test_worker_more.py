"""The task worker and the dispatch table at their edges: claims, rounds, batches, predicates,
reclaiming lost tasks, the in-process worker's threads and the periodic scheduler."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from balie.core import dispatch, scheduler, worker
from balie.core.dispatch import Handler
from balie.core.events import Event, event, publish
from balie.core.models import ScheduledJob, WorkerHeartbeat
from balie.core.scheduler import Job
from balie.handlers import HANDLERS, PERIODIC

#: what the test handlers below were called with, in order
CALLS: list[Any] = []


@event("test_worker_ping")
@dataclass(frozen=True)
class Ping(Event):
    """A test-only event: ``n`` identifies it, ``bad`` makes the handlers below raise."""

    n: int
    bad: bool = False


def record_one(evt: Ping) -> None:
    """A plain handler: records its event, raises for a bad one."""
    CALLS.append(("one", evt.n))
    if evt.bad:
        raise ValueError(f"bad ping {evt.n}")


def record_many(events: list[Ping]) -> None:
    """A batch handler: records its events, raises if any is bad."""
    CALLS.append(("many", [e.n for e in events]))
    if any(e.bad for e in events):
        raise ValueError("a bad ping in the batch")


def only_even(payload: dict[str, Any]) -> bool:
    """A ``when`` predicate: only even pings."""
    return payload["n"] % 2 == 0


def failing_job() -> None:
    """A periodic job that always fails."""
    CALLS.append("failing_job")
    raise RuntimeError("job broke")


def counting_job() -> None:
    """A periodic job that records its runs."""
    CALLS.append("counting_job")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[list[Handler]], None]]:
    """Register handlers for ``test_worker_ping`` for one test (the lookups are cached)."""

    def register(handlers: list[Handler]) -> None:
        monkeypatch.setitem(HANDLERS, "test_worker_ping", handlers)
        dispatch.handlers_for.cache_clear()
        dispatch.batch_handler_paths.cache_clear()

    CALLS.clear()
    yield register
    monkeypatch.undo()
    dispatch.handlers_for.cache_clear()
    dispatch.batch_handler_paths.cache_clear()
    CALLS.clear()


HERE = __name__


def ping(*pings: Ping) -> None:
    """Publish ``pings`` in one transaction."""
    with transaction.atomic():
        for p in pings:
            publish(p)


def tasks(status: str | None = None) -> list[DBTaskResult[Any, Any]]:
    """The test's ping tasks (optionally of one status), oldest first."""
    rows = DBTaskResult.objects.order_by("enqueued_at")
    if status:
        rows = rows.filter(status=status)
    return [r for r in rows if r.args_kwargs["args"][1] == "test_worker_ping"]


pytestmark = pytest.mark.django_db


def test_run_ready_tasks_stops_at_max_tasks_and_leaves_the_rest_ready(registry):
    """``max_tasks`` bounds a call: the count run is returned and the others stay READY."""
    registry([Handler(f"{HERE}.record_one")])
    ping(*(Ping(n) for n in range(5)))
    assert worker.run_ready_tasks(max_tasks=2) == 2
    assert len(tasks("SUCCESSFUL")) == 2
    assert len(tasks("READY")) == 3
    assert worker.run_ready_tasks() == 3
    assert sorted(n for _, n in CALLS) == [0, 1, 2, 3, 4]


def test_a_failing_plain_task_fails_alone_and_the_round_records_successes_in_one_update(
    registry,
):
    """One raising handler fails its own row (with its exception); the others in the round
    succeed, recorded with one UPDATE after the claim's."""
    registry([Handler(f"{HERE}.record_one")])
    ping(Ping(1), Ping(2, bad=True), Ping(3))
    with CaptureQueriesContext(connection) as queries:
        assert worker.run_ready_tasks() == 3
    by_n = {t.args_kwargs["args"][2]["n"]: t for t in tasks()}
    assert {n: t.status for n, t in by_n.items()} == {1: "SUCCESSFUL", 2: "FAILED", 3: "SUCCESSFUL"}
    assert by_n[2].exception_class_path == "builtins.ValueError"
    assert "bad ping 2" in by_n[2].traceback
    successes = [q["sql"] for q in queries if "SUCCESSFUL" in q["sql"] and "UPDATE" in q["sql"]]
    assert len(successes) == 1, successes


def test_a_batch_handler_gets_the_whole_round_in_one_call(registry):
    """Three claimed events of a batch handler reach it in a single call, all successful."""
    registry([Handler(f"{HERE}.record_many", batch=True)])
    ping(Ping(1), Ping(2), Ping(3))
    worker.run_ready_tasks()
    assert CALLS == [("many", [1, 2, 3])]
    assert {t.status for t in tasks()} == {"SUCCESSFUL"}


def test_a_failing_batch_is_split_and_only_the_bad_event_fails(registry):
    """A batch call that raises is retried event by event; only the bad event's row fails."""
    registry([Handler(f"{HERE}.record_many", batch=True)])
    ping(Ping(1), Ping(2, bad=True), Ping(3))
    worker.run_ready_tasks()
    assert CALLS == [("many", [1, 2, 3]), ("many", [1]), ("many", [2]), ("many", [3])]
    status = {t.args_kwargs["args"][2]["n"]: t.status for t in tasks()}
    assert status == {1: "SUCCESSFUL", 2: "FAILED", 3: "SUCCESSFUL"}


def test_a_batch_of_one_that_fails_is_not_called_twice(registry):
    """A single claimed event of a batch handler is called once; its failure is recorded."""
    registry([Handler(f"{HERE}.record_many", batch=True)])
    ping(Ping(7, bad=True))
    worker.run_ready_tasks()
    assert CALLS == [("many", [7])]
    assert [t.status for t in tasks()] == ["FAILED"]


def test_a_batch_handler_task_run_alone_gets_a_list_of_one(registry):
    """``run_handler`` called directly (another backend, a retry) hands a batch handler a list."""
    registry([Handler(f"{HERE}.record_many", batch=True)])
    dispatch.run_handler.call(f"{HERE}.record_many", "test_worker_ping", {"n": 4, "bad": False})
    assert CALLS == [("many", [4])]


def test_a_when_predicate_that_says_no_writes_no_task_row(registry):
    """Events the handler's ``when`` rejects leave no task; the others get one each."""
    registry([Handler(f"{HERE}.record_one", when=f"{HERE}.only_even")])
    ping(Ping(1), Ping(2), Ping(3), Ping(4))
    assert sorted(t.args_kwargs["args"][2]["n"] for t in tasks()) == [2, 4]


def test_handlers_carry_their_queue_and_priority_onto_the_task(registry):
    """A handler's queue and priority are the task row's, so workers pick by them."""
    registry([Handler(f"{HERE}.record_one", queue="outbound", priority=7)])
    ping(Ping(1))
    (row,) = tasks()
    assert (row.queue_name, row.priority) == ("outbound", 7)
    assert worker.run_ready_tasks(queues=["default"]) == 0
    assert worker.run_ready_tasks(queues=["outbound"]) == 1


def test_higher_priority_tasks_are_claimed_first(registry):
    """Of two ready tasks, the one with the higher priority is claimed in a round of one."""
    registry(
        [Handler(f"{HERE}.record_one"), Handler(f"{HERE}.record_many", batch=True, priority=5)]
    )
    ping(Ping(1))
    worker.run_ready_tasks(max_tasks=1)
    assert CALLS == [("many", [1])]


def test_a_non_durable_handler_runs_on_commit_and_not_after_a_rollback(registry):
    """``durable=False`` writes no task: it runs right after commit, never for a rollback."""
    registry([Handler(f"{HERE}.record_one", durable=False)])

    def publish_then_fail() -> None:
        with transaction.atomic():
            publish(Ping(1))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    with transaction.atomic():
        publish(Ping(2))
        assert CALLS == []
    # pytest-django wraps the test in a transaction: run what waits for its commit
    for _, callback, _robust in connection.run_on_commit:
        callback()
    assert CALLS == [("one", 2)]
    assert tasks() == []


def test_nested_batches_write_every_task_in_one_insert_at_the_outer_end(registry):
    """A batch inside a batch joins it: nothing is written until the outer block ends."""
    registry([Handler(f"{HERE}.record_one")])
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with dispatch.batch():
            publish(Ping(1))
            with dispatch.batch():
                publish(Ping(2))
            assert dispatch.batching()
            assert tasks() == []
        assert not dispatch.batching()
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert len(tasks()) == 2


def test_enqueue_all_of_nothing_queries_nothing(django_assert_num_queries):
    """An empty list of calls touches neither the database nor the backend."""
    with django_assert_num_queries(0):
        dispatch.enqueue_all([])


def test_claiming_retries_while_sqlite_is_busy_and_raises_other_errors(registry, monkeypatch):
    """A 'database is locked' during the claim is retried; any other OperationalError is not."""
    registry([Handler(f"{HERE}.record_one")])
    ping(Ping(1))
    real = worker.exclusive_transaction
    raised: list[str] = []

    @contextmanager
    def busy_once() -> Iterator[None]:
        if not raised:
            raised.append("locked")
            raise OperationalError("database is locked")
        with real():
            yield

    monkeypatch.setattr(worker, "exclusive_transaction", busy_once)
    assert len(worker._claim("w1", 10, None)) == 1
    assert raised == ["locked"]

    @contextmanager
    def broken() -> Iterator[None]:
        raise OperationalError("no such table: django_tasks_database_dbtaskresult")
        yield  # pragma: no cover

    monkeypatch.setattr(worker, "exclusive_transaction", broken)
    with pytest.raises(OperationalError, match="no such table"):
        worker._claim("w1", 10, None)


def test_a_reclaimed_task_remembers_every_worker_that_ran_it(registry, time_machine):
    """A task claimed again after its worker was lost lists both workers, oldest first."""
    registry([Handler(f"{HERE}.record_one")])
    time_machine.move_to("2026-11-24 10:00:00 +0000", tick=False)
    ping(Ping(1))
    worker._claim("first", 10, None)
    time_machine.shift(120)
    assert worker.reclaim_lost_tasks() == 1
    (row,) = worker._claim("second", 10, None)
    assert row.worker_ids == ["first", "second"]
    assert tasks()[0].worker_ids == ["first", "second"]


def test_a_task_started_recently_is_not_reclaimed_even_without_a_heartbeat(registry, time_machine):
    """Tasks younger than LOST_AFTER stay with their worker, heartbeat or not."""
    registry([Handler(f"{HERE}.record_one")])
    time_machine.move_to("2026-11-24 10:00:00 +0000", tick=False)
    ping(Ping(1))
    worker._claim("silent", 10, None)
    time_machine.shift(worker.LOST_AFTER - timedelta(seconds=1))
    assert worker.reclaim_lost_tasks() == 0
    assert [t.status for t in tasks()] == ["RUNNING"]
    time_machine.shift(2)
    assert worker.reclaim_lost_tasks() == 1


def test_a_running_task_without_any_worker_is_reclaimed(registry, time_machine):
    """A RUNNING row that names no worker (written by another tool) counts as lost."""
    registry([Handler(f"{HERE}.record_one")])
    time_machine.move_to("2026-11-24 10:00:00 +0000", tick=False)
    ping(Ping(1))
    DBTaskResult.objects.filter(pk=tasks()[0].pk).update(
        status="RUNNING", started_at=timezone.now() - timedelta(minutes=5), worker_ids=[]
    )
    assert worker.reclaim_lost_tasks() == 1
    assert [t.status for t in tasks()] == ["READY"]


def test_a_heartbeat_is_one_row_per_worker_updated_in_place(time_machine):
    """Beating twice keeps one row whose time moves on."""
    time_machine.move_to("2026-11-24 10:00:00 +0000", tick=False)
    worker.beat("w1")
    time_machine.shift(30)
    worker.beat("w1")
    (row,) = WorkerHeartbeat.objects.all()
    assert (str(row), row.seen_at.isoformat()) == ("w1", "2026-11-24T10:00:30+00:00")


def test_a_failing_periodic_job_is_logged_and_does_not_stop_the_others(monkeypatch, caplog):
    """One job raising is logged; the next job still runs, and the failed one waits its
    interval like a successful one (no retry storm)."""
    CALLS.clear()
    monkeypatch.setattr(
        scheduler,
        "jobs",
        lambda: (
            Job("t_fail", f"{HERE}.failing_job", timedelta(minutes=1)),
            Job("t_count", f"{HERE}.counting_job", timedelta(minutes=1)),
        ),
    )
    assert scheduler.run_due() == ["t_count"]
    assert CALLS == ["failing_job", "counting_job"]
    assert scheduler.run_due() == []
    assert CALLS == ["failing_job", "counting_job"]
    assert "periodic_job_failed" in caplog.text
    assert str(ScheduledJob.objects.get(name="t_fail")) == "t_fail"


def test_every_periodic_job_imports_and_has_a_unique_name():
    """The PERIODIC table names importable functions, each job once, every interval positive."""
    from django.utils.module_loading import import_string

    names = [job.name for job in PERIODIC]
    assert len(names) == len(set(names))
    for job in PERIODIC:
        assert callable(import_string(job.path)), job.path
        assert job.every > timedelta(0)


def test_an_event_name_registered_twice_is_refused():
    """A second class under an existing wire name raises instead of replacing the first."""
    with pytest.raises(ValueError, match="registered twice"):

        @event("test_worker_ping")
        @dataclass(frozen=True)
        class Impostor(Event):
            n: int


def test_registering_the_same_class_again_is_harmless():
    """Re-applying the decorator to the same class (a module reload) keeps one entry."""
    assert event("test_worker_ping")(Ping) is Ping


@pytest.mark.django_db(transaction=True)
def test_the_in_process_worker_runs_committed_tasks_and_cleans_up_on_stop(registry):
    """Started, it beats and runs a committed task within a second; stopped, its heartbeat
    row is gone."""
    registry([Handler(f"{HERE}.record_one")])
    w = worker.InProcessWorker(poll_seconds=0.1, queues=["default"])
    w.start()
    try:
        ping(Ping(9))
        deadline = time.monotonic() + 5
        while ("one", 9) not in CALLS:
            assert time.monotonic() < deadline, "the worker did not run the task"
            time.sleep(0.02)
        assert WorkerHeartbeat.objects.filter(worker_id=w.worker_id).exists()
    finally:
        w.stop()
    assert not WorkerHeartbeat.objects.filter(worker_id=w.worker_id).exists()
    assert all(not t.is_alive() for t in w._threads)


@pytest.mark.django_db(transaction=True)
def test_the_in_process_worker_survives_a_failing_round(registry, monkeypatch, caplog):
    """A round that raises (the database away for a moment) is logged and the loop goes on."""
    registry([Handler(f"{HERE}.record_one")])
    real = worker.run_ready_tasks
    failures: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> int:
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection")
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "run_ready_tasks", flaky)
    w = worker.InProcessWorker(poll_seconds=0.05, queues=["default"])
    w.start()
    try:
        ping(Ping(3))
        deadline = time.monotonic() + 5
        while ("one", 3) not in CALLS:
            assert time.monotonic() < deadline, "the worker stopped after a failed round"
            time.sleep(0.02)
    finally:
        w.stop()
    assert failures == [1]
    assert "worker_loop_failed" in caplog.text


def test_enqueue_all_on_another_backend_uses_that_backends_own_enqueue(registry, settings):
    """On a backend that is not the database's (here django-tasks' immediate one), each call
    is handed to the backend itself: the handler runs, and no task row is written."""
    settings.TASKS = {
        **settings.TASKS,
        "immediate": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        },
    }
    bound = dispatch.run_handler.using(backend="immediate")
    dispatch.enqueue_all(
        [
            (bound, [f"{HERE}.record_one", "test_worker_ping", {"n": 1, "bad": False}]),
            (bound, [f"{HERE}.record_one", "test_worker_ping", {"n": 2, "bad": False}]),
        ]
    )
    assert CALLS == [("one", 1), ("one", 2)]
    assert tasks() == []
