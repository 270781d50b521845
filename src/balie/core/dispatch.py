"""From a published event to its handlers: durable tasks through django-tasks.

``balie.handlers.HANDLERS`` is the one explicit table of who reacts to what.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import structlog
from django.db import connection, transaction
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import Task
from django_tasks.signals import task_enqueued

log = structlog.get_logger(__name__)

_wake = threading.Condition()
_batch = threading.local()


@dataclass(frozen=True)
class Handler:
    """A handler of one event: a dotted path to ``fn(event)`` and the queue it runs on.

    ``durable=False`` handlers (realtime pushes) run in the publishing process right after
    commit, best effort: losing one loses nothing the database does not already hold.
    ``when``: a dotted path to a pure ``fn(payload) -> bool``, asked at publish time; the
    handler is not enqueued for events it answers False (no task row for a no-op).
    ``batch=True``: the function takes a list of events, all those a worker claimed at once
    (each still its own task row); it must be idempotent per event, as every handler.
    ``priority``: tasks of a higher priority are claimed (and run) first, so an enrichment
    (the language a message is in) is done before routing decides on the same event's facts.
    """

    path: str
    queue: str = "default"
    durable: bool = True
    when: str | None = None
    batch: bool = False
    priority: int = 0

    def wants(self, payload: dict[str, Any]) -> bool:
        """Whether this handler should run for ``payload`` (its ``when`` predicate)."""
        return self.when is None or bool(imported(self.when)(payload))


@cache
def imported(path: str) -> Any:
    """The object at dotted ``path`` (imported once)."""
    return import_string(path)


@cache
def handlers_for(event_name: str) -> tuple[Handler, ...]:
    """The handlers registered for ``event_name`` in ``balie.handlers``."""
    from balie.handlers import HANDLERS

    return tuple(HANDLERS.get(event_name, ()))


@cache
def batch_handler_paths() -> frozenset[str]:
    """The paths of the handlers registered with ``batch=True``."""
    from balie.handlers import HANDLERS

    return frozenset(h.path for hs in HANDLERS.values() for h in hs if h.batch)


def enqueue_handlers(event_name: str, payload: dict[str, Any]) -> None:
    """Enqueue one task per durable handler inside the current transaction; schedule the
    others for right after commit. Inside :func:`batch`, the tasks wait for its end."""
    pending: list[tuple[Handler, str, dict[str, Any]]] | None = getattr(_batch, "rows", None)
    for handler in handlers_for(event_name):
        if not handler.wants(payload):
            continue
        if not handler.durable:
            transaction.on_commit(
                partial(run_handler.call, handler.path, event_name, payload), robust=True
            )
        elif pending is not None:
            pending.append((handler, event_name, payload))
        else:
            run_handler.using(queue_name=handler.queue, priority=handler.priority).enqueue(
                handler.path, event_name, payload
            )


@contextmanager
def batch() -> Iterator[None]:
    """Collect the durable handler tasks of every event published in the block and write
    them at its end with one ``bulk_create``, still inside the surrounding transaction.

    Precondition: inside ``transaction.atomic()`` (as :func:`balie.core.events.publish`).
    If the block raises, its tasks are dropped with the transaction. Nested blocks join the
    outer one; a nested block that raises drops the tasks it added (its savepoint rolled back
    the changes that published them), so the outer block writes none for a retried attempt.
    """
    if batching():
        mark = len(_batch.rows)
        try:
            yield
        except BaseException:
            del _batch.rows[mark:]
            raise
        return
    if not connection.in_atomic_block:
        raise RuntimeError("dispatch.batch() outside a transaction: events are on commit")
    _batch.rows = []
    try:
        yield
        rows: list[tuple[Handler, str, dict[str, Any]]] = _batch.rows
    finally:
        _batch.rows = None
    _write_tasks(rows)
    transaction.on_commit(wake_workers)


def batching() -> bool:
    """Whether a :func:`batch` block is open in this thread."""
    return getattr(_batch, "rows", None) is not None


def _write_tasks(rows: list[tuple[Handler, str, dict[str, Any]]]) -> None:
    """Enqueue the handler tasks of ``rows`` with :func:`enqueue_all`."""
    enqueue_all(
        [
            (
                run_handler.using(queue_name=handler.queue, priority=handler.priority),
                [handler.path, event_name, payload],
            )
            for handler, event_name, payload in rows
        ]
    )


def enqueue_all(calls: list[tuple[Task[Any, Any], list[Any]]]) -> None:
    """Enqueue each ``(task, args)`` as the task backend would: on the database backend with
    one INSERT for all (inside the caller's transaction, like ``enqueue``)."""
    from django_tasks.utils import normalize_json
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not calls:
        return
    backend = calls[0][0].get_backend()
    if not isinstance(backend, DatabaseBackend):  # another backend: its own enqueue
        for bound, args in calls:
            bound.enqueue(*args)
        return
    results: list[DBTaskResult[Any, Any]] = []
    for bound, args in calls:
        backend.validate_task(bound)
        results.append(
            DBTaskResult(
                id=backend._get_id(),  # the backend's own id scheme
                args_kwargs=normalize_json({"args": args, "kwargs": {}}),
                priority=bound.priority,
                task_path=bound.module_path,
                queue_name=bound.queue_name,
                run_after=bound.run_after or get_date_max(),
                backend_name=backend.alias,
            )
        )
    DBTaskResult.objects.bulk_create(results)
    for result in results:
        task_enqueued.send(type(backend), task_result=result.task_result)


@task()
def run_handler(handler_path: str, event_name: str, payload: dict[str, Any]) -> None:
    """Task body: rebuild the event and call the handler (a batch handler with a list of one).

    Workers group batch handlers' tasks themselves (:mod:`balie.core.worker`)."""
    evt = event_of([handler_path, event_name, payload])
    fn = imported(handler_path)
    log.debug("event_handler_started", event_name=event_name, handler=handler_path)
    fn([evt] if handler_path in batch_handler_paths() else evt)


def event_of(args: list[Any]) -> Any:
    """The event a ``run_handler`` task carries, from its stored ``args``."""
    from balie.core.events import EVENT_TYPES

    _path, event_name, payload = args
    return EVENT_TYPES[event_name].from_payload(payload)


#: the PostgreSQL channel worker processes LISTEN on (``balie.core.worker``)
WAKE_CHANNEL = "balie_tasks"
_generation = 0  # wake-ups so far in this process (under ``_wake``)


def wake_workers() -> None:
    """Nudge the workers so they pick up new tasks without waiting for their poll: this
    process's at once, other processes' on PostgreSQL through ``NOTIFY`` (after a commit it
    is a statement of its own; inside a transaction it is sent at its commit)."""
    wake_local_workers()
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {WAKE_CHANNEL}")
        except Exception:  # the workers' poll still finds the tasks
            log.warning("worker_notify_failed", exc_info=True)


def wake_local_workers() -> None:
    """Nudge this process's worker threads only (a ``NOTIFY`` heard from another process)."""
    global _generation  # noqa: PLW0603 -- one counter per process, guarded by _wake
    with _wake:
        _generation += 1
        _wake.notify_all()


def wake_generation() -> int:
    """The wake-ups so far; pass it to :func:`wait_for_work` to miss none in between."""
    with _wake:
        return _generation


def wait_for_work(timeout: float, since: int | None = None) -> None:
    """Block a worker thread until woken or ``timeout`` seconds pass; with ``since`` (from
    :func:`wake_generation` before its last claim), a wake-up that came meanwhile returns at
    once."""
    with _wake:
        if since is None or since == _generation:
            _wake.wait(timeout)
