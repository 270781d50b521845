"""Stored webhook events that fail to apply: bounded retries with backoff, then parking.

A raw event that cannot be applied never blocks the events behind it and is not retried
forever. Each failure is counted on the event (its own transaction, after the failed one
rolled back) and logged once with its traceback by the caller; the event is then due again
after a backoff, and after the last allowed attempt it is *parked*: the sweep leaves it alone
until an administrator has it processed again (:func:`do_retry_events`, the admin's
"Process again").

Schedule with the default ``BALIE_WHATSAPP_MAX_ATTEMPTS`` = 5: the webhook's handler makes
the first attempt at once; after failure 1 the sweep tries again 1 minute later, after
failure 2 4 minutes later, then 16 and 64 minutes later (``FIRST_BACKOFF`` × 4ⁿ⁻¹, capped at
``MAX_BACKOFF``); failure 5 parks the event, about 85 minutes after it arrived. A retry an
administrator asks for is one more attempt: if it fails too, the event is parked again at
once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction

from balie.channels.whatsapp.events import WebhookReceived
from balie.channels.whatsapp.models import WebhookEvent
from balie.core import clock
from balie.core.events import batch, publish

log = structlog.get_logger(__name__)

FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
#: the stored error: exception type and message, no more (the message may be long)
MAX_ERROR_CHARS = 1000


def max_attempts() -> int:
    """Failed attempts after which an event is parked (``BALIE_WHATSAPP_MAX_ATTEMPTS``)."""
    return max(1, int(getattr(settings, "WHATSAPP_MAX_ATTEMPTS", 5)))


def backoff(attempts: int) -> timedelta:
    """Wait after failure number ``attempts`` (1-based): 1, 4, 16, 64 minutes, … capped."""
    wait: timedelta = FIRST_BACKOFF * 4 ** min(max(attempts - 1, 0), 8)  # 4⁸ min > the cap
    return min(wait, MAX_BACKOFF)


def describe(exc: BaseException) -> str:
    """What is kept of a failure: the exception's type and message, capped in length."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:MAX_ERROR_CHARS]


def due_event_ids(limit: int) -> list[int]:
    """Events the sweep should apply now: not processed, not parked, due; those that failed
    least first, then in arrival order.

    Served by the partial index ``wa_event_due_idx`` (it holds only unprocessed, unparked
    events, in this order). Events waiting for their backoff are not due, and those due again
    come after events that never failed (a lost handler, a crash), so however many older
    events keep failing, newer ones are reached in the next sweep.
    """
    return list(
        WebhookEvent.objects.filter(
            processed_at__isnull=True, parked_at__isnull=True, next_attempt_at__lte=clock.now()
        )
        .order_by("attempts", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def do_record_failure(event_id: int, exc: BaseException) -> None:
    """Count a failed attempt on the event: due again after :func:`backoff`, or parked after
    the last allowed attempt.

    Call outside the transaction that failed (it rolled back). An event processed or parked
    meanwhile (another worker) is left as it is.
    """
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update(no_key=True).filter(pk=event_id).first()
        if event is None or event.processed_at is not None or event.parked_at is not None:
            return
        now = clock.now()
        event.attempts += 1
        event.last_error = describe(exc)
        if event.attempts >= max_attempts():
            event.parked_at, event.next_attempt_at = now, None
        else:
            event.next_attempt_at = now + backoff(event.attempts)
        event.save(update_fields=["attempts", "last_error", "parked_at", "next_attempt_at"])
    if event.parked_at is not None:
        log.warning("whatsapp_event_parked", event_id=event_id, attempts=event.attempts)
    else:
        log.info(
            "whatsapp_event_retry_scheduled",
            event_id=event_id,
            attempts=event.attempts,
            next_attempt_at=event.next_attempt_at.isoformat() if event.next_attempt_at else None,
        )


def do_retry_events(event_ids: list[int]) -> list[int]:
    """Un-park the given events that are not processed yet and make them due now; return
    their ids.

    Their processing is announced in the same transaction (``whatsapp_webhook_received``),
    so a worker applies them right after commit; the sweep would otherwise take them within
    a minute. Their attempt count is kept: a failure now parks them again at once.
    """
    with transaction.atomic():
        rows = list(
            WebhookEvent.objects.select_for_update(no_key=True)
            .filter(pk__in=event_ids, processed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "channel_id")
        )
        if not rows:
            return []
        ids = [pk for pk, _ in rows]
        WebhookEvent.objects.filter(pk__in=ids).update(parked_at=None, next_attempt_at=clock.now())
        by_channel: dict[int, list[int]] = defaultdict(list)
        for pk, channel_id in rows:
            by_channel[channel_id].append(pk)
        with batch():
            for channel_id, pks in by_channel.items():
                publish(WebhookReceived.of(pks, channel_id))
    log.info("whatsapp_events_retried", count=len(ids))
    return ids
