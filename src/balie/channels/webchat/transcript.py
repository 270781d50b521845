"""The transcript of a web chat by e-mail, on the visitor's request.

Sent by a durable task (``outbound`` queue, so a slow SMTP server never holds the socket):
through the organisation's e-mail channel's SMTP server when it has one (the same sending
code as its replies, :func:`balie.channels.email.adapter.deliver`), otherwise through
Django's e-mail backend (``EMAIL_HOST``). The mail is automatic (``Auto-Submitted``).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo

import structlog
from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmail
from django.db import transaction
from django_tasks import task

from balie.audit import trail
from balie.channels.base import SendError
from balie.channels.email.adapter import deliver
from balie.channels.models import Channel
from balie.channels.webchat.models import VisitorSession
from balie.channels.webchat.sessions import VisitorError, visible_messages
from balie.conversations.models import Direction
from balie.core import clock

log = structlog.get_logger(__name__)

TEXTS = {
    "nl": {
        "subject": "Uw chatgesprek met {org}",
        "intro": "Hieronder leest u uw chatgesprek met {org}.",
        "visitor": "U",
        "organisation": "{org}",
    },
    "en": {
        "subject": "Your chat with {org}",
        "intro": "Below is your chat with {org}.",
        "visitor": "You",
        "organisation": "{org}",
    },
}


def check_request_transcript(session: VisitorSession, address: str) -> None:
    """Queue the transcript to ``address`` (validated); audited, as it sends personal data."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    address = address.strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise VisitorError("invalid_email", "this is not a valid e-mail address") from exc
    if session.conversation_id is None:
        raise VisitorError("no_conversation", "there is nothing to send yet")
    with transaction.atomic():
        trail.record(
            request=None,
            action="webchat_transcript_requested",
            obj=session,
            origin="webchat",
            detail={"conversation": session.conversation_id},
        )
        send_transcript.enqueue(session.pk, address)


def transcript_text(session: VisitorSession) -> tuple[str, str]:
    """The subject and plain-text body of the session's transcript."""
    texts = TEXTS["en" if session.language == "en" else "nl"]
    org = session.channel.organisation.name
    zone = ZoneInfo(session.channel.organisation.time_zone or "Europe/Amsterdam")
    lines = [texts["intro"].format(org=org), ""]
    for message in visible_messages(session).order_by("pk"):
        at = (message.sent_at or message.created_at).astimezone(zone)
        who = texts["visitor" if message.direction == Direction.INBOUND else "organisation"]
        lines.append(f"[{at:%d-%m-%Y %H:%M}] {who.format(org=org)}:")
        lines.extend(f"  {line}" for line in (message.body or "").splitlines() or [""])
        for attachment in message.attachments.all():
            lines.append(f"  ({attachment.filename}, {attachment.size} bytes)")
        lines.append("")
    return texts["subject"].format(org=org), "\n".join(lines)


@task(queue_name="outbound")
def send_transcript(session_id: int, address: str) -> str:
    """Task: build and send the transcript; returns how it went out (``smtp``/``django``)."""
    session = VisitorSession.objects.select_related("channel__organisation").get(pk=session_id)
    subject, body = transcript_text(session)
    mailbox = (
        Channel.objects.filter(
            organisation_id=session.channel.organisation_id, kind="email", is_active=True
        )
        .order_by("pk")
        .first()
    )
    if mailbox is not None and mailbox.settings.get("smtp_host"):
        mail = EmailMessage()
        mail["From"] = formataddr((mailbox.name, str(mailbox.settings.get("address", ""))))
        mail["To"] = address
        mail["Subject"] = subject
        mail["Date"] = format_datetime(clock.now())
        domain = str(mailbox.settings.get("address", "")).rpartition("@")[2] or "balie.invalid"
        mail["Message-ID"] = make_msgid(domain=domain)
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(body)
        try:
            deliver(mailbox.settings, mailbox.secrets, mail)
        except SendError as exc:
            log.warning("webchat_transcript_failed", session_id=session_id, code=exc.code)
            raise
        log.info("webchat_transcript_sent", session_id=session_id, via="smtp")
        return "smtp"
    DjangoEmail(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [address],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()
    log.info("webchat_transcript_sent", session_id=session_id, via="django")
    return "django"
