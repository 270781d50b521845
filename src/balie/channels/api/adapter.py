"""The API / web-form channel: a website's back end posts citizens' messages, signed.

Inbound ``POST /webhooks/api/<key>/`` with ``X-Balie-Signature: sha256=<hmac of the body>``::

    {"id": "form-123", "sender": {"name": "…", "email": "…", "phone": "+31…"},
     "text": "…", "topic": "paspoort", "language": "nl", "subject": "…"}

Outbound replies are POSTed, signed the same way, to the channel's ``callback_url``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from balie.channels.base import (
    ChannelAdapter,
    SendError,
    SendResult,
    WebhookRejected,
    parse_json,
    read_body,
    sign,
    verify_signature,
)
from balie.channels.models import Channel
from balie.conversations.actions import InboundMessage, do_receive_message
from balie.conversations.models import Message
from balie.parties.actions import AddressClaim, SenderIdentity
from balie.parties.models import AddressKind

SIGNATURE_HEADER = "X-Balie-Signature"
MAX_TEXT = 10_000


def _field(payload: dict[str, Any], name: str, *, required: bool, limit: int) -> str:
    value = payload.get(name, "")
    if not isinstance(value, str):
        raise WebhookRejected(400, "invalid_field", f"'{name}' must be a string")
    if required and not value.strip():
        raise WebhookRejected(400, "missing_field", f"'{name}' is required")
    if len(value) > limit:
        raise WebhookRejected(400, "invalid_field", f"'{name}' is longer than {limit}")
    return value.strip()


def parse_form(payload: Any) -> tuple[SenderIdentity, InboundMessage]:
    """Validate an API-channel payload into a sender and a message (400 on any defect)."""
    if not isinstance(payload, dict):
        raise WebhookRejected(400, "invalid_payload", "the body must be a JSON object")
    sender = payload.get("sender")
    if not isinstance(sender, dict):
        raise WebhookRejected(400, "missing_field", "'sender' is required")
    email = _field(sender, "email", required=False, limit=320).lower()
    phone = _field(sender, "phone", required=False, limit=32)
    if not email and not phone:
        raise WebhookRejected(400, "missing_field", "the sender needs an email or a phone")
    claims = [AddressClaim(AddressKind.EMAIL, email)] if email else []
    claims += [AddressClaim(AddressKind.PHONE, phone)] if phone else []
    identity = SenderIdentity(
        primary=claims[0],
        name=_field(sender, "name", required=False, limit=200),
        extra=tuple(claims[1:]),
    )
    inbound = InboundMessage(
        provider_id=_field(payload, "id", required=True, limit=255),
        body=_field(payload, "text", required=True, limit=MAX_TEXT),
        topic_code=_field(payload, "topic", required=False, limit=50),
        language=_field(payload, "language", required=False, limit=8),
        subject=_field(payload, "subject", required=False, limit=200),
    )
    return identity, inbound


class ApiAdapter(ChannelAdapter):
    """Adapter for the signed API / web-form channel."""

    kind = "api"

    def handle_webhook(self, request: HttpRequest, channel: Channel) -> HttpResponse:
        if request.method != "POST":
            raise WebhookRejected(405, "method_not_allowed", "use POST")
        body = read_body(request)
        verify_signature(
            channel.secrets.get("signing_secret", ""), body, request.headers.get(SIGNATURE_HEADER)
        )
        sender, inbound = parse_form(parse_json(body))
        with transaction.atomic():
            result = do_receive_message(channel, sender, inbound)
        return JsonResponse(
            {
                "message": str(result.message.uuid),
                "conversation": str(result.message.conversation.uuid),
                "duplicate": not result.created,
            },
            status=202 if result.created else 200,
        )

    def send(self, message: Message) -> SendResult:
        channel = message.channel
        url = channel.settings.get("callback_url", "")
        if not url:
            raise SendError("no_callback", "the channel has no callback_url", retryable=False)
        conversation = message.conversation
        address = conversation.address
        payload = {
            "id": str(message.uuid),
            "conversation": str(conversation.uuid),
            "to": {"kind": address.kind, "value": address.value} if address else None,
            "text": message.body,
        }
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(channel.secrets.get("signing_secret", ""), body),
            "Idempotency-Key": str(message.uuid),
        }
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=10)
        except httpx.HTTPError as exc:
            raise SendError("unreachable", type(exc).__name__, retryable=True) from exc
        if response.status_code >= 400:
            raise SendError(
                str(response.status_code),
                response.text[:200],
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        try:
            provider_id = str(response.json().get("id") or message.uuid)
        except ValueError:
            provider_id = str(message.uuid)
        return SendResult(provider_id=provider_id)
