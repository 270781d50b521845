"""Running durable tasks: inline (tests, benchmarks), in a thread (embedded) or as a process.

The claim uses ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (django-tasks-db), so any
number of ``balie worker`` processes can share one queue.
"""

from __future__ import annotations

import threading
import uuid

import structlog
from django.db import OperationalError, close_old_connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from balie.core import dispatch

log = structlog.get_logger(__name__)


def _worker(worker_id: str, queues: list[str] | None = None) -> Worker:
    return Worker(
        queue_names=queues or ["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_ready_tasks(max_tasks: int | None = None, worker_id: str = "inline") -> int:
    """Run ready tasks in this thread until none is left (or ``max_tasks``); return the count.

    Works inside an open transaction too (tests), because it never closes the connection.
    """
    worker = _worker(worker_id)
    done = 0
    while max_tasks is None or done < max_tasks:
        try:
            with exclusive_transaction():
                claimed = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
                if claimed is not None:
                    claimed.claim(worker_id)
        except OperationalError as exc:  # SQLite busy: another writer holds the lock
            if is_locked_database_exception(exc):
                continue
            raise
        if claimed is None:
            return done
        worker.run_task(claimed)
        done += 1
    return done


class InProcessWorker:
    """The embedded default's worker: a daemon thread that drains the queue when woken."""

    def __init__(self, poll_seconds: float = 0.5) -> None:
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="balie-worker", daemon=True)
        self.worker_id = f"inprocess-{uuid.uuid4().hex[:8]}"

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()
        log.info("worker_started", worker_id=self.worker_id)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its current task and wait for it."""
        self._stop.set()
        dispatch.wake_workers()
        self._thread.join(timeout)
        log.info("worker_stopped", worker_id=self.worker_id)

    def _loop(self) -> None:
        from balie.core import scheduler

        while not self._stop.is_set():
            try:
                close_old_connections()
                scheduler.run_due()
                ran = run_ready_tasks(max_tasks=100, worker_id=self.worker_id)
            except Exception:
                log.exception("worker_loop_failed")
                ran = 0
            finally:
                close_old_connections()
            if not ran:
                dispatch.wait_for_work(self.poll_seconds)
