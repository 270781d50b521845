"""Applying a stored webhook event: messages and reactions (:mod:`.received`), delivery reports
(:mod:`.statuses`), template updates.

Runs after the webhook's commit (handler of ``whatsapp_webhook_received``), many events per
transaction with a savepoint each, so a crash leaves the events unprocessed and the sweep
applies them again. Every step is
idempotent: messages dedupe on the wamid, statuses only move forward, reactions are keyed by
sender, template updates overwrite.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict

import structlog
from django.db import connection, transaction

from balie.channels.models import Channel
from balie.channels.whatsapp.events import WebhookReceived
from balie.channels.whatsapp.models import MessageTemplate, WebhookEvent
from balie.channels.whatsapp.parse import (
    ParsedMessage,
    ParsedStatus,
    TemplateUpdate,
    parse_webhook,
)
from balie.channels.whatsapp.received import apply_messages, apply_reactions
from balie.channels.whatsapp.retry import do_record_failure, due_event_ids
from balie.channels.whatsapp.statuses import apply_statuses
from balie.core import clock, safejson
from balie.core.events import batch

log = structlog.get_logger(__name__)

#: events the sweep takes per run; failing ones wait for their backoff, so it moves on
SWEEP_LIMIT = 500
#: stored events applied per transaction; SQLite has one writer at a time, so there a batch
#: is kept short, or webhook commits wait behind it
BATCH = {"postgresql": 64, "sqlite": 8}


def on_webhooks_received(evts: list[WebhookReceived]) -> None:
    """Batch handler: apply the stored events the commits announced, in arrival order."""
    process_events(sorted({pk for evt in evts for pk in evt.all_ids}))


def sweep_unprocessed() -> int:
    """Periodic job: apply the events that are due; return how many it took.

    Due: the handler never finished (crash, deploy) within ``HANDLER_GRACE``, or a failed
    event's backoff has passed (:mod:`balie.channels.whatsapp.retry`). Parked events wait for
    an administrator.
    """
    ids = due_event_ids(SWEEP_LIMIT)
    process_events(ids)
    return len(ids)


def process_event(event_id: int) -> None:
    """Apply one stored webhook event exactly once; raise what its processing raised.

    A parked event is skipped. A failure is logged here, once, with its traceback, and
    counted on the event (retried after a backoff, parked after the last attempt).
    """
    try:
        with transaction.atomic():
            event = (
                WebhookEvent.objects.select_for_update(no_key=True)
                .select_related("channel")
                .get(pk=event_id)
            )
            if event.processed_at is not None or event.parked_at is not None:
                return
            _apply([event])
            event.processed_at, event.next_attempt_at, event.last_error = clock.now(), None, ""
            event.save(update_fields=["processed_at", "next_attempt_at", "last_error"])
    except Exception as exc:
        log.exception("whatsapp_event_failed", event_id=event_id)
        do_record_failure(event_id, exc)
        raise


def process_events(event_ids: list[int]) -> None:
    """Apply stored webhook events exactly once each, up to ``BATCH`` per transaction.

    Optimistic: a batch is one transaction without a savepoint per event. If any event in it
    fails, the batch rolls back whole and its events are applied one by one (the lost race
    or deadlock with another worker usually passes then); only an event that fails on its
    own counts an attempt (:func:`process_event`). Rows another worker holds are skipped
    (``SKIP LOCKED``): that worker applies them. Parked events are skipped.
    """
    size = BATCH.get(connection.vendor, 8)
    for start in range(0, len(event_ids), size):
        chunk = event_ids[start : start + size]
        if _process_batch(chunk):
            continue
        for event_id in chunk:
            with contextlib.suppress(Exception):  # logged and counted by process_event
                process_event(event_id)


def _process_batch(event_ids: list[int]) -> bool:
    """Apply the batch in one transaction; False (and nothing applied) if any event failed."""
    try:
        with transaction.atomic():
            events = list(
                WebhookEvent.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
                .select_related("channel")
                .filter(pk__in=event_ids, processed_at__isnull=True, parked_at__isnull=True)
                .order_by("pk")
            )
            if not events:  # applied already, parked, or another worker holds them
                return True
            with batch():  # the handler tasks of all its messages in one INSERT
                _apply(events)
            WebhookEvent.objects.filter(pk__in=[e.pk for e in events]).update(
                processed_at=clock.now(), next_attempt_at=None, last_error=""
            )
    except Exception as exc:
        # no traceback here: each event is tried alone next, and one that fails logs its own
        log.warning("whatsapp_batch_split", size=len(event_ids), error=type(exc).__name__)
        return False
    return True


def _apply(events: list[WebhookEvent]) -> None:
    """Messages first (all of a channel's at once), then reactions, statuses, templates."""
    channels: dict[int, Channel] = {}
    messages: dict[int, list[ParsedMessage]] = defaultdict(list)
    statuses: dict[int, list[ParsedStatus]] = defaultdict(list)
    reactions: list[tuple[Channel, ParsedMessage]] = []
    templates: list[tuple[Channel, TemplateUpdate]] = []
    for event in events:
        webhook = parse_webhook(safejson.loads(event.body))
        channel = channels.setdefault(event.channel_id, event.channel)
        own_number = str(channel.settings.get("phone_number_id", ""))
        for message in webhook.messages:
            if own_number and message.phone_number_id != own_number:
                log.warning("whatsapp_foreign_number", channel_id=channel.pk, event_id=event.pk)
            elif message.type == "reaction":
                reactions.append((channel, message))
            else:
                messages[channel.pk].append(message)
        statuses[channel.pk].extend(
            s for s in webhook.statuses if not own_number or s.phone_number_id == own_number
        )
        templates.extend((channel, update) for update in webhook.templates)
        for error in webhook.errors:
            log.warning("whatsapp_webhook_error", channel_id=channel.pk, code=error.get("code"))
        for skipped in webhook.skipped:  # the raw part stays in the stored event
            log.info(
                "whatsapp_part_skipped",
                event_id=event.pk,
                reason=skipped.reason,
                where=skipped.where,
            )
    for channel_id, received in messages.items():
        apply_messages(channels[channel_id], received)
    apply_reactions(reactions)
    for channel_id, reports in statuses.items():
        apply_statuses(channels[channel_id], reports)
    for channel, update in templates:
        _apply_template(channel, update)


def _apply_template(channel: Channel, update: TemplateUpdate) -> None:
    """Move a template Balie submitted or fetched; updates about others are only logged."""
    changes: dict[str, str] = {"status": update.status, "status_reason": update.reason}
    if update.provider_id:
        changes["provider_id"] = update.provider_id
    updated = MessageTemplate.objects.filter(
        channel=channel, name=update.name, language=update.language
    ).update(**changes)
    if not updated:
        log.info("whatsapp_template_unknown", channel_id=channel.pk, status=update.status)
        return
    log.info("whatsapp_template_status", channel_id=channel.pk, status=update.status)
