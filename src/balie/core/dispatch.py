"""From a published event to its handlers: durable tasks through django-tasks.

``balie.handlers.HANDLERS`` is the one explicit table of who reacts to what.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import structlog
from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks import task

log = structlog.get_logger(__name__)

_wake = threading.Condition()


@dataclass(frozen=True)
class Handler:
    """A handler of one event: a dotted path to ``fn(event)`` and the queue it runs on.

    ``durable=False`` handlers (realtime pushes) run in the publishing process right after
    commit, best effort: losing one loses nothing the database does not already hold.
    """

    path: str
    queue: str = "default"
    durable: bool = True


@cache
def handlers_for(event_name: str) -> tuple[Handler, ...]:
    """The handlers registered for ``event_name`` in ``balie.handlers``."""
    from balie.handlers import HANDLERS

    return tuple(HANDLERS.get(event_name, ()))


def enqueue_handlers(event_name: str, payload: dict[str, Any]) -> None:
    """Enqueue one task per durable handler inside the current transaction; schedule the
    others for right after commit."""
    for handler in handlers_for(event_name):
        if handler.durable:
            run_handler.using(queue_name=handler.queue).enqueue(handler.path, event_name, payload)
        else:
            transaction.on_commit(
                partial(run_handler.call, handler.path, event_name, payload), robust=True
            )


@task()
def run_handler(handler_path: str, event_name: str, payload: dict[str, Any]) -> None:
    """Task body: rebuild the event and call the handler."""
    from balie.core.events import EVENT_TYPES

    evt = EVENT_TYPES[event_name].from_payload(payload)
    fn = import_string(handler_path)
    log.debug("event_handler_started", event_name=event_name, handler=handler_path)
    fn(evt)


def wake_workers() -> None:
    """Nudge the in-process worker so it picks up new tasks without waiting for its poll."""
    with _wake:
        _wake.notify_all()


def wait_for_work(timeout: float) -> None:
    """Block the in-process worker until woken or ``timeout`` seconds pass."""
    with _wake:
        _wake.wait(timeout)
