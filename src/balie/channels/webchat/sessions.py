"""What a web chat visitor does, as actions: start or resume a session, choose a topic,
write (text or a file), leave an e-mail address, confirm what reached the widget.

A visitor's message goes through :func:`~balie.conversations.actions.do_receive_message`
like any channel's: the party is found by the ``webchat`` digital address (the visitor id),
the conversation opened or continued, ``message_received`` published (routing, service
levels, privacy scan, language). The widget's own id for each message makes a resend after
a reconnect a duplicate, not a second message.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from balie.audit import trail
from balie.channels.models import Channel
from balie.channels.webchat.config import WebchatSettings
from balie.channels.webchat.events import VisitorTyping
from balie.channels.webchat.identity import check_identity
from balie.channels.webchat.models import VisitorSession
from balie.conversations.actions import InboundMessage, do_receive_message
from balie.conversations.actions.attachments import do_add_attachments
from balie.conversations.actions.delivery import Report, do_update_delivery_statuses
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.models import Attachment, Conversation, Direction, Message
from balie.core import clock, events
from balie.core.errors import NotFound
from balie.core.events import publish
from balie.parties.actions import AddressClaim, SenderIdentity, do_find_or_create_parties
from balie.parties.models import AddressKind

log = structlog.get_logger(__name__)

#: messages a resync sends at most (the newest); older ones stay in the widget's own view
RESYNC_LIMIT = 200
LANGUAGES = ("nl", "en")


class VisitorError(Exception):
    """What the visitor asked cannot be done; ``code`` and ``message`` go to the widget."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def frame(self) -> dict[str, Any]:
        """The error frame for the widget."""
        return {"type": "error", "code": self.code, "message": self.message, **self.extra}


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Started:
    """A session the socket now serves; ``token`` is new only when the session is."""

    session: VisitorSession
    token: str
    resumed: bool


def check_start(
    channel: Channel,
    *,
    token: str = "",
    identifier: str = "",
    proof: str = "",
    language: str = "",
) -> Started:
    """Resume the session of ``token`` or start a new one; with ``identifier``, only when
    ``proof`` is its HMAC under the channel's ``identity_secret`` (IdentityRefused)."""
    verified = ""
    if identifier or proof:
        verified = check_identity(
            str((channel.secrets or {}).get("identity_secret", "")), identifier, proof
        )
    language = language if language in LANGUAGES else ""
    if token:
        found = VisitorSession.objects.filter(channel=channel, token_hash=token_hash(token)).first()
        # a verified visitor's session resumes only with their proof again: after they log
        # out on a shared computer the next visitor starts afresh
        same_visitor = found is not None and (
            found.visitor_id == verified if found.verified else not verified
        )
        if found is not None and same_visitor:
            found.last_seen_at = clock.now()
            if language:
                found.language = language
            found.save(update_fields=["last_seen_at", "language"])
            return Started(found, token, resumed=True)
    token = secrets.token_urlsafe(32)
    session = VisitorSession.objects.create(
        channel=channel,
        token_hash=token_hash(token),
        visitor_id=verified or f"anon-{secrets.token_urlsafe(12)}",
        verified=bool(verified),
        language=language,
        last_seen_at=clock.now(),
    )
    return Started(session, token, resumed=False)


def check_choose_topic(session: VisitorSession, code: str) -> dict[str, str]:
    """Record the topic the visitor chose before the chat; unknown codes are refused."""
    topic = WebchatSettings.of(session.channel.settings).topic(code)
    if topic is None:
        raise VisitorError("unknown_topic", "choose one of the topics offered")
    session.topic_code = code
    session.save(update_fields=["topic_code"])
    return topic


def _sender(session: VisitorSession, *extra: AddressClaim) -> SenderIdentity:
    primary = AddressClaim(AddressKind.WEBCHAT, session.visitor_id, session.verified)
    return SenderIdentity(primary=primary, extra=tuple(extra))


@dataclass(frozen=True)
class Upload:
    """A file the visitor sent, already decoded and checked against the limits."""

    name: str
    content_type: str
    data: bytes


def check_upload(channel: Channel, name: str, content_type: str, size: int) -> None:
    """Refuse a file above the channel's size limit or of a type it does not take."""
    limits = WebchatSettings.of(channel.settings)
    if size > limits.max_upload_bytes:
        raise VisitorError(
            "file_too_large",
            f"files may be at most {limits.max_upload_bytes // (1024 * 1024)} MB",
            limit=limits.max_upload_bytes,
        )
    if content_type.lower() not in limits.upload_types:
        raise VisitorError(
            "file_type", "this type of file is not accepted", types=limits.upload_types
        )
    if not name.strip():
        raise VisitorError("bad_frame", "a file needs a name")


def do_receive_visitor_message(
    session: VisitorSession, client_id: str, text: str, upload: Upload | None = None
) -> Message:
    """Store what the visitor wrote (once per ``client_id``) and publish its events."""
    channel = session.channel
    settings = WebchatSettings.of(channel.settings)
    topic = settings.topic(session.topic_code)
    inbound = InboundMessage(
        provider_id=f"webchat:{session.pk}:{client_id}"[:255],
        body=text or (upload.name if upload else ""),
        sent_at=clock.now(),
        topic_code=session.topic_code,
        language=session.language,
        subject=(topic or {}).get(session.language or "nl", "") if topic else "",
        metadata={"webchat": {"session": session.pk, "topic": session.topic_code}},
    )
    # the handlers' tasks of all the message's events in one INSERT
    with transaction.atomic(), events.batch():
        result = do_receive_message(channel, _sender(session), inbound)
        message = result.message
        if result.created and upload is not None:
            do_add_attachments(
                [
                    Attachment(
                        message=message,
                        file=ContentFile(upload.data, name=upload.name),
                        filename=upload.name[:255],
                        content_type=upload.content_type,
                        size=len(upload.data),
                        sha256=hashlib.sha256(upload.data).hexdigest(),
                    )
                ],
                organisation_id=channel.organisation_id,
            )
        if session.conversation_id != message.conversation_id:
            session.conversation_id = message.conversation_id
            session.save(update_fields=["conversation"])
    return message


def do_publish_typing(session: VisitorSession) -> bool:
    """Tell the agents' workspace the visitor is typing (nothing stored); False before the
    visitor's first message (there is no conversation to show it in)."""
    if session.conversation_id is None:
        return False
    with transaction.atomic():
        publish(
            VisitorTyping(
                conversation_id=session.conversation_id,
                organisation_id=session.channel.organisation_id,
            )
        )
    return True


def check_leave_email(session: VisitorSession, address: str) -> str:
    """Add the e-mail address the visitor left to their party (unverified), audited."""
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise VisitorError("invalid_email", "this is not a valid e-mail address") from exc
    with transaction.atomic():
        found = do_find_or_create_parties(
            session.channel.organisation_id,
            [_sender(session, AddressClaim(AddressKind.EMAIL, address.lower(), False))],
        )[0]
        trail.record(
            request=None,
            action="webchat_email_left",
            obj=found.party,
            origin="webchat",
            detail={"session": session.pk},
        )
    return address


def visitor_conversations(session: VisitorSession) -> QuerySet[Conversation]:
    """The conversations of the session's visitor on this channel."""
    return Conversation.objects.filter(
        channel_id=session.channel_id,
        address__kind=AddressKind.WEBCHAT,
        address__value=session.visitor_id,
    )


def visible_messages(session: VisitorSession) -> QuerySet[Message]:
    """What the visitor sees: their own messages and the answers (no notes, no system
    lines, nothing that failed)."""
    return (
        Message.objects.filter(conversation__in=visitor_conversations(session))
        .filter(Q(direction=Direction.INBOUND) | Q(direction=Direction.OUTBOUND))
        .exclude(delivery_status=DeliveryStatus.FAILED)
        .prefetch_related("attachments")
    )


#: how long a file link in the widget works (seconds)
FILE_LINK_AGE = 7 * 24 * 3600
FILE_SALT = "balie.webchat.file"


def file_link(session: VisitorSession, attachment: Attachment) -> str:
    """The path where the session's visitor downloads ``attachment`` (signed, for a week)."""
    token = signing.dumps({"a": attachment.pk, "s": session.pk}, salt=FILE_SALT, compress=True)
    return reverse("webchat:file", kwargs={"token": token})


def access_file(token: str) -> Attachment:
    """The attachment a file link names, when the link is genuine, not expired, and the
    attachment is still on a message its session's visitor sees; else NotFound."""
    try:
        found = signing.loads(token, salt=FILE_SALT, max_age=FILE_LINK_AGE)
        session = VisitorSession.objects.get(pk=int(found["s"]))
        return Attachment.objects.filter(
            message__in=visible_messages(session), pk=int(found["a"])
        ).get()
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound("this file link is not valid (any more)") from exc
    except (VisitorSession.DoesNotExist, Attachment.DoesNotExist) as exc:
        raise NotFound("this file is not available") from exc


def frame_of(message: Message, session: VisitorSession) -> dict[str, Any]:
    """A message as the widget shows it (the text is plain; the widget never renders HTML)."""
    at: datetime = message.sent_at or message.created_at
    return {
        "type": "message",
        "id": message.pk,
        "from": "visitor" if message.direction == Direction.INBOUND else "organisation",
        "text": message.body,
        "at": at.isoformat(),
        "automatic": bool((message.metadata or {}).get("balie", {}).get("automatic")),
        "client_id": message.provider_id.rsplit(":", 1)[-1]
        if message.direction == Direction.INBOUND
        else "",
        "attachments": [
            {
                "name": a.filename,
                "size": a.size,
                "type": a.content_type,
                "url": file_link(session, a) if a.file else "",
            }
            for a in message.attachments.all()
        ],
    }


def messages_after(
    session: VisitorSession, last_id: int, *, only: int | None = None
) -> list[dict[str, Any]]:
    """The frames the widget has not seen: messages after ``last_id`` (the newest
    ``RESYNC_LIMIT``), and message ``only`` whatever its id (a push about one reply)."""
    rows = visible_messages(session)
    picked = rows.filter(Q(pk__gt=last_id) | Q(pk=only or 0)).order_by("-pk")[:RESYNC_LIMIT]
    return [frame_of(m, session) for m in reversed(list(picked))]


def do_mark_delivered(session: VisitorSession, message_ids: list[int]) -> int:
    """The widget showed these answers: mark them delivered (never backwards)."""
    ids = list(
        visible_messages(session)
        .filter(pk__in=message_ids[:RESYNC_LIMIT], direction=Direction.OUTBOUND)
        .filter(delivery_status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENT])
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    with transaction.atomic():
        do_update_delivery_statuses([Report(pk, DeliveryStatus.DELIVERED) for pk in ids])
    return len(ids)
