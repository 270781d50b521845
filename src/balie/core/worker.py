"""Running durable tasks: inline (tests, benchmarks), in a thread (embedded) or as a process.

A worker claims up to ``CLAIM`` ready tasks at once (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the database's write lock on SQLite), so any number of ``balie worker`` processes
share one queue. Handlers registered with ``batch=True`` get all their claimed events in one
call; the round's successes are recorded with one UPDATE. A batch that raises is run again
event by event, so one bad event fails alone (handlers are idempotent: tasks run at least once).
django-tasks' ``task_started``/``task_finished`` signals are not sent: nothing in Balie listens,
and a round records its outcomes in bulk.

Waking: a commit that wrote tasks wakes this process's worker at once and, on PostgreSQL, the
worker processes through ``NOTIFY``, which a listener thread of each worker hears (the poll
stays as the fallback). On PostgreSQL the ``ingest`` queue has a thread of its own in a worker
that serves it among others, so storing a webhook's messages never waits behind a round of
enrichment, routing and deliveries.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import structlog
from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, connections
from django_tasks.base import TaskContext, TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from balie.core import clock, dispatch

log = structlog.get_logger(__name__)
#: Tasks claimed per round: enough to batch a burst, few enough that parallel workers share.
CLAIM = 64
#: How often a worker asks whether a periodic job is due (each ask is a locked read per job).
SCHEDULE_EVERY_S = 1.0
#: How often a worker records that it is alive, and after how long without that its
#: running tasks go back to the queue.
HEARTBEAT_EVERY_S = 10.0
LOST_AFTER = timedelta(seconds=60)
#: A task whose worker was lost this many times is failed instead of queued again: it may
#: be what kills its workers (memory, a crash in C code), and must not take down every worker
#: in turn, forever. Exceptions are not retried at all (a failed task stays failed).
MAX_LOST_RUNS = 3
#: queues with a worker thread of their own on PostgreSQL (when the worker serves others too)
OWN_THREAD = ("ingest",)


class WorkerLost(Exception):
    """Recorded on a task failed because the workers running it kept disappearing."""


def run_ready_tasks(
    max_tasks: int | None = None, worker_id: str = "inline", queues: list[str] | None = None
) -> int:
    """Run ready tasks in this thread until none is left (or ``max_tasks``); return the count.

    ``queues``: only tasks of these queues (None or ``["*"]``: all). Works inside an open
    transaction too (tests), because it never closes the connection.
    """
    done = 0
    while max_tasks is None or done < max_tasks:
        limit = CLAIM if max_tasks is None else min(CLAIM, max_tasks - done)
        claimed = _claim(worker_id, limit, queues)
        if not claimed:
            return done
        _run_round(claimed)
        done += len(claimed)
    return done


def _claim(worker_id: str, limit: int, queues: list[str] | None) -> list[DBTaskResult[Any, Any]]:
    ready = DBTaskResult.objects.ready().filter(backend_name="default")
    if queues and "*" not in queues:
        ready = ready.filter(queue_name__in=queues)
    while True:
        try:
            with exclusive_transaction():
                rows = list(ready.select_for_update(no_key=True, skip_locked=True)[:limit])
                if rows:
                    _mark_running(rows, worker_id)
                return rows
        except OperationalError as exc:  # SQLite busy: another writer holds the lock
            if not is_locked_database_exception(exc):
                raise


def _mark_running(rows: list[DBTaskResult[Any, Any]], worker_id: str) -> None:
    """Mark claimed rows running on ``worker_id``, appending it to the workers that ran each
    (as django-tasks-db does), so :func:`reclaim_lost_tasks` can count lost runs. Rows never
    run before take one UPDATE together; a row run before (reclaimed, rare) its own."""
    now = clock.now()
    fresh = [row for row in rows if not row.worker_ids]
    if fresh:
        DBTaskResult.objects.filter(pk__in=[r.pk for r in fresh]).update(
            status=TaskResultStatus.RUNNING, started_at=now, worker_ids=[worker_id]
        )
    for row in rows:
        workers = [*row.worker_ids, worker_id]
        if row.worker_ids:
            DBTaskResult.objects.filter(pk=row.pk).update(
                status=TaskResultStatus.RUNNING, started_at=now, worker_ids=workers
            )
        row.status, row.started_at, row.worker_ids = TaskResultStatus.RUNNING, now, workers


def _run_round(claimed: list[DBTaskResult[Any, Any]]) -> None:
    """Run the claimed tasks (batch handlers grouped); record successes in one UPDATE."""
    batches: dict[str, list[DBTaskResult[Any, Any]]] = defaultdict(list)
    succeeded: list[DBTaskResult[Any, Any]] = []
    for row in claimed:
        path = _batch_path(row)
        if path is None:
            if _run_one(row):
                succeeded.append(row)
        else:
            batches[path].append(row)
    for path, rows in batches.items():
        succeeded.extend(_run_batch(path, rows))
    if succeeded:
        DBTaskResult.objects.filter(pk__in=[r.pk for r in succeeded]).update(
            status=TaskResultStatus.SUCCESSFUL,
            finished_at=clock.now(),
            return_value=None,
            exception_class_path="",
            traceback="",
        )


def _batch_path(row: DBTaskResult[Any, Any]) -> str | None:
    """The handler path if ``row`` is an event handler registered with ``batch=True``."""
    if row.task_path != dispatch.run_handler.module_path:
        return None
    path = row.args_kwargs["args"][0]
    return path if path in dispatch.batch_handler_paths() else None


def _run_one(row: DBTaskResult[Any, Any]) -> bool:
    """Run one task; a failure is recorded on its row. Whether it succeeded."""
    result, task = row.task_result, row.task
    context = (TaskContext(task_result=result),) if task.takes_context else ()
    return _attempt(row, lambda: task.call(*context, *result.args, **result.kwargs))


def _run_batch(path: str, rows: list[DBTaskResult[Any, Any]]) -> list[DBTaskResult[Any, Any]]:
    """Call the batch handler with every row's event; if that fails, row by row."""
    fn = dispatch.imported(path)
    events = [dispatch.event_of(row.args_kwargs["args"]) for row in rows]
    if len(rows) == 1:
        return rows if _attempt(rows[0], lambda: fn(events)) else []
    try:
        fn(events)
    except Exception:
        log.warning("task_batch_split", handler=path, size=len(rows), exc_info=True)
        return [
            row for row, evt in zip(rows, events, strict=True) if _attempt(row, partial(fn, [evt]))
        ]
    return rows


def _attempt(row: DBTaskResult[Any, Any], call: Callable[[], object]) -> bool:
    """Run ``call`` for ``row``'s task; a failure is logged and recorded on the row."""
    try:
        call()
    except Exception as exc:
        log.error("task_failed", task_id=str(row.pk), task=row.task_path, exc_info=exc)
        row.set_failed(exc)
        return False
    return True


def reclaim_lost_tasks() -> int:
    """Periodic job: tasks still running on a worker not seen for ``LOST_AFTER`` (killed,
    machine gone) go back to the queue; return how many. Handlers are idempotent, so a task
    that had in fact finished its work runs again harmlessly. A task whose workers were lost
    ``MAX_LOST_RUNS`` times is failed instead (:class:`WorkerLost`), with one log line."""
    from balie.core.models import WorkerHeartbeat

    cutoff = clock.now() - LOST_AFTER
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).values_list("pk", "worker_ids")
    lost = [(pk, workers) for pk, workers in running if not workers or workers[-1] not in alive]
    given_up = [pk for pk, workers in lost if len(workers) >= MAX_LOST_RUNS]
    requeued = [pk for pk, workers in lost if len(workers) < MAX_LOST_RUNS]
    if given_up:
        DBTaskResult.objects.filter(pk__in=given_up, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=clock.now(),
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"WorkerLost: its worker disappeared {MAX_LOST_RUNS} times; not run again",
        )
        log.error("tasks_abandoned", task_ids=[str(pk) for pk in given_up], runs=MAX_LOST_RUNS)
    if requeued:
        DBTaskResult.objects.filter(pk__in=requeued, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        log.warning("tasks_reclaimed", count=len(requeued))
    return len(requeued)


def beat(worker_id: str) -> None:
    """Record that ``worker_id`` is alive now."""
    from balie.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"seen_at": clock.now()})


def lanes(queues: list[str] | None) -> list[list[str] | None]:
    """The queues of each worker thread: one thread for all of ``queues`` (None or ``["*"]``:
    every queue), except on PostgreSQL, where each of :data:`OWN_THREAD` served among others
    gets a thread of its own. The first lane runs the periodic jobs."""
    if connection.vendor != "postgresql":
        return [queues]
    configured = list(settings.TASKS["default"].get("QUEUES", ["default"]))
    served = configured if not queues or "*" in queues else list(queues)
    own = [q for q in OWN_THREAD if q in served]
    rest = [q for q in served if q not in own]
    if not own or not rest:
        return [queues]
    return [rest, *([q] for q in own)]


class InProcessWorker:
    """The embedded default's worker: daemon threads that drain the queue when woken."""

    def __init__(self, poll_seconds: float = 0.5, queues: list[str] | None = None) -> None:
        self.queues = queues
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._heart = threading.Thread(target=self._beat, name="balie-heartbeat", daemon=True)
        self.worker_id = f"inprocess-{uuid.uuid4().hex[:8]}"

    def start(self) -> None:
        """Start the threads: the heartbeat, a worker per lane and (PostgreSQL) a listener."""
        for n, queues in enumerate(lanes(self.queues)):
            loop = partial(self._loop, queues, scheduling=n == 0)
            self._threads.append(threading.Thread(target=loop, name="balie-worker", daemon=True))
        if connection.vendor == "postgresql":
            self._threads.append(
                threading.Thread(target=self._listen, name="balie-listener", daemon=True)
            )
        self._heart.start()
        for thread in self._threads:
            thread.start()
        log.info("worker_started", worker_id=self.worker_id, lanes=lanes(self.queues))

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the threads to finish their current task and wait for them."""
        self._stop.set()
        dispatch.wake_local_workers()
        for thread in self._threads:
            thread.join(timeout)
        self._heart.join(timeout)
        log.info("worker_stopped", worker_id=self.worker_id)

    def _beat(self) -> None:
        """Its own thread, so a long round of tasks never looks like a dead worker."""
        from balie.core.models import WorkerHeartbeat

        while True:
            try:
                beat(self.worker_id)
            except Exception:
                log.exception("worker_heartbeat_failed")
            finally:
                close_old_connections()
            if self._stop.wait(HEARTBEAT_EVERY_S):
                break
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except Exception:
            log.exception("worker_heartbeat_failed")
        finally:
            connections.close_all()  # this thread's connections

    def _listen(self) -> None:
        """PostgreSQL: hear other processes' ``NOTIFY`` on a connection of its own and wake
        this process's worker threads (never notifying back)."""
        while not self._stop.is_set():
            own = connections.create_connection("default")
            try:
                own.ensure_connection()
                raw = own.connection
                raw.execute(f"LISTEN {dispatch.WAKE_CHANNEL}")
                while not self._stop.is_set():
                    for _ in raw.notifies(timeout=1.0):
                        dispatch.wake_local_workers()
            except Exception:
                log.warning("worker_listen_failed", exc_info=True)
                self._stop.wait(1.0)
            finally:
                own.close()

    def _loop(self, queues: list[str] | None, *, scheduling: bool) -> None:
        from balie.core import scheduler

        schedule_at = 0.0
        while not self._stop.is_set():
            woken = dispatch.wake_generation()
            try:
                close_old_connections()
                if scheduling and time.monotonic() >= schedule_at:  # jobs run every 5 s or more
                    schedule_at = time.monotonic() + SCHEDULE_EVERY_S
                    scheduler.run_due()
                ran = run_ready_tasks(max_tasks=100, worker_id=self.worker_id, queues=queues)
            except Exception:
                log.exception("worker_loop_failed")
                ran = 0
            finally:
                close_old_connections()
            if not ran:
                dispatch.wait_for_work(self.poll_seconds, since=woken)
        connections.close_all()  # this thread's connections
