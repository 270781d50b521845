"""The one e-mail intake: IMAP, SMTP and ``balie email import`` all feed raw messages here.

A batch is parsed outside the transaction, then stored in one: quarantine for what cannot be
parsed, bounces marked on the address, automatic mail kept only as a note on an open thread,
the rest received through :func:`do_receive_messages` (dedupe on the Message-ID, party,
conversation) with its attachments. Threading links each reply to the message it answers by
In-Reply-To/References (the subject's ``[#B-…]`` token as fallback), in any arrival order: a
reply whose parent has not arrived waits in :class:`PendingReply` and is linked when it does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import structlog
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F

from balie.channels.email.models import PendingReply, QuarantinedMail, UndeliverableAddress
from balie.channels.email.parse import MailParseError, ParsedMail, parse_mail, thread_subject
from balie.channels.models import Channel
from balie.conversations.actions import InboundMessage, do_receive_messages
from balie.conversations.actions.attachments import do_add_attachments
from balie.conversations.actions.linking import do_link_replies
from balie.conversations.models import Attachment, Direction, Message
from balie.conversations.workflow import OPEN_FOR_INBOUND
from balie.core import clock
from balie.core.events import batch
from balie.parties.actions import AddressClaim, SenderIdentity
from balie.parties.models import AddressKind
from balie.parties.normalise import normalise_email

log = structlog.get_logger(__name__)

#: messages stored per transaction
BATCH = 200


@dataclass
class Counts:
    """What an intake run did; ``balie email import`` prints it as one JSON line."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    threaded: int = 0
    auto_replies: int = 0
    bounces: int = 0
    quarantined: int = 0
    seconds: float = 0.0

    def add(self, other: Counts) -> None:
        for key, value in asdict(other).items():
            if key != "seconds":
                setattr(self, key, getattr(self, key) + value)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class RawMail:
    """Raw bytes and where they came from (a path, ``imap:INBOX/42``, ``smtp``)."""

    data: bytes
    source: str = ""


def ingest(channel: Channel, mails: Iterable[RawMail], *, size: int = BATCH) -> Counts:
    """Store mails in batches of ``size``, each batch one transaction; return the counts."""
    started = time.perf_counter()
    total = Counts()
    chunk: list[RawMail] = []
    for mail in mails:
        chunk.append(mail)
        if len(chunk) >= size:
            total.add(ingest_batch(channel, chunk))
            chunk = []
    if chunk:
        total.add(ingest_batch(channel, chunk))
    total.seconds = time.perf_counter() - started
    return total


def ingest_batch(channel: Channel, mails: Sequence[RawMail]) -> Counts:
    """Parse and store one batch in one transaction."""
    counts = Counts(read=len(mails))
    limit = int(settings.BALIE_EMAIL_MAX_ATTACHMENT_BYTES)
    parsed: list[ParsedMail] = []
    rejected: list[tuple[RawMail, str]] = []
    own = str(channel.settings.get("address", "")).lower()
    for mail in mails:
        try:
            item = parse_mail(mail.data, max_attachment=limit)
        except MailParseError as exc:
            rejected.append((mail, str(exc)))
            continue
        except Exception as exc:  # a parser bug must not stop the intake either
            rejected.append((mail, f"{type(exc).__name__}: {exc}"[:500]))
            continue
        if own and item.sender == own:  # our own mail come back (a BCC, a loop)
            counts.auto_replies += 1
            continue
        parsed.append(item)
    with transaction.atomic(), batch():
        quarantine(channel, rejected)
        counts.quarantined = len(rejected)
        _store(channel, parsed, counts)
    return counts


def quarantine(channel: Channel, rejected: list[tuple[RawMail, str]]) -> None:
    """Keep unparseable mail raw with the reason (shown in the admin)."""
    now = clock.now()
    for mail, reason in rejected:
        log.warning("email_quarantined", channel_id=channel.pk, reason=reason, source=mail.source)
    QuarantinedMail.objects.bulk_create(
        QuarantinedMail(
            channel=channel,
            raw=mail.data,
            reason=reason[:500],
            source=mail.source[:300],
            received_at=now,
        )
        for mail, reason in rejected
    )


def _store(channel: Channel, parsed: list[ParsedMail], counts: Counts) -> None:
    bounces = [p for p in parsed if p.is_bounce]
    counts.bounces = len(bounces)
    mark_undeliverable(channel, bounces)
    rest = [p for p in parsed if not p.is_bounce]
    known = _known(channel, rest)
    items: list[tuple[SenderIdentity, InboundMessage]] = []
    kept: list[ParsedMail] = []
    for mail in rest:
        if mail.automatic:
            counts.auto_replies += 1
            parent = next((known[m] for m in mail.parents if m in known), None)
            if parent is None or parent.conversation.status not in OPEN_FOR_INBOUND:
                log.info("email_auto_reply_dropped", channel_id=channel.pk, why=mail.automatic)
                continue
        items.append((_identity(mail, _answers_our_mail(mail, known)), _inbound(mail)))
        kept.append(mail)
    results = do_receive_messages(channel, items)
    attachments: list[Attachment] = []
    created: list[tuple[ParsedMail, Message]] = []
    for mail, result in zip(kept, results, strict=True):
        if not result.created:
            counts.duplicates += 1
            continue
        created.append((mail, result.message))
        attachments.extend(_attachments(result.message, mail))
    counts.stored = len(created)
    do_add_attachments(attachments, organisation_id=channel.organisation_id)
    counts.threaded = _thread(channel, created, known)


def _identity(mail: ParsedMail, verified: bool = False) -> SenderIdentity:
    return SenderIdentity(
        primary=AddressClaim(AddressKind.EMAIL, mail.sender, verified), name=mail.sender_name
    )


def _answers_our_mail(mail: ParsedMail, known: dict[str, Message]) -> bool:
    """A From address is verified once its owner answers a mail Balie sent to it: the reply
    names Balie's Message-ID (a random uuid only that mailbox received) in In-Reply-To or
    References, and the From is the address that mail went to (docs/parties.md). A subject
    token (``[#B-12]``) is guessable and does not count; nor does a forwarded reply."""
    sender = normalise_email(mail.sender)
    for mid in mail.parents:
        parent = known.get(mid)
        if parent is None or parent.direction != Direction.OUTBOUND:
            continue
        address = parent.conversation.address
        if sender and address is not None and normalise_email(address.value) == sender:
            return True
    return False


def _inbound(mail: ParsedMail) -> InboundMessage:
    return InboundMessage(
        provider_id=mail.message_id,
        body=mail.text,
        sent_at=mail.sent_at,
        metadata={"email": mail.metadata()},
        subject=thread_subject(mail.subject),
        system=bool(mail.automatic),
    )


def _attachments(message: Message, mail: ParsedMail) -> list[Attachment]:
    import hashlib

    return [
        Attachment(
            message=message,
            file=ContentFile(part.data, name=part.filename),
            filename=part.filename[:255],
            content_type=part.content_type or "application/octet-stream",
            size=len(part.data),
            sha256=hashlib.sha256(part.data).hexdigest(),
            provider_media_id=f"cid:{part.content_id}"[:255] if part.content_id else "",
        )
        for part in mail.attachments
    ]


def _known(channel: Channel, mails: list[ParsedMail]) -> dict[str, Message]:
    """The stored messages the batch's mails answer (one query), plus the latest message of
    each conversation named by a subject token, under the key ``#B-<pk>``."""
    wanted = {mid for mail in mails for mid in mail.parents}
    found: dict[str, Message] = {}
    if wanted:
        rows = Message.objects.filter(channel=channel, provider_id__in=wanted).select_related(
            "conversation__address"
        )
        found = {m.provider_id: m for m in rows}
    tokens = {
        t
        for mail in mails
        if (t := mail.token) is not None and not set(mail.parents) & found.keys()
    }
    if tokens:
        latest = (
            Message.objects.filter(channel=channel, conversation_id__in=tokens)
            .exclude(direction=Direction.NOTE)
            .select_related("conversation")
            .order_by("conversation_id", "-id")
        )
        for message in latest:
            found.setdefault(f"#B-{message.conversation_id}", message)
    return found


def _parent_of(mail: ParsedMail, known: dict[str, Message]) -> Message | None:
    for mid in mail.parents:
        if mid in known:
            return known[mid]
    token = mail.token
    return known.get(f"#B-{token}") if token is not None else None


def _thread(
    channel: Channel, created: list[tuple[ParsedMail, Message]], known: dict[str, Message]
) -> int:
    """Link each new reply to its parent (stored or in this batch), each waiting reply to a
    new parent; remember the replies whose parent is still missing. Returns the links made."""
    known = dict(known)
    for _, message in created:
        known[message.provider_id] = message
    links: dict[int, Message] = {}  # reply pk → parent
    waiting: list[PendingReply] = []
    for mail, message in created:
        if not mail.parents and mail.token is None:
            continue
        parent = _parent_of(mail, known)
        nearest = mail.parents[0] if mail.parents else ""
        if parent is not None:
            links[message.pk] = parent
        if nearest and nearest not in known:
            waiting.append(PendingReply(channel=channel, parent_id=nearest, message=message))
    new_ids = {m.provider_id: m for _, m in created}
    pending = list(
        PendingReply.objects.filter(channel=channel, parent_id__in=new_ids.keys()).select_related(
            "message"
        )
    )
    for row in pending:
        links[row.message_id] = new_ids[row.parent_id]
    PendingReply.objects.filter(pk__in=[row.pk for row in pending]).delete()
    PendingReply.objects.bulk_create(waiting)
    return _link(links)


def _link(links: dict[int, Message]) -> int:
    """Link each reply to its parent through the conversations action (rows locked, a
    ``reply_linked`` event per new link); returns the links found, written or not (a reply
    in another conversation keeps the parent's id in its metadata only)."""
    if not links:
        return 0
    do_link_replies(links)
    return len(links)


def mark_undeliverable(channel: Channel, bounces: list[ParsedMail]) -> None:
    """Record each failed address of the bounces (one row per address, counted)."""
    now = clock.now()
    addresses = sorted({a for mail in bounces for a in mail.bounced})
    if not addresses:
        return
    existing = set(
        UndeliverableAddress.objects.filter(
            organisation_id=channel.organisation_id, address__in=addresses
        ).values_list("address", flat=True)
    )
    UndeliverableAddress.objects.filter(
        organisation_id=channel.organisation_id, address__in=existing
    ).update(bounces=F("bounces") + 1, last_bounce_at=now)
    UndeliverableAddress.objects.bulk_create(
        UndeliverableAddress(
            organisation_id=channel.organisation_id,
            address=address,
            reason="bounce",
            last_bounce_at=now,
        )
        for address in addresses
        if address not in existing
    )
    log.info("email_bounces", channel_id=channel.pk, addresses=len(addresses))


def reprocess(quarantined: QuarantinedMail) -> Counts:
    """Feed a quarantined mail through the intake again (after a fix): stored and marked
    processed when it parses now, else its reason is brought up to date."""
    raw = bytes(quarantined.raw)
    try:
        parse_mail(raw, max_attachment=int(settings.BALIE_EMAIL_MAX_ATTACHMENT_BYTES))
    except Exception as exc:
        QuarantinedMail.objects.filter(pk=quarantined.pk).update(reason=str(exc)[:500])
        return Counts(read=1, quarantined=1)
    with transaction.atomic():
        counts = ingest_batch(quarantined.channel, [RawMail(raw, quarantined.source)])
        QuarantinedMail.objects.filter(pk=quarantined.pk).update(processed_at=clock.now())
    return counts
