"""The e-mail channel adapter: sending over SMTP through the outbox.

Channel settings: ``address`` (the mailbox's own address, the From of every reply),
``domain`` (the right-hand side of Balie's Message-IDs; default the address's domain),
``smtp_host``, ``smtp_port`` (587), ``smtp_security`` (``starttls``, ``ssl`` or ``none``;
``none`` only for loopback tests), ``smtp_username``; secret ``smtp_password``. The IMAP
settings are described in :mod:`balie.channels.email.imap`.

A reply keeps the citizen's thread: its Message-ID is ``<uuid@domain>`` (the outbox's
idempotency key: a retry sends the same id, which mail clients show once), In-Reply-To is the
citizen's latest message and References that message's References plus its id; the subject
is ``Re: …`` with the conversation's ``[#B-…]`` token, the fallback for clients that drop the
headers. Balie's automatic mails carry ``Auto-Submitted: auto-replied`` and are never sent in
answer to mail that asked for none (RFC 3834).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from balie.channels.base import ChannelAdapter, SendError, SendResult
from balie.channels.email.models import UndeliverableAddress
from balie.channels.email.parse import thread_subject
from balie.conversations.models import Conversation, Direction, Message
from balie.core import clock
from balie.parties.models import AddressKind
from balie.replies.formatting import for_channel


class EmailAdapter(ChannelAdapter):
    """Adapter for a mailbox: IMAP (or SMTP) intake, SMTP sending."""

    kind = "email"
    #: the Message-ID is the key: a resent attempt is the same message to the recipient
    idempotent_sends = True

    def send(self, message: Message) -> SendResult:
        mail = compose(message)
        deliver(message.channel.settings, message.channel.secrets, mail)
        return SendResult(provider_id=str(mail["Message-ID"]))


def outbound_id(message: Message) -> str:
    """Balie's Message-ID of an outbound message."""
    settings = message.channel.settings
    domain = str(settings.get("domain") or str(settings.get("address", "")).rpartition("@")[2])
    return f"<{message.uuid}@{domain or 'balie.invalid'}>"


def automatic(message: Message) -> bool:
    """Whether Balie wrote this message by itself (a queue notice, an after-hours answer)."""
    meta = message.metadata or {}
    return bool(meta.get("automatic") or (meta.get("balie") or {}).get("automatic"))


def recipient(conversation: Conversation) -> str:
    """The citizen's e-mail address: the conversation's, else the party's first."""
    address = conversation.address
    if address is not None and address.kind == AddressKind.EMAIL:
        return address.value
    found = sorted(
        (a for a in conversation.party.addresses.all() if a.kind == AddressKind.EMAIL),
        key=lambda a: a.pk,
    )
    if not found:
        raise SendError("no_recipient", "the citizen has no e-mail address", retryable=False)
    return found[0].value


def reply_subject(conversation: Conversation, parent_meta: dict[str, Any]) -> str:
    """``Re: <the citizen's subject> [#B-<conversation>]``."""
    subject = thread_subject(str(parent_meta.get("subject") or conversation.subject)) or "Balie"
    return f"Re: {subject} [#B-{conversation.pk}]"


def latest_inbound(conversation: Conversation, before: int | None = None) -> Message | None:
    """The citizen's latest e-mail in the conversation (before message ``before``)."""
    rows = Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    return rows.exclude(provider_id="").order_by("-pk").first()


def compose(message: Message) -> EmailMessage:
    """The reply as a MIME message: plain text and an HTML part, attachments, thread headers.

    Raises SendError (not retryable) when the address bounced or the answer would be an
    automatic reply to mail that asked for none."""
    conversation = message.conversation
    channel = message.channel
    to = recipient(conversation)
    if UndeliverableAddress.objects.filter(
        organisation_id=channel.organisation_id, address=to.lower()
    ).exists():
        raise SendError("undeliverable", f"{to} bounced earlier", retryable=False)
    parent = latest_inbound(conversation, before=message.pk)
    parent_meta: dict[str, Any] = (parent.metadata.get("email") or {}) if parent else {}
    if automatic(message) and parent_meta.get("no_auto_reply"):
        raise SendError(
            "auto_reply_suppressed", "the citizen's mail asked for none", retryable=False
        )
    mail = EmailMessage()
    mail["From"] = formataddr((channel.name, str(channel.settings.get("address", ""))))
    mail["To"] = to
    mail["Subject"] = reply_subject(conversation, parent_meta)
    mail["Date"] = format_datetime(clock.now())
    mail["Message-ID"] = outbound_id(message)
    if parent is not None:
        references = [*parent_meta.get("references", []), parent.provider_id][-20:]
        mail["In-Reply-To"] = parent.provider_id
        mail["References"] = " ".join(references)
    if automatic(message):
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    prepared = for_channel(message.body, "email")  # the one plain-to-HTML rule (replies)
    mail.set_content(prepared.plain)
    mail.add_alternative(
        f"<!doctype html><html><body>{prepared.html or ''}</body></html>", subtype="html"
    )
    for attachment in message.attachments.all():
        if not attachment.file:
            continue
        with attachment.file.open("rb") as handle:
            data = handle.read()
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename or "bijlage",
        )
    return mail


def deliver(settings: dict[str, Any], secrets: dict[str, Any], mail: EmailMessage) -> None:
    """Hand the message to the SMTP server; SendError says whether a retry may help."""
    host = str(settings.get("smtp_host", ""))
    if not host:
        raise SendError("not_configured", "the channel has no smtp_host", retryable=False)
    security = str(settings.get("smtp_security", "starttls"))
    port = int(settings.get("smtp_port", 465 if security == "ssl" else 587))
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=30, context=context)
            if security == "ssl"
            else smtplib.SMTP(host, port, timeout=30)
        )
        with smtp:
            if security == "starttls":
                smtp.starttls(context=context)
            username = str(settings.get("smtp_username", ""))
            if username:
                smtp.login(username, str(secrets.get("smtp_password", "")))
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError("recipient_refused", str(exc)[:300], retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        retry = 400 <= exc.smtp_code < 500
        raise SendError(
            f"smtp_{exc.smtp_code}", str(exc.smtp_error)[:300], retryable=retry
        ) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise SendError("smtp_unreachable", f"{type(exc).__name__}: {exc}", retryable=True) from exc
