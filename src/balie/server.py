"""Running Balie: the ASGI server (with the in-process worker) and the standalone worker."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import structlog
import uvicorn
from django.conf import settings
from django.core.management import call_command

from balie.core.worker import InProcessWorker

log = structlog.get_logger(__name__)


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which would kill the
    process before the in-process worker finishes its task; here a signal only stops serving."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def build_server(host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for Balie's ASGI application."""
    config = uvicorn.Config(
        "balie.conf.asgi:application",
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    return _Server(config)


def start_mail_watcher() -> Any:
    """The IMAP watchers beside a worker (None when ``BALIE_EMAIL_WATCH`` is off)."""
    if not settings.EMAIL_WATCH:
        return None
    from balie.channels.email.watcher import MailWatcher

    return MailWatcher().start()


def warm_up_in_background() -> threading.Thread:
    """Load what the first handlers would otherwise load on the first message (the language
    models), in a daemon thread: a worker takes tasks at once either way."""

    def run() -> None:
        from django.db import connections

        from balie.replies.enrichment import warm_up

        try:
            warm_up()
        except Exception:  # a cold start is slower, nothing more
            log.warning("warm_up_failed", exc_info=True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="balie-warm-up", daemon=True)
    thread.start()
    return thread


def serve(*, host: str, port: int, migrate: bool = False) -> int:
    """Serve HTTP until interrupted; run the worker (and the IMAP watchers) in-process
    unless configured off."""
    if migrate:
        call_command("migrate", verbosity=0)
    worker = InProcessWorker() if settings.IN_PROCESS_WORKER else None
    watcher = None
    if worker:
        worker.start()
        warm_up_in_background()
        watcher = start_mail_watcher()
    log.info("server_started", host=host, port=port, in_process_worker=bool(worker))
    try:
        build_server(host, port).run()
    finally:
        if watcher:
            watcher.stop()
        if worker:
            worker.stop()
    return 0


def run_worker(*, queues: list[str]) -> int:
    """A worker process: drains the durable task queue and runs periodic jobs until SIGTERM."""
    if settings.WORKER_NICE > 0:
        os.nice(min(settings.WORKER_NICE, 19))  # requests first (see BALIE_WORKER_NICE)
    gc.freeze()  # start-up objects out of the collector's full passes (shorter pauses)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker = InProcessWorker(poll_seconds=0.1, queues=queues)
    worker.start()
    warm_up_in_background()
    watcher = start_mail_watcher()
    log.info("worker_process_started", queues=queues)
    stop.wait()
    if watcher:
        watcher.stop()
    worker.stop()
    return 0
