"""Logs: JSON lines carry the traceback of a failure as text, and no message body."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from django.conf import settings

from balie.conf.logging import configure_logging

SECRET = "mijn BSN is 123456782"


@pytest.fixture
def json_logs() -> Iterator[Any]:
    """Balie's JSON logging, its one handler writing to a buffer; returns a reader of the
    lines so far. Afterwards the configured logging is restored."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", "json")
    buffer = io.StringIO()
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line]

    yield lines
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    root.handlers, root.level = handlers, level


def fail(text: str) -> None:
    """Raise with the citizen's ``text`` in a local variable, as real code would hold it."""
    body = {"text": text}
    raise ValueError(f"cannot apply a body of {len(body['text'])} characters")


def test_a_structlog_exception_is_logged_with_its_traceback(json_logs):
    """log.exception in JSON gives the traceback text, not just "exc_info": true."""
    try:
        fail(SECRET)
    except ValueError:
        structlog.get_logger("balie.test").exception("thing_failed", thing_id=7)
    (line,) = [entry for entry in json_logs() if entry["event"] == "thing_failed"]
    assert line["thing_id"] == 7
    assert "exc_info" not in line
    assert line["exception"].startswith("Traceback (most recent call last)")
    assert "in fail" in line["exception"]
    assert "ValueError: cannot apply a body of 21 characters" in line["exception"]


def test_a_stdlib_exception_is_logged_with_its_traceback(json_logs):
    """A library's stdlib logger.exception goes through the same JSON chain, traceback kept."""
    try:
        fail(SECRET)
    except ValueError:
        logging.getLogger("some.library").exception("library failed")
    (line,) = [entry for entry in json_logs() if entry["event"] == "library failed"]
    assert line["logger"] == "some.library"
    assert "ValueError: cannot apply" in line["exception"]


def test_a_passed_exception_is_logged_with_its_traceback(json_logs):
    """exc_info=exc (as the task worker logs) renders that exception's traceback."""
    try:
        fail(SECRET)
    except ValueError as exc:
        caught = exc
    structlog.get_logger("balie.test").error("task_failed", exc_info=caught)
    (line,) = [entry for entry in json_logs() if entry["event"] == "task_failed"]
    assert "ValueError: cannot apply" in line["exception"]


@pytest.mark.django_db
def test_a_failing_webhook_event_logs_one_traceback_without_the_body(json_logs, monkeypatch):
    """A stored WhatsApp event that fails: one JSON line with the traceback; the citizen's
    text is in no line (tracebacks are text, never frames with their local variables)."""
    from balie.channels.whatsapp import ingest
    from balie.channels.whatsapp.models import WebhookEvent
    from tests import factories

    def apply(events: list[WebhookEvent]) -> None:
        fail(events[0].body)

    monkeypatch.setattr(ingest, "_apply", apply)
    channel = factories.ChannelFactory(key="whatsapp", kind="whatsapp")
    body = json.dumps({"object": "whatsapp_business_account", "text": SECRET})
    event = WebhookEvent.objects.create(channel=channel, body=body)
    ingest.process_events([event.pk])
    lines = json_logs()
    failed = [entry for entry in lines if entry["event"] == "whatsapp_event_failed"]
    assert len(failed) == 1
    assert failed[0]["event_id"] == event.pk
    assert "Traceback (most recent call last)" in failed[0]["exception"]
    assert "ValueError: cannot apply a body of" in failed[0]["exception"]
    assert [entry for entry in lines if "exception" in entry] == failed
    assert not [entry for entry in lines if SECRET in json.dumps(entry)]
    assert WebhookEvent.objects.get().last_error.startswith("ValueError: cannot apply")
