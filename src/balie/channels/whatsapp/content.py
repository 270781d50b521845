"""What one inbound WhatsApp message says, by its type (pure; no database).

Each type has a reader that turns its part of the message into the body text an agent sees and
the metadata Balie keeps; a part without the shape of its declared type is :class:`Unreadable`,
and the message is then kept as ``unsupported`` with its raw content (:func:`unsupported`).
What citizens wrote is never cut; only identifiers are capped for their columns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from balie.channels.whatsapp.nodes import as_ident, as_object, as_text, objects

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
#: keys of a message that are its envelope, not its content
_ENVELOPE = {"from", "from_user_id", "id", "timestamp", "type", "context"}
_PHONE_DIGITS = re.compile(r"\d{6,20}")


class Unreadable(ValueError):
    """The content of a message does not have the shape of its declared type."""


@dataclass(frozen=True)
class Media:
    """A media object to fetch by id through the Graph API (never by a CDN URL)."""

    media_id: str
    mime_type: str
    sha256: str = ""
    filename: str = ""


def read_content(kind: str, raw: dict[str, Any]) -> tuple[str, dict[str, Any], Media | None]:
    """Body text, metadata and media of one message, by type; Unreadable if malformed."""
    if kind == "contacts":
        return _contacts(raw.get("contacts"))
    if kind == "unsupported":
        return "", unsupported(raw, kind), None
    part = raw.get(kind)
    if not isinstance(part, dict):
        if kind in _READERS or kind in MEDIA_TYPES:
            raise Unreadable(kind)
        return "", unsupported(raw, kind), None  # a type we do not know: kept whole
    if kind in MEDIA_TYPES:
        return _media(part)
    reader = _READERS.get(kind)
    if reader is None:
        return "", unsupported(raw, kind), None
    body, metadata = reader(part)
    return body, metadata, None


def _required(part: dict[str, Any], key: str) -> str:
    value = as_text(part.get(key))
    if not value:
        raise Unreadable(key)
    return value


def _media(part: dict[str, Any]) -> tuple[str, dict[str, Any], Media]:
    media = Media(
        media_id=as_ident(_required(part, "id")),
        mime_type=as_ident(part.get("mime_type"), 128),
        sha256=as_ident(part.get("sha256"), 128),
        filename=as_text(part.get("filename")),
    )
    extra: dict[str, Any] = {"voice": True} if part.get("voice") is True else {}
    if part.get("animated") is True:
        extra["animated"] = True
    return as_text(part.get("caption")), {"media_id": media.media_id, **extra}, media


def _plain(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return _required(part, "body"), {}


def _location(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    latitude, longitude = _coordinate(part.get("latitude")), _coordinate(part.get("longitude"))
    if latitude is None or longitude is None:
        raise Unreadable("coordinates")
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    for key in ("name", "address", "url"):
        if as_text(part.get(key)):
            location[key] = as_text(part.get(key))
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
    cards = objects(value)
    if not cards:
        raise Unreadable("contacts")
    lines = []
    for card in cards:
        name = as_text(as_object(card.get("name")).get("formatted_name"))
        phones = [as_text(p.get("phone")) for p in objects(card.get("phones"))]
        lines.append(" ".join([name, *phones]).strip())
    return "\n".join(lines), {"contacts": cards}, None


def _interactive(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = as_ident(part.get("type"), 32)
    reply = part.get(kind) if kind else None
    if not isinstance(reply, dict):
        raise Unreadable("interactive")
    if kind == "nfm_reply":
        return as_text(reply.get("body")), {"interactive": kind, "response": reply}
    metadata = {
        "interactive": kind,
        "reply_id": as_ident(reply.get("id"), 256),
        "title": as_text(reply.get("title")),
    }
    if not (metadata["reply_id"] or metadata["title"]):
        raise Unreadable("interactive reply")
    if as_text(reply.get("description")):
        metadata["description"] = as_text(reply.get("description"))
    return metadata["title"], metadata


def _button(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    text, payload = as_text(part.get("text")), as_text(part.get("payload"))
    if not (text or payload):
        raise Unreadable("button")
    return text, {"payload": payload}


def _reaction(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    target = as_ident(_required(part, "message_id"))
    return as_ident(part.get("emoji"), 64), {"reaction_to": target}


def _system(part: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    metadata: dict[str, Any] = {"system": part}
    if number := new_number(part):
        metadata["new_wa_id"] = number
    return as_text(part.get("body")), metadata


def new_number(system: dict[str, Any]) -> str:
    """The new phone number (digits) a "changed number" system message announces, or ''."""
    for key in ("wa_id", "new_wa_id"):
        number = as_ident(system.get(key), 32).lstrip("+")
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


def unsupported(raw: dict[str, Any], declared: str) -> dict[str, Any]:
    """Metadata of a message Balie cannot show: its own type, Meta's error, the raw content."""
    errors = objects(raw.get("errors"))
    first = errors[0] if errors else {}
    own_type = as_ident(as_object(raw.get("unsupported")).get("type"), 64)
    content = {k: v for k, v in raw.items() if k not in _ENVELOPE}
    return {
        "unsupported_type": own_type or declared or "unknown",
        "error": {
            "code": as_ident(first.get("code"), 32),
            "title": as_text(first.get("title") or first.get("message")),
            "details": as_text(as_object(first.get("error_data")).get("details")),
        },
        "raw": content,
    }
