"""Turning a WhatsApp Cloud API webhook payload into plain values (pure; no database).

One POST can hold several entries, each several changes, each several messages, statuses and
template updates; what each message says is read by type in :mod:`.content`, each node
through the tolerant readers of :mod:`.nodes`. The parser is defensive: any node may have the
wrong shape (an object where a list belongs, a string, a number, null), and none makes it
raise. A message whose content cannot be understood is kept as an ``unsupported`` message with
its raw part, never dropped, so an agent can still see that the citizen wrote; a part that is
not a message at all (no id, no sender, an unknown change) is listed in
:attr:`ParsedBatch.skipped` for the log, while the raw
event stays stored.

What citizens wrote is never cut: bodies, captions, names and addresses keep their full length.
Only identifiers (ids, MIME types, codes) are capped, as a safety measure for their columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from balie.channels.whatsapp.content import Media, Unreadable, new_number, read_content, unsupported
from balie.channels.whatsapp.nodes import as_ident, as_list, as_object, as_text, as_time, objects


class PayloadError(ValueError):
    """The JSON is valid but is not a WhatsApp Business Account webhook."""


@dataclass(frozen=True)
class Sender:
    """Who wrote: wa_id (phone digits, may be empty with usernames), BSUID, profile name and
    WhatsApp username."""

    wa_id: str
    user_id: str = ""
    name: str = ""
    username: str = ""


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
    entries = as_object(payload).get("entry")
    if not isinstance(entries, list):
        batch.skipped.append(Skipped("entry is not a list", "entry"))
        return batch
    for n, entry in enumerate(entries):
        changes = as_object(entry).get("changes")
        if not isinstance(changes, list):
            batch.skipped.append(Skipped("changes is not a list", f"entry[{n}]"))
            continue
        for m, change in enumerate(changes):
            where = f"entry[{n}].changes[{m}]"
            value, kind = as_object(change).get("value"), as_object(change).get("field")
            if not isinstance(value, dict):
                batch.skipped.append(Skipped("value is not an object", where))
            elif kind == "message_template_status_update":
                _template(value, batch, where)
            elif kind == "messages":
                _messages_change(value, batch, where)
            else:
                batch.skipped.append(Skipped(f"field {as_ident(kind, 64)!r} is not handled", where))
    return batch


def _messages_change(value: dict[str, Any], batch: ParsedBatch, where: str) -> None:
    phone_number_id = as_ident(as_object(value.get("metadata")).get("phone_number_id"), 64)
    profiles: dict[str, tuple[str, str]] = {}
    for contact in objects(value.get("contacts")):
        profile = as_object(contact.get("profile"))
        about = (as_text(profile.get("name")), as_ident(profile.get("username"), 128))
        for key in (as_ident(contact.get("wa_id"), 32), as_ident(contact.get("user_id"), 128)):
            if key:
                profiles[key] = about
    for key in ("messages", "statuses", "errors"):
        if value.get(key) is not None and not isinstance(value.get(key), list):
            batch.skipped.append(Skipped(f"{key} is not a list", where))
    for n, raw in enumerate(as_list(value.get("messages"))):
        message = _message(phone_number_id, raw, profiles) if isinstance(raw, dict) else None
        if message is None:
            batch.skipped.append(Skipped("message without id or sender", f"{where}.messages[{n}]"))
        else:
            batch.messages.append(message)
    for n, raw in enumerate(as_list(value.get("statuses"))):
        status = _status(phone_number_id, raw) if isinstance(raw, dict) else None
        if status is None:
            batch.skipped.append(Skipped("status without id", f"{where}.statuses[{n}]"))
        else:
            batch.statuses.append(status)
    batch.errors.extend(objects(value.get("errors")))


def _message(
    phone_number_id: str, raw: dict[str, Any], profiles: dict[str, tuple[str, str]]
) -> ParsedMessage | None:
    wamid = as_ident(raw.get("id"))
    wa_id = as_ident(raw.get("from"), 32)
    user_id = as_ident(raw.get("from_user_id"), 128)
    if not wamid or not (wa_id or user_id):
        return None
    name, username = profiles.get(user_id, profiles.get(wa_id, ("", "")))
    sender = Sender(wa_id=wa_id, user_id=user_id, name=name, username=username)
    declared = raw.get("type")
    kind = declared if isinstance(declared, str) and 0 < len(declared) <= 64 else "unsupported"
    media: Media | None = None
    try:
        body, metadata, media = read_content(kind, raw)
    except Unreadable:
        kind, body, metadata = "unsupported", "", unsupported(raw, as_ident(declared, 64))
    metadata = {"type": kind, **metadata}
    context = as_object(raw.get("context"))
    if context.get("forwarded") or context.get("frequently_forwarded"):
        metadata["forwarded"] = True
        metadata["frequently_forwarded"] = bool(context.get("frequently_forwarded"))
    if context.get("referred_product"):
        metadata["referred_product"] = context["referred_product"]
    reaction = as_object(raw.get("reaction")) if kind == "reaction" else {}
    system = as_object(raw.get("system")) if kind == "system" else {}
    return ParsedMessage(
        phone_number_id=phone_number_id,
        wamid=wamid,
        sender=sender,
        type=kind,
        body=body,
        sent_at=as_time(raw.get("timestamp")),
        metadata=metadata,
        reply_to=as_ident(context.get("id")),
        media=media,
        reaction_to=as_ident(reaction.get("message_id")),
        emoji=as_ident(reaction.get("emoji"), 64),
        new_wa_id=new_number(system),
    )


def _status(phone_number_id: str, raw: dict[str, Any]) -> ParsedStatus | None:
    wamid, state = as_ident(raw.get("id")), as_ident(raw.get("status"), 16)
    if not wamid or not state:
        return None
    errors = objects(raw.get("errors"))
    first = errors[0] if errors else {}
    details = as_text(as_object(first.get("error_data")).get("details"))
    title = as_text(first.get("title") or first.get("message"))
    text = f"{title}: {details}" if details and details != title else title
    return ParsedStatus(
        phone_number_id=phone_number_id,
        wamid=wamid,
        status=state,
        sent_at=as_time(raw.get("timestamp")),
        error_code=as_ident(first.get("code"), 32),
        error_text=text[:500],
        callback_data=as_ident(raw.get("biz_opaque_callback_data"), 512),
    )


def _template(value: dict[str, Any], batch: ParsedBatch, where: str) -> None:
    name = as_ident(value.get("message_template_name"), 512)
    language = as_ident(value.get("message_template_language"), 16)
    if not name or not language:
        batch.skipped.append(Skipped("template update without name or language", where))
        return
    reason = as_text(value.get("reason"))
    batch.templates.append(
        TemplateUpdate(
            name=name,
            language=language,
            status=as_ident(value.get("event"), 16).upper(),
            provider_id=as_ident(value.get("message_template_id"), 64),
            reason=reason[:500] if reason != "NONE" else "",
        )
    )
