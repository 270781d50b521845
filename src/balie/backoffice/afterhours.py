"""Out-of-hours care: the automatic reply, the mark at opening, Balie's own "still needed?"
check and its polite close, and the organisation's read-receipt setting.

- A message that arrives while the conversation's calendar is closed gets one automatic reply
  per closed period (keyed by the next opening) saying when an answer can be expected; a 24/7
  calendar never sends it. It carries no reply obligation (``metadata.balie``).
- At the next opening the sweep marks those still open (a line in the conversation's history)
  and, when the organisation asks for it (:class:`CarePolicy.auto_check`), sends the check;
  "nee"/"no" or silence for ``check_timeout_minutes`` closes the conversation politely.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

import structlog
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from balie.backoffice.models import CarePolicy, OutOfHoursArrival
from balie.backoffice.notify import citizen_language, do_tell_citizen, in_language
from balie.backoffice.terms import calendar_of, weekday_name, written_date, written_due
from balie.conversations.actions.edit import do_record_change
from balie.conversations.actions.status import do_change_status, lock_conversation
from balie.conversations.events import MessageReceived
from balie.conversations.models import Conversation, Direction, Message
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.errors import BalieError
from balie.sla.businesstime import is_open, next_opening, same_day_or_next_morning

log = structlog.get_logger(__name__)
#: the promise's hour on the next open day ("vóór 12.00 uur")
PROMISE_MORNING = time(12, 0)
#: answers that mean "no, not needed any more" (lower case, without punctuation)
NO = frozenset({"nee", "nee dank je", "nee dank u", "nee bedankt", "no", "no thanks", "niet meer"})
OPEN = (Status.NEW, Status.QUEUED, Status.ASSIGNED, Status.PENDING)
BATCH = 200
#: channels whose conversations cannot take a written reply
NO_TEXT = frozenset({"phone"})


def policy_of(organisation_id: int) -> CarePolicy:
    """The organisation's care policy (defaults when it has none)."""
    found = CarePolicy.objects.filter(organisation_id=organisation_id).first()
    return found or CarePolicy(organisation_id=organisation_id)


def read_receipts_allowed(organisation_id: int, *, channel_setting: bool) -> bool:
    """Whether Balie may tell the citizen their message was read: only where the channel has
    them on (off by default) and the organisation has not turned them off for all its
    channels (reading without answering raises false expectations)."""
    if not channel_setting:
        return False  # no query: the common case on the ingest path
    return policy_of(organisation_id).read_receipts is not False


def expected_answer(conversation: Conversation, at: datetime) -> datetime:
    """When the citizen who wrote at ``at`` can expect an answer: the same open day when
    before noon, else by noon of the next open day (the calendar's own hours)."""
    cal = calendar_of(
        conversation.organisation, team=conversation.team, channel=conversation.channel
    )
    return same_day_or_next_morning(cal, at, PROMISE_MORNING, PROMISE_MORNING)


def on_messages_received(events: list[MessageReceived]) -> None:
    """Handler of ``message_received``: the out-of-hours reply, and a "no" to Balie's check.

    Batched so that the common cases cost no lock: one query reads the events' inbound
    messages with their conversations, one which of those conversations wait for an answer
    to Balie's check; a message during opening hours (or on a channel that cannot take a
    reply) is left at that. Only a message that answers a check, or arrives while closed
    without its closed period's arrival recorded yet, locks its conversation. Reading the
    checks without the lock is safe: a check is sent after the sweep's transaction commits,
    so no message that answers it (``check_sent_at`` before the message) can be read before
    it."""
    ids = [evt.message_id for evt in events if evt.conversation_id]
    messages = list(
        Message.objects.filter(pk__in=ids, direction=Direction.INBOUND)
        .select_related("conversation__channel", "conversation__organisation",
                        "conversation__team")
        .order_by("pk")
    )  # fmt: skip
    if not messages:
        return
    conversation_ids = {m.conversation_id for m in messages}
    checking = set(
        OutOfHoursArrival.objects.filter(
            conversation_id__in=conversation_ids, check_sent_at__isnull=False,
            closed_at__isnull=True, check_answered_at__isnull=True,
        ).values_list("conversation_id", flat=True)
    )  # fmt: skip
    closed: list[tuple[Message, datetime]] = []
    for message in messages:
        if message.conversation_id in checking and _locked(message, _answers_check):
            continue
        if (opens := _closed_until(message)) is not None:
            closed.append((message, opens))
    if not closed:
        return
    recorded = set(
        OutOfHoursArrival.objects.filter(
            conversation_id__in={m.conversation_id for m, _ in closed},
            opens_at__in={opens for _, opens in closed},
        ).values_list("conversation_id", "opens_at")
    )  # fmt: skip
    for message, opens in closed:
        if (message.conversation_id, opens) not in recorded:
            _locked(message, partial(_reply_closed, opens=opens))
            recorded.add((message.conversation_id, opens))


def _locked(message: Message, act: Callable[[Conversation, Message], object]) -> bool:
    """Run ``act`` on ``message``'s conversation, locked, in a transaction of its own (one
    conversation's refusal never undoes another's reply); whether it returned true."""
    try:
        with transaction.atomic():
            return bool(act(lock_conversation(message.conversation_id), message))
    except BalieError as exc:
        log.info("out_of_hours_skipped", conversation_id=message.conversation_id, code=exc.code)
        return False


def _closed_until(message: Message) -> datetime | None:
    """The next opening when ``message`` arrived while its conversation's calendar was
    closed and it may get the automatic reply; None otherwise."""
    conversation = message.conversation
    if conversation.channel.kind in NO_TEXT or (message.metadata.get("email") or {}).get(
        "automatic"
    ):
        return None  # a call cannot be written to; an automatic e-mail gets no answer (RFC 3834)
    cal = calendar_of(
        conversation.organisation, team=conversation.team, channel=conversation.channel
    )
    if cal.always_open or is_open(cal, message.created_at):
        return None
    return next_opening(cal, message.created_at)


def _reply_closed(conversation: Conversation, message: Message, *, opens: datetime) -> None:
    """Record the arrival of the closed period ending at ``opens`` and, once per period and
    where the organisation wants it, tell the citizen when to expect an answer.
    Precondition: inside a transaction, ``conversation`` locked."""
    arrival, created = OutOfHoursArrival.objects.get_or_create(
        conversation=conversation, opens_at=opens,
        defaults={
            "organisation_id": conversation.organisation_id, "arrived_at": message.created_at,
        },
    )  # fmt: skip
    if not created or not policy_of(conversation.organisation_id).afterhours_reply:
        return
    cal = calendar_of(
        conversation.organisation, team=conversation.team, channel=conversation.channel
    )
    due = expected_answer(conversation, message.created_at).astimezone(cal.zone)
    with in_language(conversation):
        text = _("Thank you for your message. We are closed now. We will reply by %(due)s.") % {
            "due": written_due(due, citizen_language(conversation))
        }
    do_tell_citizen(conversation, text, kind="out_of_hours")
    arrival.replied = True
    arrival.save(update_fields=["replied"])


def _normalised(body: str) -> str:
    return " ".join("".join(c for c in body.lower() if c.isalnum() or c.isspace()).split())


def _answers_check(conversation: Conversation, message: Message) -> bool:
    """A reply to Balie's check: "no" closes politely; anything else leaves it to an agent."""
    arrival = (
        OutOfHoursArrival.objects.filter(
            conversation=conversation, check_sent_at__isnull=False, closed_at__isnull=True,
            check_answered_at__isnull=True, check_sent_at__lte=message.created_at,
        ).order_by("-opens_at").first()
    )  # fmt: skip
    if arrival is None:
        return False
    arrival.check_answered_at = clock.now()
    arrival.save(update_fields=["check_answered_at"])
    if _normalised(message.body) in NO:
        do_close_politely(conversation, arrival, reason="the citizen needs no answer any more")
    return True


def do_close_politely(
    conversation: Conversation, arrival: OutOfHoursArrival, *, reason: str
) -> None:
    """Thank the citizen and resolve the conversation. Precondition: inside a transaction,
    ``conversation`` locked."""
    arrival.closed_at = clock.now()
    arrival.save(update_fields=["closed_at"])
    if Status(conversation.status) not in OPEN:
        return
    with in_language(conversation):
        text = _("Thank you. We are closing your question; you can always write to us again.")
    with contextlib.suppress(BalieError):  # the window closed: resolving is still right
        do_tell_citizen(conversation, text, kind="out_of_hours_close")
    do_change_status(conversation, Status.RESOLVED, actor=None, reason=reason)


def still_needed_line(arrival: OutOfHoursArrival, conversation: Conversation) -> str:
    """ "Heeft u nog een antwoord nodig op uw vraag van zaterdag?" in the citizen's language
    (a date instead of the weekday when it was more than six days ago)."""
    zone = calendar_of(conversation.organisation, team=conversation.team).zone
    local = arrival.arrived_at.astimezone(zone)
    language = citizen_language(conversation)
    recent = clock.now() - arrival.arrived_at < timedelta(days=6)
    when = weekday_name(local, language) if recent else written_date(local, language)
    with in_language(conversation):
        return _("Do you still need an answer to your question of %(when)s?") % {"when": when}


def marked(conversation: Conversation) -> OutOfHoursArrival | None:
    """The arrival outside opening hours this open conversation is marked for (its opening
    passed and no agent has answered since), or None."""
    if Status(conversation.status) not in (*OPEN, Status.ON_HOLD):
        return None
    arrival = (
        OutOfHoursArrival.objects.filter(conversation=conversation, opens_at__lte=clock.now())
        .order_by("-opens_at")
        .first()
    )
    if arrival is None or arrival.closed_at is not None:
        return None
    answered = Message.objects.filter(
        conversation=conversation, direction=Direction.OUTBOUND, author__isnull=False,
        created_at__gte=arrival.arrived_at,
    ).exists()  # fmt: skip
    return None if answered else arrival


def sweep() -> dict[str, int]:
    """Periodic: mark arrivals whose opening came (a history line), send Balie's check where
    the organisation wants it, and close politely after silence. Once per schedule."""
    now = clock.now()
    counts = {"marked": 0, "checked": 0, "closed": 0}
    due = OutOfHoursArrival.objects.filter(opens_at__lte=now, marked_at__isnull=True)
    for arrival_id in list(due.values_list("pk", flat=True)[:BATCH]):
        counts[_at_opening(arrival_id, now)] += 1
    silent = OutOfHoursArrival.objects.filter(
        check_sent_at__isnull=False, check_answered_at__isnull=True, closed_at__isnull=True
    )
    for waiting in list(silent[:BATCH]):
        policy = policy_of(waiting.organisation_id)
        assert waiting.check_sent_at is not None
        if now - waiting.check_sent_at < timedelta(minutes=policy.check_timeout_minutes):
            continue
        with transaction.atomic():
            conversation = lock_conversation(waiting.conversation_id)
            arrival = OutOfHoursArrival.objects.select_for_update(no_key=True).get(pk=waiting.pk)
            if arrival.closed_at is None and arrival.check_answered_at is None:
                do_close_politely(conversation, arrival, reason="no answer to the check")
                counts["closed"] += 1
    return counts


def _at_opening(arrival_id: int, now: datetime) -> str:
    """Mark one arrival at its opening (its row locked: once, whichever worker runs)."""
    with transaction.atomic():
        arrival = OutOfHoursArrival.objects.select_for_update(no_key=True).get(pk=arrival_id)
        if arrival.marked_at is not None:
            return "marked"
        conversation = lock_conversation(arrival.conversation_id)
        arrival.marked_at = now
        arrival.save(update_fields=["marked_at"])
        if marked(conversation) is None:
            return "marked"
        zone = calendar_of(conversation.organisation, team=conversation.team).zone
        when = written_date(arrival.arrived_at.astimezone(zone), "nl")
        with translation.override("nl"):
            arrived = _("arrived outside opening hours")
        do_record_change(conversation, "out_of_hours", arrived, when, actor=None)
        policy = policy_of(conversation.organisation_id)
        if not policy.auto_check:
            return "marked"  # the agent's composer offers the line instead
        try:
            do_tell_citizen(
                conversation, still_needed_line(arrival, conversation), kind="out_of_hours_check",
                template=policy.check_template,
            )  # fmt: skip
        except BalieError as exc:
            log.info("out_of_hours_check_not_sent", conversation_id=conversation.pk, code=exc.code)
            return "marked"
        arrival.check_sent_at = now
        arrival.save(update_fields=["check_sent_at"])
        return "checked"


def wants_message(payload: dict[str, Any]) -> bool:
    """``when`` of the handler: inbound messages only carry a conversation to look at."""
    return bool(payload.get("conversation_id"))
