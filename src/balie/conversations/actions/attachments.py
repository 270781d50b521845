"""What channel adapters write onto messages: attachments, reactions, provider ids.

Adapters (WhatsApp, the API channel, phone) never write these rows themselves: they call
these actions, which write and publish an event for each change. Batches stay batches: a
webhook batch's attachments are one INSERT (:func:`do_add_attachments`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from balie.conversations.events import (
    AttachmentsAdded,
    AttachmentStored,
    MessageProviderIdSet,
    ReactionRecorded,
)
from balie.conversations.models import Attachment, Message
from balie.core.events import publish


@dataclass(frozen=True)
class Reaction:
    """One sender's reaction (``emoji`` empty: the sender took it back)."""

    sender: str
    emoji: str
    provider_id: str = ""
    at: str = ""  # ISO 8601, "" when the channel did not say


def do_add_attachments(
    attachments: list[Attachment], *, organisation_id: int | None = None
) -> list[Attachment]:
    """Write new attachments (one INSERT for all) and publish AttachmentsAdded per message.

    Precondition: inside the transaction that wrote their messages.
    """
    if not attachments:
        return []
    created = Attachment.objects.bulk_create(attachments)
    by_message: dict[int, list[int]] = {}
    conversations: dict[int, int] = {}
    for attachment in created:
        by_message.setdefault(attachment.message_id, []).append(attachment.pk)
        conversations[attachment.message_id] = attachment.message.conversation_id
    for message_id, ids in by_message.items():
        publish(
            AttachmentsAdded(
                message_id=message_id,
                conversation_id=conversations[message_id],
                attachment_ids=ids,
                organisation_id=organisation_id,
            )
        )
    return created


def do_store_attachment_file(
    attachment_id: int, name: str, data: bytes, *, content_type: str, sha256: str
) -> bool:
    """Store a fetched file on an attachment once; False when another worker stored it."""
    with transaction.atomic():
        locked = (
            Attachment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("message")
            .get(pk=attachment_id)
        )
        if locked.file:
            return False
        locked.file.save(name, ContentFile(data), save=False)
        locked.size = len(data)
        locked.sha256 = sha256
        locked.content_type = content_type
        locked.filename = locked.filename or name.rsplit("/", 1)[-1]
        locked.save(update_fields=["file", "size", "sha256", "content_type", "filename"])
        publish(
            AttachmentStored(
                attachment_id=attachment_id,
                message_id=locked.message_id,
                conversation_id=locked.message.conversation_id,
            )
        )
    return True


def do_set_attachment_media_id(attachment: Attachment, media_id: str) -> None:
    """Keep the provider's id of an uploaded file, so a retried send does not upload again."""
    Attachment.objects.filter(pk=attachment.pk).update(provider_media_id=media_id)
    attachment.provider_media_id = media_id


def do_record_reaction(
    target: Message, reaction: Reaction, *, organisation_id: int | None = None
) -> None:
    """Set (or with an empty emoji, remove) a sender's reaction on ``target``.

    Precondition: ``target`` is locked (``select_for_update``) in the current transaction.
    """
    reactions = dict(target.metadata.get("reactions") or {})
    if reaction.emoji:
        reactions[reaction.sender] = {
            "emoji": reaction.emoji,
            "wamid": reaction.provider_id,
            "at": reaction.at,
        }
    else:
        reactions.pop(reaction.sender, None)
    target.metadata = {**target.metadata, "reactions": reactions}
    target.save(update_fields=["metadata"])
    publish(
        ReactionRecorded(
            message_id=target.pk,
            conversation_id=target.conversation_id,
            removed=not reaction.emoji,
            organisation_id=organisation_id,
        )
    )


def do_record_media_error(message_id: int, channel_kind: str, error: str) -> None:
    """Note on an inbound message why its file could not be fetched (shown to agents)."""
    with transaction.atomic():
        message = Message.objects.select_for_update(no_key=True).get(pk=message_id)
        section = {**(message.metadata.get(channel_kind) or {}), "media_error": error}
        message.metadata = {**message.metadata, channel_kind: section}
        message.save(update_fields=["metadata"])


def do_set_provider_ids(messages: list[tuple[Message, str]]) -> None:
    """Link outbound messages to the provider's ids, e.g. a send whose outcome a crash lost,
    reconciled from a delivery report; publishes MessageProviderIdSet for each.

    Precondition: inside a transaction, the messages locked.
    """
    for message, provider_id in messages:
        Message.objects.filter(pk=message.pk).update(provider_id=provider_id)
        message.provider_id = provider_id
        publish(
            MessageProviderIdSet(message_id=message.pk, conversation_id=message.conversation_id)
        )
