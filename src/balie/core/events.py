"""Typed domain events, published on commit through one explicit registry.

An event is a frozen dataclass whose fields are JSON values (str, int, float, bool, None,
lists and dicts of those). :func:`publish` must be called inside the transaction that made the
change: it enqueues one durable task per registered handler in that same transaction, so the
handlers run if and only if the change commits. Nothing is lost between commit and dispatch.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Self, TypeVar

from django.db import connection, transaction

EVENT_TYPES: dict[str, type[Event]] = {}
_listeners: list[Callable[[Event], None]] = []

E = TypeVar("E", bound="Event")


@dataclasses.dataclass(frozen=True)
class Event:
    """Base class of every domain event; subclasses register with :func:`event`."""

    name: ClassVar[str] = ""

    def to_payload(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (checked by :func:`publish`)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        """Rebuild the event from :meth:`to_payload` output."""
        return cls(**payload)


def event(name: str) -> Callable[[type[E]], type[E]]:
    """Class decorator: register an event type under a stable wire name."""

    def register(cls: type[E]) -> type[E]:
        if name in EVENT_TYPES and EVENT_TYPES[name] is not cls:
            raise ValueError(f"event name {name!r} is registered twice")
        cls.name = name
        EVENT_TYPES[name] = cls
        return cls

    return register


def publish(evt: Event) -> None:
    """Record ``evt`` for its handlers; they run after the surrounding transaction commits.

    Precondition: called inside ``transaction.atomic()``.
    """
    if not connection.in_atomic_block:
        raise RuntimeError(f"publish({evt.name}) outside a transaction: events are on commit")
    if not evt.name or EVENT_TYPES.get(evt.name) is not type(evt):
        raise TypeError(f"{type(evt).__name__} is not a registered event")
    # Round-trip through JSON now, so an unserialisable payload fails in the action, not later.
    payload = json.loads(json.dumps(evt.to_payload()))
    from balie.core import dispatch

    dispatch.enqueue_handlers(evt.name, payload)
    for listener in list(_listeners):
        listener(evt)
    if not dispatch.batching():  # a batch wakes the workers once, at its end
        transaction.on_commit(dispatch.wake_workers)


def batch() -> AbstractContextManager[None]:
    """``with events.batch(): ...``: the handler tasks of every event published in the block
    are written with one INSERT at its end, inside the same transaction (same guarantees as
    :func:`publish`: they run if and only if the transaction commits)."""
    from balie.core import dispatch

    return dispatch.batch()


def add_listener(listener: Callable[[Event], None]) -> Callable[[], None]:
    """Observe published events in-process (tests, realtime); returns a remover."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)
