"""The honest automatic message to a citizen whose contact must wait."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from balie.conversations.actions.reply import do_queue_outbounds
from balie.conversations.models import Conversation, Message
from balie.core import clock
from balie.core.events import publish
from balie.routing.events import ContactWaiting
from balie.routing.models import QueueEntry

#: Channels where the PBX, not a message, tells the caller to wait.
SPOKEN_KINDS = {"phone"}
DAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def notice_text(language: str, expected_wait_s: int | None, opens_at: datetime | None) -> str:
    """The message: the expected wait, or when an answer can be expected; Dutch or English."""
    english = language == "en"
    if expected_wait_s is not None:
        minutes = max(1, math.ceil(expected_wait_s / 60))
        if english:
            return (
                "Thank you for your message. All our colleagues are busy; we expect to answer "
                f"in about {minutes} minute{'s' if minutes != 1 else ''}."
            )
        return (
            "Bedankt voor uw bericht. Al onze medewerkers zijn bezig; we verwachten u over "
            f"ongeveer {minutes} {'minuut' if minutes == 1 else 'minuten'} te antwoorden."
        )
    if opens_at is not None:
        day = (DAYS_EN if english else DAYS_NL)[opens_at.weekday()]
        at = opens_at.strftime("%H:%M")
        if english:
            return (
                f"Thank you for your message. We are closed now; expect an answer from {day} {at}."
            )
        return f"Bedankt voor uw bericht. We zijn nu gesloten; u krijgt antwoord vanaf {day} {at}."
    if english:
        return (
            "Thank you for your message. No colleague who can answer it is available right now; "
            "you will get an answer as soon as one is."
        )
    return (
        "Bedankt voor uw bericht. Er is nu geen medewerker beschikbaar die uw vraag kan "
        "beantwoorden; u krijgt antwoord zodra dat wel zo is."
    )


@dataclass(frozen=True)
class Notice:
    """A waiting contact and what to tell them: the expected wait, or when the office opens."""

    entry: QueueEntry
    conversation: Conversation
    expected_wait_s: int | None
    opens_at: datetime | None


def do_send_queue_notices(notices: list[Notice]) -> list[Message]:
    """Write each notice to the outbox once per wait (phone callers hear it from the PBX);
    one UPDATE of the entries, one INSERT of the messages. Outside opening hours the wait is
    published but not written: the out-of-hours reply (``backoffice.afterhours``, on the
    organisation's calendar with its holidays, once per closed period) tells the citizen when
    to expect an answer, so they never get two automatic messages for one question.

    Precondition: inside a transaction, the entries locked.
    """
    due = [n for n in notices if n.entry.notice_sent_at is None]
    now = clock.now()
    for notice in due:
        notice.entry.notice_sent_at = now
        publish(
            ContactWaiting(
                conversation_id=notice.conversation.pk,
                organisation_id=notice.conversation.organisation_id,
                expected_wait_s=notice.expected_wait_s,
                opens_at=notice.opens_at.isoformat() if notice.opens_at else None,
            )
        )
    if due:
        QueueEntry.objects.filter(pk__in=[n.entry.pk for n in due]).update(notice_sent_at=now)
    written = [
        (n.conversation, _text(n))
        for n in due
        if n.conversation.channel.kind not in SPOKEN_KINDS and n.opens_at is None
    ]
    return do_queue_outbounds(written, metadata={"automatic": "queue_notice"}) if written else []


def _text(notice: Notice) -> str:
    """A written notice is for a contact waiting while open (out of hours the out-of-hours
    reply speaks instead, see :func:`do_send_queue_notices`)."""
    return notice_text(notice.conversation.language, notice.expected_wait_s, None)
