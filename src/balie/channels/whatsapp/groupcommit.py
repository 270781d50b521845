"""Group commit of webhook events: many POSTs, one durable transaction, then the answers.

Each web process has one writer thread. Requests hand it their checked body and wait; the
writer takes everything that queued up while it was busy (up to ``MAX_BATCH``), writes those
``WebhookEvent`` rows and their processing tasks in one transaction, and only after that commit
tells each waiting request the outcome. Under load one commit (one fsync) serves dozens of
requests; at rest a lone request is written at once, with no added delay. A failed commit fails
every request in it (they answer 503 and Meta retries): nothing is half-written because the
rows and their tasks share the transaction.

The writer uses the sync ORM on its own connection, so SQLite and PostgreSQL behave alike and
several web processes may each run one (their transactions are independent).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import structlog
from django.db import OperationalError, connection, transaction

from balie.channels.whatsapp.events import WebhookReceived
from balie.channels.whatsapp.models import WebhookEvent
from balie.core.events import batch, publish

log = structlog.get_logger(__name__)

#: most POSTs written in one transaction
MAX_BATCH = 256
#: seconds the SQLite writer keeps asking for the database's one write lock
SQLITE_LOCK_WAIT = 8.0
#: stored events announced per processing task, so several workers share a large commit
EVENTS_PER_TASK = 32


@dataclass(frozen=True)
class _Pending:
    channel_id: int
    text: str
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop


def write_batch(items: list[tuple[int, str]]) -> list[int]:
    """Store ``(channel_id, body)`` rows and their processing tasks in one transaction.

    Returns the new event ids in order. Raises if the commit fails; then nothing is stored.
    """
    with transaction.atomic():
        rows = WebhookEvent.objects.bulk_create(
            [WebhookEvent(channel_id=channel_id, body=text) for channel_id, text in items]
        )
        by_channel: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            by_channel[row.channel_id].append(row.pk)
        with batch():
            for channel_id, ids in by_channel.items():
                for start in range(0, len(ids), EVENTS_PER_TASK):
                    publish(WebhookReceived.of(ids[start : start + EVENTS_PER_TASK], channel_id))
    return [row.pk for row in rows]


def _write(items: list[tuple[int, str]]) -> None:
    """:func:`write_batch`; on SQLite, poll for the write lock every millisecond for up to
    ``SQLITE_LOCK_WAIT`` seconds instead of using SQLite's busy handler, whose sleeps grow to
    100 ms and keep losing the lock to a worker that writes in quick succession."""
    if connection.vendor != "sqlite":
        write_batch(items)
        return
    connection.ensure_connection()
    connection.connection.execute("PRAGMA busy_timeout = 0")
    deadline = time.monotonic() + SQLITE_LOCK_WAIT
    while True:
        try:
            write_batch(items)
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.001)
        else:
            return


class GroupCommitter:
    """The writer thread of one process and the queue that feeds it."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, channel_id: int, text: str) -> asyncio.Future[None]:
        """Queue a checked body; the future resolves after the commit that holds it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._ensure_writer()
        self._queue.put(_Pending(channel_id, text, future, loop))
        return future

    def close(self, timeout: float = 5.0) -> None:
        """Stop the writer after what is queued and close its database connection."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)

    def _ensure_writer(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="balie-whatsapp-writer", daemon=True
                )
                self._thread.start()

    def _take(self) -> tuple[list[_Pending], bool]:
        """The next batch, and whether the writer was asked to stop after it."""
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        stop = False
        while not stop:
            batch, stop = self._take()
            self._commit([p for p in batch if not p.future.cancelled()])
        connection.close()

    def _commit(self, live: list[_Pending]) -> None:
        if not live:
            return
        error: BaseException | None = None
        try:
            _write([(p.channel_id, p.text) for p in live])
        except Exception as exc:
            log.exception("whatsapp_group_commit_failed", size=len(live))
            connection.close()  # a broken connection must not poison the next batch
            error = exc
        for pending in live:
            try:
                pending.loop.call_soon_threadsafe(_settle, pending.future, error)
            except RuntimeError:  # that event loop is closed: nobody is waiting
                continue


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the request gave up waiting (timeout, disconnect)
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
