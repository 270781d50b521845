"""The outbox worker: sends pending outbound messages through their channel's adapter.

Channel-generic. Each attempt is claimed under the message's row lock and recorded in
``metadata["outbox"]`` (``state`` sending/waiting, ``attempts``, ``started_at``, ``next_at``)
*before* the provider is called; the result is recorded in a second transaction.

- Retryable refusals (rate limits, 5xx, unreachable) wait with exponential backoff: a durable
  task with ``run_after`` is enqueued in the same transaction; the error is on the message.
- Other refusals fail the message at once with the provider's code and text.
- Crash safety: an attempt left in ``sending`` (the process died between the provider call and
  the record) is never sent again, because the provider may have accepted it. After
  ``STUCK_AFTER`` the sweep fails it as ``outcome_unknown`` for the agent to check, unless the
  adapter declares ``idempotent_sends`` (the provider deduplicates on our key). A late status
  report can still reconcile it (WhatsApp echoes our uuid as ``biz_opaque_callback_data``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from django.db import transaction
from django_tasks import task

from balie.channels.base import SendError
from balie.channels.models import Channel
from balie.channels.registry import adapter_for
from balie.conversations.actions import do_update_delivery_status
from balie.conversations.actions.delivery import do_update_delivery_statuses
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.events import ReplyQueued
from balie.conversations.models import Direction, Message
from balie.core import clock
from balie.core.sql import (
    Statement,
    run_statements,
    update_rows,
    update_statement,
)

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 6
FIRST_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(minutes=15)
#: an attempt still "sending" after this long belongs to a process that died
STUCK_AFTER = timedelta(minutes=5)
#: messages claimed together: all are marked "sending" at the claim, so the chunk's sends must
#: end well within STUCK_AFTER even when every one of them runs into the HTTP timeouts
SEND_CHUNK = 8
#: a pending message nobody has touched for this long lost its task
LOST_AFTER = timedelta(minutes=2)
OUTCOME_UNKNOWN = (
    "outcome_unknown",
    "Balie stopped while sending; the message may have arrived. Check before sending it again.",
)


def on_replies_queued(evts: list[ReplyQueued]) -> None:
    """Batch handler: deliver the queued replies, one attempt each."""
    deliver_many([evt.message_id for evt in evts])


@task(queue_name="outbound")
def deliver_later(message_id: int) -> None:
    """Task: a retry after backoff."""
    deliver(message_id)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 2 s, 8 s, 32 s, … capped at 15 minutes."""
    return min(FIRST_BACKOFF * 4 ** (attempts - 1), MAX_BACKOFF)


def _outbox(message: Message) -> dict[str, Any]:
    return dict(message.metadata.get("outbox") or {})


def _at(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def deliver(message_id: int) -> None:
    """Make one send attempt for a pending message, if one is due; idempotent."""
    deliver_many([message_id])


def deliver_many(message_ids: list[int]) -> None:
    """One send attempt for each message that has one due: claimed ``SEND_CHUNK`` at a time,
    sent one by one, each chunk's sends recorded together (refusals each on their own)."""
    for start in range(0, len(message_ids), SEND_CHUNK):
        _deliver_chunk(message_ids[start : start + SEND_CHUNK])


def _deliver_chunk(message_ids: list[int]) -> None:
    sent: list[tuple[Message, str]] = []
    for message in _claim(message_ids):
        adapter = adapter_for(message.channel)
        try:
            result = adapter.send(message)
        except SendError as exc:
            _record_refusal(message.pk, exc)
            continue
        sent.append((message, result.provider_id))
    if not sent:
        return
    now = clock.now()
    with transaction.atomic():
        # locks the rows, moves them to "sent" and publishes; the send's own fields are
        # written with it (one round trip on PostgreSQL)
        writes: list[Statement] = []
        reports = [(m.pk, DeliveryStatus.SENT, "", "") for m, _ in sent]
        rows = do_update_delivery_statuses(reports, defer=writes)
        for row, (_, provider_id) in zip(rows, sent, strict=True):
            row.metadata = {**row.metadata, "outbox": {**_outbox(row), "state": "sent"}}
            row.provider_id, row.sent_at, row.error_code, row.error_text = provider_id, now, "", ""
        fields = ["provider_id", "sent_at", "error_code", "error_text", "metadata"]
        run_statements([*writes, update_statement(Message, rows, fields)])
    for message, _ in sent:
        log.info("message_sent", message_id=message.pk, channel_kind=message.channel.kind)


def _claim(message_ids: list[int]) -> list[Message]:
    """Lock the messages and record an attempt on those that have one due; return those."""
    now = clock.now()
    due: list[Message] = []
    with transaction.atomic():
        rows = (
            Message.objects.select_for_update(of=("self",))
            .select_related("channel", "conversation__party", "reply_to")
            .prefetch_related("conversation__party__addresses", "attachments")
            .filter(pk__in=message_ids)
            .order_by("pk")
        )
        channels: dict[int, Channel] = {}
        for message in rows:
            # one channel object per channel: its secrets are decrypted once
            message.channel = channels.setdefault(message.channel_id, message.channel)
            if _attempt_due(message, now):
                due.append(message)
        update_rows(Message, due, ["metadata"])
    return due


def _attempt_due(message: Message, now: datetime) -> bool:
    """Whether an attempt is due; if so, record it on ``message`` (saved by the caller)."""
    if message.delivery_status != DeliveryStatus.PENDING or message.provider_id:
        return False
    outbox = _outbox(message)
    if outbox.get("state") == "sending":
        started = _at(outbox.get("started_at"))
        if started is not None and now - started < STUCK_AFTER:
            return False  # another worker is sending it right now
        if not adapter_for(message.channel).idempotent_sends:
            log.warning("message_send_outcome_unknown", message_id=message.pk)
            code, text = OUTCOME_UNKNOWN
            do_update_delivery_status(
                message.pk, DeliveryStatus.FAILED, error_code=code, error_text=text
            )
            return False
    next_at = _at(outbox.get("next_at"))
    if outbox.get("state") == "waiting" and next_at is not None and now < next_at:
        return False  # too early: the scheduled retry will come
    outbox.update(
        state="sending", attempts=int(outbox.get("attempts", 0)) + 1, started_at=now.isoformat()
    )
    message.metadata = {**message.metadata, "outbox": outbox}
    return True


def _record_refusal(message_id: int, exc: SendError) -> None:
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        outbox = _outbox(message)
        attempts = int(outbox.get("attempts", 1))
        if exc.retryable and attempts < MAX_ATTEMPTS:
            run_after = clock.now() + backoff(attempts)
            outbox.update(state="waiting", next_at=run_after.isoformat())
            Message.objects.filter(pk=message_id).update(
                metadata={**message.metadata, "outbox": outbox},
                error_code=exc.code[:32],
                error_text=f"retrying: {exc.text}"[:500],
            )
            deliver_later.using(run_after=run_after).enqueue(message_id)
            log.info("message_send_retry", message_id=message_id, code=exc.code, attempt=attempts)
            return
        outbox.update(state="failed")
        Message.objects.filter(pk=message_id).update(
            metadata={**message.metadata, "outbox": outbox}
        )
        do_update_delivery_status(
            message_id, DeliveryStatus.FAILED, error_code=exc.code, error_text=exc.text
        )
    log.warning("message_send_failed", message_id=message_id, code=exc.code, attempts=attempts)


def sweep_outbox() -> int:
    """Periodic job: finish what crashes and lost tasks left behind; return messages touched.

    Attempts stuck in ``sending`` are failed as ``outcome_unknown`` (see the module notes);
    waiting retries whose time has come and pending messages never attempted are sent.
    """
    now = clock.now()
    pending = Message.objects.filter(
        direction=Direction.OUTBOUND, delivery_status=DeliveryStatus.PENDING, provider_id=""
    ).only("pk", "metadata", "created_at")
    due = []
    for message in pending.order_by("pk")[:1000]:
        outbox = _outbox(message)
        state = outbox.get("state")
        started = _at(outbox.get("started_at"))
        next_at = _at(outbox.get("next_at"))
        if (
            (state == "sending" and started is not None and now - started >= STUCK_AFTER)
            or (state == "waiting" and next_at is not None and now >= next_at + LOST_AFTER)
            or (not state and now - message.created_at >= LOST_AFTER)
        ):
            due.append(message.pk)
    deliver_many(due)
    return len(due)
