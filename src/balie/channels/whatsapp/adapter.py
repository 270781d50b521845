"""The WhatsApp Business (Cloud API) channel adapter.

Channel configuration (``Channel.settings``): ``phone_number_id``, ``graph_base_url`` (default
``https://graph.facebook.com/v21.0``; the simulator's URL in tests and the demo),
``read_receipts`` (bool, default False: municipal policy), ``max_media_bytes``.
Secrets (``Channel.secrets``): ``app_secret`` (webhook signatures), ``verify_token`` (the GET
handshake) and ``access_token`` (Graph API bearer token).

Inbound, the webhook only verifies, stores the raw event and answers 200 after the commit;
:mod:`balie.channels.whatsapp.ingest` applies it after commit.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse

from balie.channels.base import (
    ChannelAdapter,
    SendError,
    SendResult,
    WebhookRejected,
    parse_json,
    read_body,
    verify_signature,
)
from balie.channels.models import Channel
from balie.channels.whatsapp.client import GraphClient
from balie.channels.whatsapp.groupcommit import write_batch
from balie.channels.whatsapp.interactive import graph_interactive
from balie.channels.whatsapp.parse import PayloadError, check_envelope
from balie.channels.whatsapp.window import window_closes_at, window_open
from balie.conversations.actions.attachments import do_set_attachment_media_id
from balie.conversations.models import Attachment, Conversation, Message
from balie.core.errors import WorkflowViolation
from balie.parties.models import AddressKind

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio"}


class WhatsAppAdapter(ChannelAdapter):
    """Adapter for WhatsApp Business numbers on Meta's Cloud API."""

    kind = "whatsapp"
    has_reply_window = True

    # --- inbound -------------------------------------------------------------------------
    def handle_webhook(self, request: HttpRequest, channel: Channel) -> HttpResponse:
        if request.method == "GET":
            return verify_handshake(request, channel)
        if request.method != "POST":
            raise WebhookRejected(405, "method_not_allowed", "use GET or POST")
        body = read_body(request)
        text = checked_text(
            channel.secrets.get("app_secret", ""), body, request.headers.get(SIGNATURE_HEADER)
        )
        write_batch([(channel.pk, text)])  # the lean ingest's write, for one event
        return HttpResponse(status=200)

    # --- outbound ------------------------------------------------------------------------
    def check_reply_allowed(self, conversation: Conversation, now: datetime) -> None:
        """Free-form replies only inside the 24-hour window; say why and name the templates."""
        if window_open(conversation.last_inbound_at, now):
            return
        from balie.channels.whatsapp.templates import usable_templates

        names = ", ".join(t.name for t in usable_templates(conversation.channel)) or "none"
        closed = window_closes_at(conversation.last_inbound_at)
        since = f" at {closed:%Y-%m-%d %H:%M} UTC" if closed else ""
        raise WorkflowViolation(
            f"The citizen has not written in the last 24 hours (the window closed{since}); "
            f"WhatsApp allows only an approved template now. Approved templates: {names}.",
            code="whatsapp_window_closed",
        )

    def send(self, message: Message) -> SendResult:
        client = GraphClient(message.channel)
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **recipient(message.conversation),
            "biz_opaque_callback_data": str(message.uuid),
        }
        payload.update(_content(client, message))
        if message.reply_to_id and message.reply_to and message.reply_to.provider_id:
            payload["context"] = {"message_id": message.reply_to.provider_id}
        result = client.send_message(payload)
        messages = result.get("messages") or [{}]
        provider_id = str(messages[0].get("id", ""))
        if not provider_id:
            raise SendError("bad_response", "no message id in the answer", retryable=False)
        return SendResult(provider_id=provider_id)


def checked_text(app_secret: str, body: bytes, signature: str | None) -> str:
    """A POST body that may be stored: signed with the app secret (401/403, checked over the
    raw bytes before anything is parsed), JSON (400), a WhatsApp envelope (400).

    Shared by the Django view and the lean ASGI ingest (:mod:`.ingress`).
    """
    verify_signature(app_secret, body, signature)
    payload = parse_json(body)
    try:
        check_envelope(payload)
        return body.decode("utf-8")
    except (PayloadError, UnicodeDecodeError) as exc:
        raise WebhookRejected(400, "invalid_payload", str(exc)) from exc


def verify_handshake(request: HttpRequest, channel: Channel) -> HttpResponse:
    """Meta's subscription check: mode ``subscribe`` and our verify token, else 403."""
    expected = str(channel.secrets.get("verify_token", ""))
    token = request.GET.get("hub.verify_token", "")
    if (
        request.GET.get("hub.mode") != "subscribe"
        or not expected
        or not hmac.compare_digest(token.encode(), expected.encode())
    ):
        raise WebhookRejected(403, "verification_failed", "mode or verify token is wrong")
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


def recipient(conversation: Conversation) -> dict[str, str]:
    """Address the citizen by phone number when known, else by business-scoped user id.

    Reads ``conversation.party.addresses`` (prefetched by the outbox for a whole batch)."""
    addresses = sorted(conversation.party.addresses.all(), key=lambda a: a.pk)
    phone = next((a.value for a in addresses if a.kind == AddressKind.PHONE), "")
    if phone:
        return {"to": phone.lstrip("+")}
    user_id = next((a.value for a in addresses if a.kind == AddressKind.WHATSAPP), "")
    if user_id:
        return {"recipient": user_id}  # *unverified*: Meta's field name for sends to a BSUID
    raise SendError("no_recipient", "the citizen has no WhatsApp address", retryable=False)


def _content(client: GraphClient, message: Message) -> dict[str, Any]:
    template = (message.metadata.get("whatsapp") or {}).get("template")
    if template:
        parameters = [{"type": "text", "text": str(p)} for p in template.get("parameters", [])]
        components = [{"type": "body", "parameters": parameters}] if parameters else []
        return {
            "type": "template",
            "template": {
                "name": template["name"],
                "language": {"code": template["language"]},
                "components": components,
            },
        }
    interactive = (message.metadata.get("whatsapp") or {}).get("interactive")
    if isinstance(interactive, dict):
        return {"type": "interactive", "interactive": graph_interactive(interactive)}
    attachment = min(message.attachments.all(), key=lambda a: a.pk, default=None)
    if attachment is not None:
        return _media_content(client, message, attachment)
    return {"type": "text", "text": {"preview_url": False, "body": message.body}}


def _media_content(client: GraphClient, message: Message, attachment: Attachment) -> dict[str, Any]:
    media_id = attachment.provider_media_id
    if not media_id:
        with attachment.file.open("rb") as handle:
            data = handle.read()
        media_id = client.upload_media(data, attachment.filename, attachment.content_type)
        # Keep the id: a retry after a failed send must not upload the file again.
        do_set_attachment_media_id(attachment, media_id)
    kind = MEDIA_KINDS.get(attachment.content_type.split("/")[0], "document")
    media: dict[str, Any] = {"id": media_id}
    if kind == "document":
        media["filename"] = attachment.filename
    if message.body and kind != "audio":
        media["caption"] = message.body
    return {"type": kind, kind: media}
