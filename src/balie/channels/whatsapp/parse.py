"""Turning a WhatsApp Cloud API webhook payload into plain values (pure; no database).

One POST can hold several entries, each several changes, each several messages, statuses and
template updates. Anything we do not understand is kept as an ``unsupported`` message with its
raw type, never dropped, so an agent can still see that the citizen wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")


class PayloadError(ValueError):
    """The JSON is valid but is not a WhatsApp Business Account webhook."""


@dataclass(frozen=True)
class Sender:
    """Who wrote: wa_id (phone digits, may be empty with usernames), BSUID, profile name."""

    wa_id: str
    user_id: str = ""
    name: str = ""


@dataclass(frozen=True)
class Media:
    """A media object to fetch by id through the Graph API (never by a CDN URL)."""

    media_id: str
    mime_type: str
    sha256: str = ""
    filename: str = ""


@dataclass(frozen=True)
class ParsedMessage:
    """One inbound message as Balie stores it."""

    phone_number_id: str
    wamid: str
    sender: Sender
    type: str
    body: str
    sent_at: datetime | None
    metadata: dict[str, Any]
    reply_to: str = ""
    media: Media | None = None
    #: for reactions: the wamid reacted to and the emoji ("" removes the reaction)
    reaction_to: str = ""
    emoji: str = ""


@dataclass(frozen=True)
class ParsedStatus:
    """A delivery report for one of our outbound messages."""

    phone_number_id: str
    wamid: str
    status: str
    sent_at: datetime | None
    error_code: str = ""
    error_text: str = ""
    callback_data: str = ""


@dataclass(frozen=True)
class TemplateUpdate:
    """``message_template_status_update``: a template was approved, rejected, paused …"""

    name: str
    language: str
    status: str
    provider_id: str = ""
    reason: str = ""


@dataclass
class ParsedBatch:
    """Everything one webhook POST carried."""

    messages: list[ParsedMessage] = field(default_factory=list)
    statuses: list[ParsedStatus] = field(default_factory=list)
    templates: list[TemplateUpdate] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def check_envelope(payload: Any) -> None:
    """Raise PayloadError unless ``payload`` has the WhatsApp webhook envelope."""
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    if payload.get("object") != "whatsapp_business_account":
        raise PayloadError("'object' must be 'whatsapp_business_account'")
    entries = payload.get("entry")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise PayloadError("'entry' must be a list of objects")


def parse_webhook(payload: dict[str, Any]) -> ParsedBatch:
    """Flatten a checked payload (see :func:`check_envelope`) into messages and reports."""
    batch = ParsedBatch()
    for entry in payload.get("entry", []):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            if change.get("field") == "message_template_status_update":
                batch.templates.append(_template(value))
            elif change.get("field") == "messages":
                _messages_change(value, batch)
    return batch


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: Any, limit: int = 4096) -> str:
    return str(value)[:limit] if value is not None else ""


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _messages_change(value: dict[str, Any], batch: ParsedBatch) -> None:
    phone_number_id = _str((value.get("metadata") or {}).get("phone_number_id"))
    profiles: dict[str, str] = {}
    for contact in _dicts(value.get("contacts")):
        name = _str((contact.get("profile") or {}).get("name"), 200)
        for key in (contact.get("wa_id"), contact.get("user_id")):
            if key:
                profiles[str(key)] = name
    for raw in _dicts(value.get("messages")):
        message = _message(phone_number_id, raw, profiles)
        if message is not None:
            batch.messages.append(message)
    for raw in _dicts(value.get("statuses")):
        if raw.get("id") and raw.get("status"):
            batch.statuses.append(_status(phone_number_id, raw))
    batch.errors.extend(_dicts(value.get("errors")))


def _message(
    phone_number_id: str, raw: dict[str, Any], profiles: dict[str, str]
) -> ParsedMessage | None:
    wamid = _str(raw.get("id"), 255)
    wa_id = _str(raw.get("from"), 32)
    user_id = _str(raw.get("from_user_id"), 128)
    if not wamid or not (wa_id or user_id):
        return None
    sender = Sender(wa_id=wa_id, user_id=user_id, name=profiles.get(user_id or wa_id, ""))
    kind = _str(raw.get("type"), 32) or "unsupported"
    body, metadata, media = _content(kind, raw)
    metadata = {"type": kind, **metadata}
    context = raw.get("context") if isinstance(raw.get("context"), dict) else {}
    if context.get("forwarded") or context.get("frequently_forwarded"):
        metadata["forwarded"] = True
        metadata["frequently_forwarded"] = bool(context.get("frequently_forwarded"))
    if context.get("referred_product"):
        metadata["referred_product"] = context["referred_product"]
    reaction = raw.get("reaction") if kind == "reaction" else None
    return ParsedMessage(
        phone_number_id=phone_number_id,
        wamid=wamid,
        sender=sender,
        type=kind,
        body=body,
        sent_at=_timestamp(raw.get("timestamp")),
        metadata=metadata,
        reply_to=_str(context.get("id"), 255),
        media=media,
        reaction_to=_str((reaction or {}).get("message_id"), 255),
        emoji=_str((reaction or {}).get("emoji"), 32),
    )


def _content(kind: str, raw: dict[str, Any]) -> tuple[str, dict[str, Any], Media | None]:
    """Body text, metadata and media of one message, by type."""
    part = raw.get(kind)
    data: dict[str, Any] = part if isinstance(part, dict) else {}
    if kind == "text":
        return _str(data.get("body")), {}, None
    if kind in MEDIA_TYPES and data.get("id"):
        media = Media(
            media_id=_str(data.get("id"), 255),
            mime_type=_str(data.get("mime_type"), 128),
            sha256=_str(data.get("sha256"), 128),
            filename=_str(data.get("filename"), 255),
        )
        extra = {"voice": True} if data.get("voice") else {}
        if data.get("animated"):
            extra["animated"] = True
        return _str(data.get("caption")), {"media_id": media.media_id, **extra}, media
    if kind == "location":
        return _location(data)
    if kind == "contacts":
        return _contacts(raw.get("contacts"))
    if kind == "interactive":
        return _interactive(data)
    if kind == "button":
        return _str(data.get("text")), {"payload": _str(data.get("payload"), 512)}, None
    if kind == "reaction":
        return _str(data.get("emoji"), 32), {}, None
    errors = _dicts(raw.get("errors"))
    first = errors[0] if errors else {}
    error = {
        "code": _str(first.get("code"), 32),
        "title": _str(first.get("title") or first.get("message"), 500),
        "details": _str((first.get("error_data") or {}).get("details"), 500),
    }
    return "", {"unsupported_type": kind, "error": error}, None


def _location(data: dict[str, Any]) -> tuple[str, dict[str, Any], None]:
    location = {
        key: data[key]
        for key in ("latitude", "longitude", "name", "address", "url")
        if key in data and data[key] is not None
    }
    label = ", ".join(_str(data.get(k), 300) for k in ("name", "address") if data.get(k))
    where = f"{data.get('latitude')}, {data.get('longitude')}"
    return (f"{label} ({where})" if label else where), {"location": location}, None


def _contacts(value: Any) -> tuple[str, dict[str, Any], None]:
    cards = _dicts(value)
    lines = []
    for card in cards:
        name = _str((card.get("name") or {}).get("formatted_name"), 200)
        phones = [_str(p.get("phone"), 40) for p in _dicts(card.get("phones"))]
        lines.append(" ".join([name, *phones]).strip())
    return "\n".join(lines), {"contacts": cards}, None


def _interactive(data: dict[str, Any]) -> tuple[str, dict[str, Any], None]:
    kind = _str(data.get("type"), 32)
    reply = data.get(kind) if isinstance(data.get(kind), dict) else {}
    if kind == "nfm_reply":
        return _str(reply.get("body")), {"interactive": kind, "response": reply}, None
    metadata = {
        "interactive": kind,
        "reply_id": _str(reply.get("id"), 256),
        "title": _str(reply.get("title"), 256),
    }
    if reply.get("description"):
        metadata["description"] = _str(reply.get("description"), 256)
    return metadata["title"], metadata, None


def _status(phone_number_id: str, raw: dict[str, Any]) -> ParsedStatus:
    errors = _dicts(raw.get("errors"))
    first = errors[0] if errors else {}
    details = _str((first.get("error_data") or {}).get("details"), 300)
    title = _str(first.get("title") or first.get("message"), 200)
    return ParsedStatus(
        phone_number_id=phone_number_id,
        wamid=_str(raw.get("id"), 255),
        status=_str(raw.get("status"), 16),
        sent_at=_timestamp(raw.get("timestamp")),
        error_code=_str(first.get("code"), 32),
        error_text=f"{title}: {details}" if details and details != title else title,
        callback_data=_str(raw.get("biz_opaque_callback_data"), 512),
    )


def _template(value: dict[str, Any]) -> TemplateUpdate:
    return TemplateUpdate(
        name=_str(value.get("message_template_name"), 512),
        language=_str(value.get("message_template_language"), 16),
        status=_str(value.get("event"), 16).upper(),
        provider_id=_str(value.get("message_template_id"), 64),
        reason=_str(value.get("reason"), 500) if value.get("reason") not in (None, "NONE") else "",
    )
