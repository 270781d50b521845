"""Inbound media: fetched promptly by id through the Graph API, checked, stored.

Meta's download URL expires after minutes, so the download is its own task enqueued with the
message; a transient failure is retried with backoff. Files land in the default storage and
reach agents only through the authorised attachment view.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import timedelta
from mimetypes import guess_extension

import structlog
from django_tasks import task

from balie.channels.base import SendError, base_type
from balie.channels.whatsapp.client import GraphClient
from balie.conversations.actions.attachments import (
    do_record_media_error,
    do_store_attachment_file,
)
from balie.conversations.models import Attachment, Message
from balie.core import clock

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 4
#: WhatsApp's own limits per media kind (bytes); a channel may lower them with max_media_bytes
LIMITS = {"image": 5 << 20, "sticker": 500 << 10, "audio": 16 << 20, "video": 16 << 20}
DOCUMENT_LIMIT = 100 << 20
ALLOWED_TYPES = {
    "image/jpeg", "image/png", "image/webp",
    "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg",
    "video/mp4", "video/3gpp",
    "text/plain", "application/pdf",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}  # fmt: skip


def size_limit(kind: str, channel_limit: int | None) -> int:
    """The largest file accepted for a media kind on a channel."""
    limit = LIMITS.get(kind, DOCUMENT_LIMIT)
    return min(limit, channel_limit) if channel_limit else limit


@task(queue_name="ingest")
def download_media(attachment_id: int, attempt: int = 1) -> None:
    """Fetch, check and store one inbound attachment; idempotent."""
    attachment = Attachment.objects.select_related("message__channel").get(pk=attachment_id)
    if attachment.file:
        return
    message = attachment.message
    try:
        data, content_type = _fetch(attachment, message)
    except SendError as exc:
        if exc.retryable and attempt < MAX_ATTEMPTS:
            delay = timedelta(seconds=5 * 3 ** (attempt - 1))
            download_media.using(run_after=clock.now() + delay).enqueue(attachment_id, attempt + 1)
            log.info("whatsapp_media_retry", attachment_id=attachment_id, attempt=attempt)
            return
        _record_error(message.pk, exc.code, exc.text)
        log.warning("whatsapp_media_failed", attachment_id=attachment_id, code=exc.code)
        return
    name = f"whatsapp/{uuid.uuid4().hex}{guess_extension(base_type(content_type)) or ''}"
    sha256 = hashlib.sha256(data).hexdigest()
    if not do_store_attachment_file(
        attachment_id, name, data, content_type=content_type, sha256=sha256
    ):
        return
    log.info("whatsapp_media_stored", attachment_id=attachment_id, size=len(data))


def _fetch(attachment: Attachment, message: Message) -> tuple[bytes, str]:
    channel = message.channel
    kind = str((message.metadata.get("whatsapp") or {}).get("type", "document"))
    limit = size_limit(kind, channel.settings.get("max_media_bytes"))
    client = GraphClient(channel)
    info = client.media_info(attachment.provider_media_id)
    # kept whole (``audio/ogg; codecs=opus`` says how to play it); checked by its base type
    content_type = str(info.get("mime_type") or attachment.content_type).strip()[:128]
    if base_type(content_type) not in ALLOWED_TYPES:
        raise SendError(
            "media_type_refused", f"{base_type(content_type)} is not accepted", retryable=False
        )
    declared = int(info.get("file_size") or 0)
    if declared > limit:
        raise SendError("media_too_large", f"{declared} bytes is over {limit}", retryable=False)
    url = str(info.get("url") or "")
    if not url:
        raise SendError("bad_response", "no media URL", retryable=True)
    data = client.download(url, limit)
    expected = str(info.get("sha256") or attachment.sha256 or "")
    if expected and not digest_matches(data, expected):
        raise SendError("media_corrupt", "the SHA-256 does not match", retryable=True)
    return data, content_type


def digest_matches(data: bytes, expected: str) -> bool:
    """Meta gives the SHA-256 as hex in some answers and as base64 in others: accept both."""
    digest = hashlib.sha256(data).digest()
    return expected.lower() == digest.hex() or expected == base64.b64encode(digest).decode()


def _record_error(message_id: int, code: str, text: str) -> None:
    do_record_media_error(message_id, "whatsapp", f"{code}: {text}")
