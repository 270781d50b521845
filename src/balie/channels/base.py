"""The protocol every channel adapter implements, and the shared webhook guards.

An adapter is the edge between a provider and Balie's actions: it verifies and parses inbound
requests, then calls ``do_receive_message``; it sends outbound messages the outbox hands it.
The core never imports a provider SDK.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from balie.core import safejson

if TYPE_CHECKING:
    from balie.channels.models import Channel
    from balie.conversations.models import Conversation, Message


@dataclass(frozen=True)
class SendResult:
    """What the provider said about an outbound message it accepted."""

    provider_id: str


class SendError(Exception):
    """The provider refused or could not be reached; ``retryable`` says whether to try again."""

    def __init__(self, code: str, text: str, *, retryable: bool) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text
        self.retryable = retryable


class WebhookRejected(Exception):
    """An inbound request is refused before anything is stored."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def payload(self) -> dict[str, Any]:
        """The error answer's JSON body."""
        return {"error": {"code": self.code, "message": self.message}}

    def response(self) -> JsonResponse:
        """The precise error answer."""
        return JsonResponse(self.payload(), status=self.status)


class ChannelAdapter:
    """Base adapter: override ``handle_webhook`` and ``send``; the rest has sane defaults."""

    kind = ""
    #: capabilities the workspace and router may ask about
    has_reply_window = False
    #: the provider deduplicates sends on our idempotency key, so an attempt whose outcome a
    #: crash left unknown may be sent again (the outbox fails it as ``outcome_unknown`` otherwise)
    idempotent_sends = False

    def handle_webhook(self, request: HttpRequest, channel: Channel) -> HttpResponse:
        """Verify, parse and store an inbound request; answer the provider."""
        raise WebhookRejected(405, "no_webhook", f"{self.kind} channels take no webhooks")

    def send(self, message: Message) -> SendResult:
        """Deliver an outbound message; raise SendError on refusal."""
        raise SendError("not_supported", f"{self.kind} cannot send", retryable=False)

    def check_reply_allowed(self, conversation: Conversation, now: datetime) -> None:
        """Raise WorkflowViolation if a free-form reply may not be sent now (e.g. a window)."""


def body_limit() -> int:
    """The largest webhook body accepted, in bytes (``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def check_declared(
    content_length: str | None, content_type: str | None, *, expected: str = "application/json"
) -> None:
    """The checks before reading a body: declared size (413), then media type (415).

    ``content_type`` is the header's value; parameters such as ``charset`` are ignored.
    Shared by the Django view and the lean ASGI ingest, so both answer alike.
    """
    limit = body_limit()
    declared = content_length or "0"
    if not declared.isdigit() or int(declared) > limit:
        raise WebhookRejected(413, "body_too_large", f"the body exceeds {limit} bytes")
    received = base_type(content_type or "")
    if received != expected:
        raise WebhookRejected(
            415, "unsupported_media_type", f"expected {expected}, got {received or 'none'}"
        )


def base_type(content_type: str) -> str:
    """``audio/ogg; codecs=opus`` → ``audio/ogg``."""
    return content_type.split(";", maxsplit=1)[0].strip().lower()


def check_received(body: bytes) -> bytes:
    """The size check on the bytes actually read (413): a declared length can lie."""
    if len(body) > body_limit():
        raise WebhookRejected(413, "body_too_large", f"the body exceeds {body_limit()} bytes")
    return body


def read_body(request: HttpRequest, *, content_type: str = "application/json") -> bytes:
    """The raw body after the size and content-type checks (413, 415)."""
    check_declared(
        request.META.get("CONTENT_LENGTH"), request.META.get("CONTENT_TYPE"), expected=content_type
    )
    return check_received(request.body)


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>`` HMAC of ``body`` keyed with ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def same_secret(expected: str, given: str) -> bool:
    """Constant-time comparison of a secret with what a request sent, as bytes: header values
    may hold any character, which ``hmac.compare_digest`` refuses in ``str``."""
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogateescape"), given.encode("utf-8", "surrogateescape")
    )


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """Check an ``sha256=<hex>`` HMAC over the raw bytes: 401 when missing, 403 when wrong."""
    if not header:
        raise WebhookRejected(401, "signature_missing", "the request is not signed")
    if not secret or not same_secret(sign(secret, body), header.strip()):
        raise WebhookRejected(403, "signature_invalid", "the signature does not match")


def parse_json(body: bytes) -> Any:
    """Parse JSON through :func:`balie.core.safejson.loads` (strings cleaned) or raise a 400."""
    try:
        return safejson.loads(body)
    except safejson.MalformedJSON as exc:
        raise WebhookRejected(400, "malformed_json", f"the body is not valid JSON: {exc}") from exc
