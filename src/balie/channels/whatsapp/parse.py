"""Turning a WhatsApp Cloud API webhook payload into plain values (pure; no database).

One POST can hold several entries, each several changes, each several messages, statuses and
template updates. The parser is defensive: any node may have the wrong shape (an object where
a list belongs, a string, a number, null), and none makes it raise. A message whose content
cannot be understood is kept as an ``unsupported`` message with its raw part, never dropped, so
an agent can still see that the citizen wrote; a part that is not a message at all (no id, no
sender, an unknown change) is listed in :attr:`ParsedBatch.skipped` for the log, while the raw
event stays stored.

What citizens wrote is never cut: bodies, captions, names and addresses keep their full length.
Only identifiers (ids, MIME types, codes) are capped, as a safety measure for their columns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
#: keys of a message that are its envelope, not its content
_ENVELOPE = {"from", "from_user_id", "id", "timestamp", "type", "context"}
_PHONE_DIGITS = re.compile(r"\d{6,20}")


class PayloadError(ValueError):
    """The JSON is valid but is not a WhatsApp Business Account webhook."""


class _Unreadable(ValueError):
    """The content of a message does not have the shape of its declared type."""


@dataclass(frozen=True)
class Sender:
    """Who wrote: wa_id (phone digits, may be empty with usernames), BSUID, profile name and
    WhatsApp username."""

    wa_id: str
    user_id: str = ""
    name: str = ""
    username: str = ""


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
    #: for a "changed number" system message: the citizen's new number (digits)
    new_wa_id: str = ""


@dataclass(frozen=True)
class ParsedStatus:
    """A delivery report for one of our outbound messages; ``sent_at`` is the report's time."""

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


@dataclass(frozen=True)
class Skipped:
    """A part of the payload that is not a message, report or template update we can use."""

    reason: str
    where: str


@dataclass
class ParsedBatch:
    """Everything one webhook POST carried."""

    messages: list[ParsedMessage] = field(default_factory=list)
    statuses: list[ParsedStatus] = field(default_factory=list)
    templates: list[TemplateUpdate] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def check_envelope(payload: Any) -> None:
    """Raise PayloadError unless ``payload`` has the WhatsApp webhook envelope."""
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    if payload.get("object") != "whatsapp_business_account":
        raise PayloadError("'object' must be 'whatsapp_business_account'")
    entries = payload.get("entry")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise PayloadError("'entry' must be a list of objects")


def parse_webhook(payload: Any) -> ParsedBatch:
    """Flatten a payload into messages and reports; never raises, whatever its shape."""
    batch = ParsedBatch()
    entries = _obj(payload).get("entry")
    if not isinstance(entries, list):
        batch.skipped.append(Skipped("entry is not a list", "entry"))
        return batch
    for n, entry in enumerate(entries):
        changes = _obj(entry).get("changes")
        if not isinstance(changes, list):
            batch.skipped.append(Skipped("changes is not a list", f"entry[{n}]"))
            continue
        for m, change in enumerate(changes):
            where = f"entry[{n}].changes[{m}]"
            value, kind = _obj(change).get("value"), _obj(change).get("field")
            if not isinstance(value, dict):
                batch.skipped.append(Skipped("value is not an object", where))
            elif kind == "message_template_status_update":
                _template(value, batch, where)
            elif kind == "messages":
                _messages_change(value, batch, where)
            else:
                batch.skipped.append(Skipped(f"field {_ident(kind, 64)!r} is not handled", where))
    return batch


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A text value in full: strings as they are, numbers written out, anything else ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value) if math.isfinite(value) else ""
    return ""


def _ident(value: Any, limit: int = 255) -> str:
    """An identifier (id, MIME type, code): text, capped for its column."""
    return _text(value)[:limit]


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _messages_change(value: dict[str, Any], batch: ParsedBatch, where: str) -> None:
    phone_number_id = _ident(_obj(value.get("metadata")).get("phone_number_id"), 64)
    profiles: dict[str, tuple[str, str]] = {}
    for contact in _dicts(value.get("contacts")):
        profile = _obj(contact.get("profile"))
        about = (_text(profile.get("name")), _ident(profile.get("username"), 128))
        for key in (_ident(contact.get("wa_id"), 32), _ident(contact.get("user_id"), 128)):
            if key:
                profiles[key] = about
    for key in ("messages", "statuses", "errors"):
        if value.get(key) is not None and not isinstance(value.get(key), list):
            batch.skipped.append(Skipped(f"{key} is not a list", where))
    for n, raw in enumerate(_list(value.get("messages"))):
        message = _message(phone_number_id, raw, profiles) if isinstance(raw, dict) else None
        if message is None:
            batch.skipped.append(Skipped("message without id or sender", f"{where}.messages[{n}]"))
        else:
            batch.messages.append(message)
    for n, raw in enumerate(_list(value.get("statuses"))):
        status = _status(phone_number_id, raw) if isinstance(raw, dict) else None
        if status is None:
            batch.skipped.append(Skipped("status without id", f"{where}.statuses[{n}]"))
        else:
            batch.statuses.append(status)
    batch.errors.extend(_dicts(value.get("errors")))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _message(
    phone_number_id: str, raw: dict[str, Any], profiles: dict[str, tuple[str, str]]
) -> ParsedMessage | None:
    wamid = _ident(raw.get("id"))
    wa_id = _ident(raw.get("from"), 32)
    user_id = _ident(raw.get("from_user_id"), 128)
    if not wamid or not (wa_id or user_id):
        return None
    name, username = profiles.get(user_id, profiles.get(wa_id, ("", "")))
    sender = Sender(wa_id=wa_id, user_id=user_id, name=name, username=username)
    declared = raw.get("type")
    kind = declared if isinstance(declared, str) and 0 < len(declared) <= 64 else "unsupported"
    media: Media | None = None
    try:
        body, metadata, media = _content(kind, raw)
    except _Unreadable:
        kind, body, metadata = "unsupported", "", _unsupported(raw, _ident(declared, 64))
    metadata = {"type": kind, **metadata}
    context = _obj(raw.get("context"))
    if context.get("forwarded") or context.get("frequently_forwarded"):
        metadata["forwarded"] = True
        metadata["frequently_forwarded"] = bool(context.get("frequently_forwarded"))
    if context.get("referred_product"):
        metadata["referred_product"] = context["referred_product"]
    reaction = _obj(raw.get("reaction")) if kind == "reaction" else {}
    system = _obj(raw.get("system")) if kind == "system" else {}
    return ParsedMessage(
        phone_number_id=phone_number_id,
        wamid=wamid,
        sender=sender,
        type=kind,
        body=body,
        sent_at=_timestamp(raw.get("timestamp")),
        metadata=metadata,
        reply_to=_ident(context.get("id")),
        media=media,
        reaction_to=_ident(reaction.get("message_id")),
        emoji=_ident(reaction.get("emoji"), 64),
        new_wa_id=_new_number(system),
    )


def _content(kind: str, raw: dict[str, Any]) -> tuple[str, dict[str, Any], Media | None]:
    """Body text, metadata and media of one message, by type; _Unreadable if malformed."""
    if kind == "contacts":
        return _contacts(raw.get("contacts"))
    if kind == "unsupported":
        return "", _unsupported(raw, kind), None
    part = raw.get(kind)
    if not isinstance(part, dict):
        if kind in _READERS or kind in MEDIA_TYPES:
            raise _Unreadable(kind)
        return "", _unsupported(raw, kind), None  # a type we do not know: kept whole
    if kind in MEDIA_TYPES:
        return _media(part)
    reader = _READERS.get(kind)
    if reader is None:
        return "", _unsupported(raw, kind), None
    body, metadata = reader(part)
    return body, metadata, None


def _required(part: dict[str, Any], key: str) -> str:
    value = _text(part.get(key))
    if not value:
        raise _Unreadable(key)
    return value


def _media(part: dict[str, Any]) -> tuple[str, dict[str, Any], Media]:
    media = Media(
        media_id=_ident(_required(part, "id")),
        mime_type=_ident(part.get("mime_type"), 128),
        sha256=_ident(part.get("sha256"), 128),
        filename=_text(part.get("filename")),
    )
    extra: dict[str, Any] = {"voice": True} if part.get("voice") is True else {}
    if part.get("animated") is True:
        extra["animated"] = True
    return _text(part.get("caption")), {"media_id": media.media_id, **extra}, media


def _plain(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return _required(part, "body"), {}


def _location(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    latitude, longitude = _coordinate(part.get("latitude")), _coordinate(part.get("longitude"))
    if latitude is None or longitude is None:
        raise _Unreadable("coordinates")
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    for key in ("name", "address", "url"):
        if _text(part.get(key)):
            location[key] = _text(part.get(key))
    label = ", ".join(location[k] for k in ("name", "address") if k in location)
    where = f"{latitude}, {longitude}"
    return (f"{label} ({where})" if label else where), {"location": location}


def _coordinate(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _contacts(value: Any) -> tuple[str, dict[str, Any], None]:
    cards = _dicts(value)
    if not cards:
        raise _Unreadable("contacts")
    lines = []
    for card in cards:
        name = _text(_obj(card.get("name")).get("formatted_name"))
        phones = [_text(p.get("phone")) for p in _dicts(card.get("phones"))]
        lines.append(" ".join([name, *phones]).strip())
    return "\n".join(lines), {"contacts": cards}, None


def _interactive(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = _ident(part.get("type"), 32)
    reply = part.get(kind) if kind else None
    if not isinstance(reply, dict):
        raise _Unreadable("interactive")
    if kind == "nfm_reply":
        return _text(reply.get("body")), {"interactive": kind, "response": reply}
    metadata = {
        "interactive": kind,
        "reply_id": _ident(reply.get("id"), 256),
        "title": _text(reply.get("title")),
    }
    if not (metadata["reply_id"] or metadata["title"]):
        raise _Unreadable("interactive reply")
    if _text(reply.get("description")):
        metadata["description"] = _text(reply.get("description"))
    return metadata["title"], metadata


def _button(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    text, payload = _text(part.get("text")), _text(part.get("payload"))
    if not (text or payload):
        raise _Unreadable("button")
    return text, {"payload": payload}


def _reaction(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    target = _ident(_required(part, "message_id"))
    return _ident(part.get("emoji"), 64), {"reaction_to": target}


def _system(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    metadata: dict[str, Any] = {"system": part}
    if number := _new_number(part):
        metadata["new_wa_id"] = number
    return _text(part.get("body")), metadata


def _new_number(system: dict[str, Any]) -> str:
    """The new phone number (digits) a "changed number" system message announces, or ''."""
    for key in ("wa_id", "new_wa_id"):
        number = _ident(system.get(key), 32).lstrip("+")
        if _PHONE_DIGITS.fullmatch(number):
            return number
    return ""


_READERS = {
    "text": _plain,
    "location": _location,
    "interactive": _interactive,
    "button": _button,
    "reaction": _reaction,
    "system": _system,
}


def _unsupported(raw: dict[str, Any], declared: str) -> dict[str, Any]:
    """Metadata of a message Balie cannot show: its own type, Meta's error, the raw content."""
    errors = _dicts(raw.get("errors"))
    first = errors[0] if errors else {}
    own_type = _ident(_obj(raw.get("unsupported")).get("type"), 64)
    content = {k: v for k, v in raw.items() if k not in _ENVELOPE}
    return {
        "unsupported_type": own_type or declared or "unknown",
        "error": {
            "code": _ident(first.get("code"), 32),
            "title": _text(first.get("title") or first.get("message")),
            "details": _text(_obj(first.get("error_data")).get("details")),
        },
        "raw": content,
    }


def _status(phone_number_id: str, raw: dict[str, Any]) -> ParsedStatus | None:
    wamid, state = _ident(raw.get("id")), _ident(raw.get("status"), 16)
    if not wamid or not state:
        return None
    errors = _dicts(raw.get("errors"))
    first = errors[0] if errors else {}
    details = _text(_obj(first.get("error_data")).get("details"))
    title = _text(first.get("title") or first.get("message"))
    text = f"{title}: {details}" if details and details != title else title
    return ParsedStatus(
        phone_number_id=phone_number_id,
        wamid=wamid,
        status=state,
        sent_at=_timestamp(raw.get("timestamp")),
        error_code=_ident(first.get("code"), 32),
        error_text=text[:500],
        callback_data=_ident(raw.get("biz_opaque_callback_data"), 512),
    )


def _template(value: dict[str, Any], batch: ParsedBatch, where: str) -> None:
    name = _ident(value.get("message_template_name"), 512)
    language = _ident(value.get("message_template_language"), 16)
    if not name or not language:
        batch.skipped.append(Skipped("template update without name or language", where))
        return
    reason = _text(value.get("reason"))
    batch.templates.append(
        TemplateUpdate(
            name=name,
            language=language,
            status=_ident(value.get("event"), 16).upper(),
            provider_id=_ident(value.get("message_template_id"), 64),
            reason=reason[:500] if reason != "NONE" else "",
        )
    )
