"""Webhook payloads in the shape Meta's Cloud API sends them (messages, statuses, templates).

Used by the simulator's citizens, the tests and the benchmark; the shapes follow captured
webhooks (see ``tests/whatsapp/fixtures``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import uuid
from typing import Any

from balie.channels.base import sign

WABA_ID = "102290129340398"
_counter = itertools.count(1)


def new_wamid() -> str:
    """A fresh message id in Meta's style."""
    return f"wamid.HBgL{uuid.uuid4().hex.upper()}{next(_counter):06d}"


def envelope(
    phone_number_id: str, display_number: str, field: str, value: dict[str, Any]
) -> dict[str, Any]:
    """Wrap one change value in the ``whatsapp_business_account`` envelope."""
    if field == "messages":
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": display_number,
                "phone_number_id": phone_number_id,
            },
            **value,
        }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": field}]}],
    }


def message_value(
    wa_id: str, name: str, messages: list[dict[str, Any]], user_id: str = ""
) -> dict[str, Any]:
    """The ``value`` of a messages change: the contact and the messages."""
    contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": wa_id}
    if user_id:
        contact["user_id"] = user_id
    return {"contacts": [contact], "messages": messages}


def message(
    wa_id: str,
    kind: str,
    content: Any,
    *,
    wamid: str = "",
    context: dict[str, Any] | None = None,
    user_id: str = "",
    timestamp: int | None = None,
) -> dict[str, Any]:
    """One inbound message of ``kind`` with its type-specific ``content``."""
    raw: dict[str, Any] = {
        "from": wa_id,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "type": kind,
    }
    if user_id:
        raw["from_user_id"] = user_id
    if context:
        raw["context"] = context
    if kind == "contacts":
        raw["contacts"] = content
    elif kind == "unsupported":
        raw["errors"] = [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ]
    else:
        raw[kind] = content
    return raw


def status(
    wamid: str,
    recipient: str,
    state: str,
    *,
    error: tuple[int, str, str] | None = None,
    callback_data: str = "",
    timestamp: int | None = None,
) -> dict[str, Any]:
    """One delivery report; ``error`` is (code, title, details) for ``failed``."""
    raw: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "recipient_id": recipient,
    }
    if state in {"sent", "delivered"}:
        raw["conversation"] = {
            "id": uuid.uuid4().hex,
            "origin": {"type": "service"},
        }
        raw["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
    if error:
        code, title, details = error
        raw["errors"] = [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": details},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    if callback_data:
        raw["biz_opaque_callback_data"] = callback_data
    return raw


def template_update(name: str, language: str, event: str, reason: str = "NONE") -> dict[str, Any]:
    """The value of a ``message_template_status_update`` change."""
    return {
        "event": event,
        "message_template_id": int(hashlib.sha1(name.encode()).hexdigest()[:12], 16),  # noqa: S324
        "message_template_name": name,
        "message_template_language": language,
        "reason": reason,
    }


def encode(payload: dict[str, Any]) -> bytes:
    """Serialise like Meta: escaped unicode, escaped slashes, compact."""
    return (
        json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()
    )


def signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value for ``body``."""
    return sign(app_secret, body)
