"""Applying a stored webhook event: messages, reactions, delivery reports, template updates.

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
    Sender,
    TemplateUpdate,
    parse_webhook,
)
from balie.channels.whatsapp.retry import do_record_failure, due_event_ids
from balie.conversations.actions import InboundMessage, do_receive_messages
from balie.conversations.actions.attachments import (
    Reaction,
    do_add_attachments,
    do_record_reaction,
    do_set_provider_ids,
)
from balie.conversations.actions.delivery import Report
from balie.conversations.actions.delivery import do_update_delivery_statuses as update_statuses
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.models import Attachment, Direction, Message
from balie.core import clock, safejson
from balie.core.dispatch import enqueue_all
from balie.core.events import batch
from balie.parties.actions import AddressClaim, SenderIdentity
from balie.parties.models import AddressKind, DigitalAddress

log = structlog.get_logger(__name__)

STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "played": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}
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
                WebhookEvent.objects.select_for_update().select_related("channel").get(pk=event_id)
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
                WebhookEvent.objects.select_for_update(skip_locked=True, of=("self",))
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
        _apply_messages(channels[channel_id], received)
    _apply_reactions(reactions)
    for channel_id, reports in statuses.items():
        _apply_statuses(channels[channel_id], reports)
    for channel, update in templates:
        _apply_template(channel, update)


def sender_identities(channel: Channel, senders: list[Sender]) -> list[SenderIdentity]:
    """Each sender as a party claim: BSUID when present, else the (verified) phone number.

    A person already known by phone who now also has a BSUID keeps their party (one query
    for the whole list tells which BSUIDs and numbers are known).
    """
    both = [s for s in senders if s.user_id and s.wa_id]
    known = (
        set(
            DigitalAddress.objects.filter(
                organisation_id=channel.organisation_id,
                value__in={v for s in both for v in (s.user_id, f"+{s.wa_id}")},
            ).values_list("kind", "value")
        )
        if both
        else set()
    )
    out = []
    for sender in senders:
        phone = (
            AddressClaim(AddressKind.PHONE, f"+{sender.wa_id}", True, label=sender.username)
            if sender.wa_id
            else None
        )
        if not sender.user_id:
            assert phone is not None  # the parser drops messages with neither
            out.append(SenderIdentity(primary=phone, name=sender.name))
            continue
        if phone is not None:  # the username belongs with the BSUID then
            phone = AddressClaim(phone.kind, phone.value, True)
        bsuid = AddressClaim(AddressKind.WHATSAPP, sender.user_id, True, label=sender.username)
        if (
            phone is not None
            and (bsuid.kind, bsuid.value) not in known
            and (phone.kind, phone.value) in known
        ):
            out.append(SenderIdentity(primary=phone, name=sender.name, extra=(bsuid,)))
        else:
            extra = (phone,) if phone else ()
            out.append(SenderIdentity(primary=bsuid, name=sender.name, extra=extra))
    return out


def _apply_messages(channel: Channel, parsed: list[ParsedMessage]) -> None:
    senders = [
        _with_new_number(sender, message)
        for sender, message in zip(
            sender_identities(channel, [message.sender for message in parsed]), parsed, strict=True
        )
    ]
    results = do_receive_messages(
        channel,
        [
            (
                sender,
                InboundMessage(
                    provider_id=message.wamid,
                    body=message.body,
                    sent_at=message.sent_at,
                    reply_to_provider_id=message.reply_to,
                    metadata={"whatsapp": message.metadata},
                    system=message.type == "system",
                ),
            )
            for sender, message in zip(senders, parsed, strict=True)
        ],
    )
    from balie.channels.whatsapp import media, receipts

    attachments: list[Attachment] = []
    receipts_due: list[int] = []
    for message, result in zip(parsed, results, strict=True):
        if not result.created:
            log.info("whatsapp_duplicate_message", message_id=result.message.pk)
            continue
        if message.media is not None:
            attachments.append(
                Attachment(
                    message=result.message,
                    filename=message.media.filename[:255],
                    content_type=message.media.mime_type or "application/octet-stream",
                    sha256=message.media.sha256[:64],
                    provider_media_id=message.media.media_id,
                )
            )
        if channel.settings.get("read_receipts"):
            receipts_due.append(result.message.pk)
    do_add_attachments(attachments, organisation_id=channel.organisation_id)
    # the downloads (the media URL expires in minutes) and receipts: one INSERT for all
    enqueue_all(
        [(media.download_media, [a.pk]) for a in attachments]
        + [(receipts.mark_read, [pk]) for pk in receipts_due]
    )


def _with_new_number(sender: SenderIdentity, message: ParsedMessage) -> SenderIdentity:
    """A "changed number" system message adds the citizen's new number to their party."""
    if not message.new_wa_id:
        return sender
    number = AddressClaim(AddressKind.PHONE, f"+{message.new_wa_id}", True)
    if number in (sender.primary, *sender.extra):
        return sender
    return SenderIdentity(primary=sender.primary, name=sender.name, extra=(*sender.extra, number))


def _apply_reactions(reactions: list[tuple[Channel, ParsedMessage]]) -> None:
    """Reactions on known messages; those on messages Balie does not know become messages of
    their own, with the target's id, rather than being dropped."""
    unknown_targets: dict[int, list[ParsedMessage]] = defaultdict(list)
    channels: dict[int, Channel] = {}
    for channel, message in reactions:
        if not _apply_reaction(channel, message):
            unknown_targets[channel.pk].append(message)
            channels[channel.pk] = channel
    for channel_id, kept in unknown_targets.items():
        _apply_messages(channels[channel_id], kept)


def _apply_reaction(channel: Channel, parsed: ParsedMessage) -> bool:
    """Attach (or with an empty emoji, remove) the sender's reaction on the target message.

    False when Balie does not know the target and the reaction should be kept as a message
    of its own (with the target's id in its metadata); a removal of such a reaction is only
    logged, there is nothing to remove.
    """
    target = (
        Message.objects.select_for_update()
        .filter(channel=channel, provider_id=parsed.reaction_to)
        .first()
    )
    if target is None:
        log.info(
            "whatsapp_reaction_unknown_message", channel_id=channel.pk, kept=bool(parsed.emoji)
        )
        return not parsed.emoji
    reaction = Reaction(
        sender=parsed.sender.user_id or parsed.sender.wa_id,
        emoji=parsed.emoji,
        provider_id=parsed.wamid,
        at=parsed.sent_at.isoformat() if parsed.sent_at else "",
    )
    do_record_reaction(target, reaction, organisation_id=channel.organisation_id)
    return True


def _apply_statuses(channel: Channel, statuses: list[ParsedStatus]) -> None:
    """Apply delivery reports in arrival order: one lookup and one write for all of them."""
    known = STATUSES.keys()
    for status in statuses:
        if status.status not in known:
            log.info("whatsapp_status_ignored", status=status.status)
    statuses = [s for s in statuses if s.status in known]
    wamids = {s.wamid for s in statuses}
    ids = dict(
        Message.objects.filter(channel=channel, provider_id__in=wamids).values_list(
            "provider_id", "pk"
        )
    )
    reports: list[Report] = []
    for status in statuses:
        message_id = ids.get(status.wamid)
        if message_id is None and status.callback_data:
            message_id = _reconcile(channel, status)
            if message_id is not None:
                ids[status.wamid] = message_id
        if message_id is None:
            log.info("whatsapp_status_unknown_message", channel_id=channel.pk, status=status.status)
            continue
        reports.append(
            Report(
                message_id,
                STATUSES[status.status],
                status.error_code,
                status.error_text,
                at=status.sent_at,
            )
        )
    if reports:
        update_statuses(reports)


def _reconcile(channel: Channel, status: ParsedStatus) -> int | None:
    """Link a report to an outbound message whose send outcome was never recorded (a crash).

    We send our message uuid as ``biz_opaque_callback_data``; Meta echoes it in statuses.
    """
    if not _is_uuid(status.callback_data):
        return None  # not one of ours
    message = (
        Message.objects.select_for_update()
        .filter(channel=channel, direction=Direction.OUTBOUND, provider_id="")
        .filter(uuid=status.callback_data)
        .first()
    )
    if message is None:
        return None
    do_set_provider_ids([(message, status.wamid)])
    log.info("whatsapp_send_reconciled", message_id=message.pk)
    return message.pk


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


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
