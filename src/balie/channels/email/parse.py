"""Parsing one e-mail into what Balie stores: pure, no Django.

Real-world mail is broken in many ways; this module never lets one message stop an intake.
It parses with the lenient ``compat32`` policy, which never raises on broken headers, and
decodes the headers it needs itself (RFC 2047 encoded words, raw 8-bit bytes); the modern
``policy.default`` header registry cost ~10 ms a message here (ADR 0016). It decodes legacy
charsets (Latin-1 labelled as such but written in Windows-1252, 8-bit bodies without a
charset, unknown charsets) with a note instead of an error, and keeps every attachment
within the size limit. Only a message that has no usable sender (or is not a message at all)
raises :class:`MailParseError`, and the intake puts it in quarantine with the reason.

It also classifies automatic mail (RFC 3834 and the usual vendor headers) and bounces
(RFC 3464 delivery reports; other formats through ``flufl.bounce``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

from balie.channels.email.bodytext import html_to_text, sanitise, split_reply

#: the largest attachment kept (bytes); the intake passes the configured limit
DEFAULT_MAX_ATTACHMENT = 25 * 1024 * 1024
MSGID = re.compile(r"<[^<>\s]+>")
#: the thread token Balie writes into the subject of its replies: ``[#B-1234]``
TOKEN = re.compile(r"\[#B-(\d{1,12})\]")
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|antw|doorst|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)
OUT_OF_OFFICE = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|"
    r"automatisch antwoord|afwezig|niet aanwezig|buiten kantoor|abwesenheit|"
    r"automatische antwort|absence|r[ée]ponse automatique|vacation)",
    re.I,
)


class MailParseError(Exception):
    """The bytes are not a message Balie can store; the reason goes into quarantine."""


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""  # without angle brackets; set for inline (cid:) images
    inline: bool = False


@dataclass
class ParsedMail:
    """One message as the intake needs it."""

    message_id: str
    sender: str  # lower-cased address
    sender_name: str
    subject: str
    sent_at: datetime | None
    in_reply_to: list[str]
    references: list[str]
    #: the citizen's own words (quoted history, signature and disclaimer split off)
    text: str
    quote: str = ""
    signature: str = ""
    #: sanitised HTML of the message, "" when it had only plain text
    html: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    #: why this is automatic mail ("" when a person wrote it)
    automatic: str = ""
    #: whether Balie must not answer it automatically (automatic mail, lists, null sender)
    no_auto_reply: bool = False
    #: addresses a bounce reports as failed (empty for other mail)
    bounced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_bounce(self) -> bool:
        return bool(self.bounced)

    @property
    def parents(self) -> list[str]:
        """The ids this message answers, nearest first: In-Reply-To, then References from
        the end."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen

    @property
    def token(self) -> int | None:
        """The conversation number in the subject's ``[#B-…]`` token, if any."""
        match = TOKEN.search(self.subject)
        return int(match.group(1)) if match else None

    def metadata(self) -> dict[str, Any]:
        """What the message keeps in ``Message.metadata["email"]``."""
        data: dict[str, Any] = {
            "subject": self.subject,
            "from": self.sender,
            "to": self.to,
            "cc": self.cc,
            "in_reply_to": self.in_reply_to,
            "references": self.references,
        }
        for key in ("quote", "signature", "html", "automatic"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.notes:
            data["notes"] = self.notes
        if self.no_auto_reply:
            data["no_auto_reply"] = True
        return data


def ids_in(value: str | None) -> list[str]:
    """The message ids in a header value (``<…>``), in order."""
    return MSGID.findall(str(value or ""))


def thread_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and Balie's token."""
    return TOKEN.sub("", SUBJECT_PREFIX.sub("", subject)).strip()


def parse_mail(raw: bytes, *, max_attachment: int = DEFAULT_MAX_ATTACHMENT) -> ParsedMail:
    """Parse raw RFC 5322 bytes; raise :class:`MailParseError` when nothing usable is there."""
    if not raw or not raw.strip():
        raise MailParseError("empty message")
    notes: list[str] = []
    msg: Message = message_from_bytes(raw, policy=policy.compat32)
    sender_header = _header_text(msg.get("From"))
    name, address = parseaddr(sender_header)
    if "@" not in address:
        raise MailParseError(f"no sender address in From: {sender_header[:200]!r}")
    mail = ParsedMail(
        message_id=_message_id(msg, raw),
        sender=address.strip().lower()[:320],
        sender_name=name.strip()[:200],
        subject=_header_text(_safe_get(msg, "Subject")).strip()[:500],
        sent_at=_date(_safe_get(msg, "Date")),
        in_reply_to=ids_in(_header_text(_safe_get(msg, "In-Reply-To")))[:1],
        references=ids_in(_header_text(_safe_get(msg, "References")))[-50:],
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        text="",
        notes=notes,
    )
    mail.automatic, mail.no_auto_reply = classify(msg, mail.subject)
    mail.bounced = bounced_addresses(msg, raw)
    if mail.bounced:
        mail.automatic = mail.automatic or "bounce"
        mail.no_auto_reply = True
    plain, html_body = _bodies(msg, notes)
    if html_body:
        mail.html = sanitise(html_body)
    text = plain if plain.strip() else html_to_text(html_body)
    mail.text, mail.quote, mail.signature = split_reply(text)
    mail.attachments = _attachments(msg, notes, max_attachment)
    return mail


def _safe_get(msg: Message, name: str) -> Any:
    return msg.get(name)


def _header_text(value: Any) -> str:
    """A header as text: RFC 2047 encoded words decoded, raw 8-bit bytes read as UTF-8 or
    else Windows-1252, an unknown charset decoded as best effort."""
    if value is None:
        return ""
    if isinstance(value, str) and "=?" not in value:
        return value
    try:
        parts = decode_header(value)
    except Exception:  # a broken encoded word: the text as it stands
        return str(value)
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        out.append(_decode_bytes(chunk, charset))
    return "".join(out)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    label = (charset or "").lower()
    if label in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}:
        label = "cp1252"
    if label and label != "unknown-8bit":
        try:
            return data.decode(label)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _message_id(msg: Message, raw: bytes) -> str:
    """The Message-ID; a message without one gets a stable id from its bytes, so a second
    import of the same file is still a duplicate."""
    found = ids_in(_header_text(_safe_get(msg, "Message-ID")))
    if found:
        return found[0][:255]
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@balie.invalid>"


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _addresses(msg: Message, name: str) -> list[str]:
    values = [_header_text(v) for v in msg.get_all(name) or []]
    return [a.lower() for _, a in getaddresses(values) if "@" in a][:50]


def classify(msg: Message, subject: str) -> tuple[str, bool]:
    """Why a message is automatic ("" if a person wrote it), and whether it must get no
    automatic answer (RFC 3834 plus the usual vendor headers)."""
    auto_submitted = str(_safe_get(msg, "Auto-Submitted") or "").strip().lower()
    precedence = str(_safe_get(msg, "Precedence") or "").strip().lower()
    suppress = str(_safe_get(msg, "X-Auto-Response-Suppress") or "").lower()
    reason = ""
    if auto_submitted and not auto_submitted.startswith("no"):
        reason = f"auto-submitted: {auto_submitted[:40]}"
    elif _safe_get(msg, "X-Autoreply") or _safe_get(msg, "X-Autorespond"):
        reason = "x-autoreply"
    elif precedence in {"bulk", "junk", "list", "auto_reply"}:
        reason = f"precedence: {precedence}"
    elif any(word in suppress for word in ("all", "autoreply", "oof")):
        reason = "x-auto-response-suppress"
    elif OUT_OF_OFFICE.match(subject):
        reason = "out-of-office subject"
    return_path = str(_safe_get(msg, "Return-Path") or "").strip()
    listed = any(key.lower().startswith("list-") for key in msg)
    return reason, bool(reason) or listed or return_path == "<>"


def bounced_addresses(msg: Message, raw: bytes) -> list[str]:
    """The failed recipients of a bounce: an RFC 3464 delivery report, else the formats
    ``flufl.bounce`` knows (only for mail that looks like a bounce); [] for other mail."""
    if msg.get_content_type() == "multipart/report":
        failed = _dsn_failures(msg)
        if failed:
            return failed
    sender = str(_safe_get(msg, "From") or "").lower()
    subject = str(_safe_get(msg, "Subject") or "").lower()
    looks = any(w in sender for w in ("mailer-daemon", "postmaster")) or any(
        w in subject for w in ("undeliver", "delivery status", "niet bezorgd", "returned mail")
    )
    if not looks:
        return []
    try:
        from flufl.bounce import scan_message

        found = scan_message(msg)
    except Exception:
        return []
    return sorted(
        {(a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a)).lower() for a in found}
    )


def _dsn_failures(msg: Message) -> list[str]:
    failed: list[str] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:]:  # the first block is about the reporting MTA
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
            if action == "failed" and "@" in address:
                failed.append(address)
    return failed


def _decode_part(part: Message, notes: list[str]) -> str:
    """A text part's content: its charset (Latin-1 read as Windows-1252, as browsers do),
    else UTF-8, else Windows-1252; an unknown charset decodes with replacement and a note."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    charset = (part.get_content_charset() or "").lower()
    if charset in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}:
        charset = "cp1252"
    if charset:
        try:
            return payload.decode(charset)
        except LookupError:
            notes.append(f"unknown charset {charset[:40]!r}: decoded as best effort")
        except UnicodeDecodeError:
            notes.append(f"text not valid in {charset[:40]!r}: decoded as best effort")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def _bodies(msg: Message, notes: list[str]) -> tuple[str, str]:
    """The plain and HTML bodies (either may be empty)."""
    plain = html_body = ""
    for part in msg.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not plain:
            plain = _decode_part(part, notes)
        elif kind == "text/html" and not html_body:
            html_body = _decode_part(part, notes)
    return plain.replace("\r\n", "\n"), html_body


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() in {"text", "multipart"}:
        return bool(part.get_filename()) and part.get_content_type() not in {
            "text/plain",
            "text/html",
        }
    return part.get_content_maintype() != "message" or bool(part.get_filename())


def _attachments(msg: Message, notes: list[str], limit: int) -> list[MailAttachment]:
    kept: list[MailAttachment] = []
    for n, part in enumerate(msg.walk()):
        if part.is_multipart() or not _is_attachment(part):
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            data = str(part.get_payload() or "").encode()
        filename = _header_text(part.get_filename() or "") or f"part-{n}"
        filename = re.sub(r"[\x00-\x1f/\\]", "_", filename).strip()[:200] or f"part-{n}"
        if len(data) > limit:
            notes.append(f"attachment {filename!r} ({len(data)} bytes) exceeds {limit} bytes")
            continue
        cid = str(part.get("Content-ID", "") or "").strip().strip("<>")[:200]
        disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
        kept.append(
            MailAttachment(
                filename=filename,
                content_type=part.get_content_type()[:128],
                data=data,
                content_id=cid,
                inline=bool(cid) and disposition != "attachment",
            )
        )
    return kept
