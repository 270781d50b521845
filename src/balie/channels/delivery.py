"""The outbox worker: sends pending outbound messages through their channel's adapter.

Channel-generic. Each outbound message has an :class:`~balie.channels.models.OutboxEntry`
(written with it). An attempt is claimed under the entry's row lock and recorded on it
(``state`` sending, ``attempts``, ``claimed_at``) *before* the provider is called; the result
is recorded in a second transaction. When an attempt is due is one rule,
:meth:`~balie.channels.models.OutboxQuerySet.due`, over the entry's ``next_attempt_at``
(an index range read), shared by the attempt and the sweep.

- Retryable refusals (rate limits, 5xx, unreachable) wait with exponential backoff: a durable
  task with ``run_after`` is enqueued in the same transaction; the error is on the message.
- Other refusals fail the message at once with the provider's code and text.
- Crash safety: an attempt left in ``sending`` (the process died between the provider call and
  the record) is never sent again, because the provider may have accepted it. After
  ``STUCK_AFTER`` the sweep fails it as ``outcome_unknown`` for the agent to check, unless the
  adapter declares ``idempotent_sends`` (the provider deduplicates on our key, the message's
  ``uuid``). A late status report can still reconcile it (WhatsApp echoes our uuid as
  ``biz_opaque_callback_data``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.db import transaction
from django_tasks import task

from balie.channels.base import SendError
from balie.channels.models import Channel, OutboxEntry, OutboxState
from balie.channels.registry import adapter_for
from balie.conversations.actions import do_update_delivery_status
from balie.conversations.actions.delivery import Report, do_update_delivery_statuses
from balie.conversations.delivery import OUTCOME_UNKNOWN, DeliveryStatus
from balie.conversations.events import ReplyQueued
from balie.conversations.models import Message
from balie.core import clock
from balie.core.sql import Statement, run_statements, update_rows, update_statement

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 6
FIRST_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(minutes=15)
#: an attempt still "sending" after this long belongs to a process that died
STUCK_AFTER = timedelta(minutes=5)
#: messages claimed together: all are marked "sending" at the claim, so the chunk's sends must
#: end well within STUCK_AFTER even when every one of them runs into the HTTP timeouts
SEND_CHUNK = 8
#: a queued or waiting message nobody has touched for this long after it was due lost its task
LOST_AFTER = timedelta(minutes=2)
#: entries one sweep takes on
SWEEP_LIMIT = 1000
#: the error text of an attempt whose outcome is unknown (its code: ``OUTCOME_UNKNOWN``)
OUTCOME_UNKNOWN_TEXT = (
    "Balie stopped while sending; the message may have arrived. Check before sending it again."
)
_ENTRY_FIELDS = ["state", "attempts", "next_attempt_at", "claimed_at", "last_error"]


def on_replies_queued(evts: list[ReplyQueued]) -> None:
    """Batch handler: deliver the queued replies, one attempt each."""
    deliver_many([evt.message_id for evt in evts])


@task(queue_name="outbound")
def deliver_later(message_id: int) -> None:
    """Task: a retry after backoff."""
    deliver(message_id)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 2 s, 8 s, 32 s, … capped at 15 minutes."""
    factor: int = 4 ** (attempts - 1)
    return min(FIRST_BACKOFF * factor, MAX_BACKOFF)


def deliver(message_id: int) -> None:
    """Make one send attempt for a pending message, if one is due; idempotent."""
    deliver_many([message_id])


def deliver_many(message_ids: list[int]) -> None:
    """One send attempt for each message that has one due: claimed ``SEND_CHUNK`` at a time,
    sent one by one, each chunk's sends recorded together (refusals each on their own)."""
    for start in range(0, len(message_ids), SEND_CHUNK):
        _deliver_chunk(message_ids[start : start + SEND_CHUNK])


def _deliver_chunk(message_ids: list[int]) -> None:
    sent: list[tuple[OutboxEntry, str]] = []
    for entry in _claim(message_ids):
        message = entry.message
        try:
            result = adapter_for(message.channel).send(message)
        except SendError as exc:
            _record_refusal(entry.pk, exc)
            continue
        except Exception as exc:  # a bug while building or sending: this message alone waits
            log.exception("message_send_error", message_id=entry.pk)
            _record_refusal(
                entry.pk, SendError("internal_error", type(exc).__name__, retryable=True)
            )
            continue
        sent.append((entry, result.provider_id))
    if not sent:
        return
    with transaction.atomic():
        # locks the messages, moves them to "sent" (with ``sent_at``) and publishes; the send's
        # own fields and the entries are written with it (one round trip on PostgreSQL)
        writes: list[Statement] = []
        reports = [Report(entry.pk, DeliveryStatus.SENT) for entry, _ in sent]
        rows = do_update_delivery_statuses(reports, defer=writes)
        for row, (entry, provider_id) in zip(rows, sent, strict=True):
            row.provider_id, row.error_code, row.error_text = provider_id, "", ""
            entry.state, entry.next_attempt_at, entry.last_error = OutboxState.SENT, None, ""
        fields = ["provider_id", "error_code", "error_text"]
        entries = [entry for entry, _ in sent]
        run_statements(
            [
                *writes,
                update_statement(Message, rows, fields),
                update_statement(OutboxEntry, entries, ["state", "next_attempt_at", "last_error"]),
            ]
        )
    for entry, _ in sent:
        log.info("message_sent", message_id=entry.pk, channel_kind=entry.message.channel.kind)


def _claim(message_ids: list[int]) -> list[OutboxEntry]:
    """Lock the due entries of ``message_ids`` and record an attempt on each that still needs
    one; return those (with their messages, ready to send)."""
    now = clock.now()
    claimed: list[OutboxEntry] = []
    with transaction.atomic():
        entries = (
            OutboxEntry.objects.due(now)
            .select_for_update(no_key=True, of=("self",))
            .select_related("message__channel", "message__conversation__party", "message__reply_to")
            .prefetch_related("message__conversation__party__addresses", "message__attachments")
            .filter(message_id__in=message_ids)
            .order_by("message_id")
        )
        channels: dict[int, Channel] = {}
        touched: list[OutboxEntry] = []
        for entry in entries:
            message = entry.message
            # one channel object per channel: its secrets are decrypted once
            message.channel = channels.setdefault(message.channel_id, message.channel)
            touched.append(entry)
            if _start_attempt(entry, now):
                claimed.append(entry)
        update_rows(OutboxEntry, touched, _ENTRY_FIELDS)
    return claimed


def _start_attempt(entry: OutboxEntry, now: datetime) -> bool:
    """Record an attempt on a due ``entry`` (saved by the caller), or close it when it needs
    none: its message was settled meanwhile, or a stuck attempt's outcome is unknown."""
    message = entry.message
    if message.delivery_status != DeliveryStatus.PENDING or message.provider_id:
        # a late status report reconciled it (or it failed elsewhere): nothing to send
        entry.state, entry.next_attempt_at = OutboxState.SENT, None
        if message.delivery_status == DeliveryStatus.FAILED:
            entry.state = OutboxState.FAILED
        return False
    resendable = (  # an idempotent adapter's stuck attempt is sent again, MAX_ATTEMPTS times
        adapter_for(message.channel).idempotent_sends and entry.attempts < MAX_ATTEMPTS
    )
    if entry.state == OutboxState.SENDING and not resendable:
        log.warning("message_send_outcome_unknown", message_id=message.pk)
        do_update_delivery_status(
            message.pk,
            DeliveryStatus.FAILED,
            error_code=OUTCOME_UNKNOWN,
            error_text=OUTCOME_UNKNOWN_TEXT,
        )
        entry.state, entry.next_attempt_at = OutboxState.FAILED, None
        entry.last_error = OUTCOME_UNKNOWN
        return False
    entry.state, entry.attempts, entry.claimed_at = OutboxState.SENDING, entry.attempts + 1, now
    entry.next_attempt_at = now + STUCK_AFTER  # counts as stuck from then on
    return True


def _record_refusal(message_id: int, exc: SendError) -> None:
    with transaction.atomic():
        entry = OutboxEntry.objects.select_for_update(no_key=True).get(pk=message_id)
        attempts = entry.attempts
        entry.last_error = f"{exc.code}: {exc.text}"[:500]
        if exc.retryable and attempts < MAX_ATTEMPTS:
            run_after = clock.now() + backoff(attempts)
            entry.state, entry.next_attempt_at = OutboxState.WAITING, run_after
            entry.save(update_fields=["state", "next_attempt_at", "last_error"])
            Message.objects.filter(pk=message_id).update(
                error_code=exc.code[:32], error_text=f"retrying: {exc.text}"[:500]
            )
            deliver_later.using(run_after=run_after).enqueue(message_id)
            log.info("message_send_retry", message_id=message_id, code=exc.code, attempt=attempts)
            return
        entry.state, entry.next_attempt_at = OutboxState.FAILED, None
        entry.save(update_fields=["state", "next_attempt_at", "last_error"])
        do_update_delivery_status(
            message_id, DeliveryStatus.FAILED, error_code=exc.code, error_text=exc.text
        )
    log.warning("message_send_failed", message_id=message_id, code=exc.code, attempts=attempts)


def sweep_outbox() -> int:
    """Periodic job: finish what crashes and lost tasks left behind; return messages touched.

    The entries due ``LOST_AFTER`` ago (queued or waiting: their task was lost) or due now
    (a stuck attempt: failed as ``outcome_unknown``, see the module notes), oldest first, up
    to ``SWEEP_LIMIT``; one read on the ``outbox_due`` index.
    """
    due = list(
        OutboxEntry.objects.due(clock.now(), grace=LOST_AFTER)
        .order_by("next_attempt_at")
        .values_list("message_id", flat=True)[:SWEEP_LIMIT]
    )
    deliver_many(due)
    return len(due)
