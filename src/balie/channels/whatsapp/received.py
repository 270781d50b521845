"""Storing what citizens sent on WhatsApp: messages with their senders as parties, and
reactions on the messages they react to (part of applying a stored event, :mod:`.ingest`).

Every step is idempotent: messages dedupe on the wamid, reactions are keyed by sender.
"""

from __future__ import annotations

from collections import defaultdict

import structlog

from balie.channels.models import Channel
from balie.channels.whatsapp.parse import ParsedMessage, Sender
from balie.conversations.actions import InboundMessage, do_receive_messages
from balie.conversations.actions.attachments import (
    Reaction,
    do_add_attachments,
    do_record_reaction,
)
from balie.conversations.models import Attachment, Message
from balie.core.dispatch import enqueue_all
from balie.parties.actions import AddressClaim, SenderIdentity
from balie.parties.models import AddressKind, DigitalAddress

log = structlog.get_logger(__name__)


def sender_identities(channel: Channel, senders: list[Sender]) -> list[SenderIdentity]:
    """Each sender as a party claim: BSUID when present, else the (verified) phone number.

    A person already known by phone who now also has a BSUID keeps their party (one query
    for the whole list tells which BSUIDs and numbers are known).
    """
    both = [s for s in senders if s.user_id and s.wa_id]
    known = (
        set(
            DigitalAddress.objects.filter(
                organisation_id=channel.organisation_id,
                value__in={v for s in both for v in (s.user_id, f"+{s.wa_id}")},
            ).values_list("kind", "value")
        )
        if both
        else set()
    )
    out = []
    for sender in senders:
        phone = (
            AddressClaim(AddressKind.PHONE, f"+{sender.wa_id}", True, label=sender.username)
            if sender.wa_id
            else None
        )
        if not sender.user_id:
            assert phone is not None  # the parser drops messages with neither
            out.append(SenderIdentity(primary=phone, name=sender.name))
            continue
        if phone is not None:  # the username belongs with the BSUID then
            phone = AddressClaim(phone.kind, phone.value, True)
        bsuid = AddressClaim(AddressKind.WHATSAPP, sender.user_id, True, label=sender.username)
        if (
            phone is not None
            and (bsuid.kind, bsuid.value) not in known
            and (phone.kind, phone.value) in known
        ):
            out.append(SenderIdentity(primary=phone, name=sender.name, extra=(bsuid,)))
        else:
            extra = (phone,) if phone else ()
            out.append(SenderIdentity(primary=bsuid, name=sender.name, extra=extra))
    return out


def apply_messages(channel: Channel, parsed: list[ParsedMessage]) -> None:
    """Receive a channel's messages together (parties, conversations, messages in a few
    queries), then their attachments and the downloads and read receipts they need."""
    senders = [
        _with_new_number(sender, message)
        for sender, message in zip(
            sender_identities(channel, [message.sender for message in parsed]), parsed, strict=True
        )
    ]
    results = do_receive_messages(
        channel,
        [
            (
                sender,
                InboundMessage(
                    provider_id=message.wamid,
                    body=message.body,
                    sent_at=message.sent_at,
                    reply_to_provider_id=message.reply_to,
                    metadata={"whatsapp": message.metadata},
                    system=message.type == "system",
                ),
            )
            for sender, message in zip(senders, parsed, strict=True)
        ],
    )
    from balie.channels.whatsapp import media, receipts

    attachments: list[Attachment] = []
    receipts_due: list[int] = []
    for message, result in zip(parsed, results, strict=True):
        if not result.created:
            log.info("whatsapp_duplicate_message", message_id=result.message.pk)
            continue
        if message.media is not None:
            attachments.append(
                Attachment(
                    message=result.message,
                    filename=message.media.filename[:255],
                    content_type=message.media.mime_type or "application/octet-stream",
                    sha256=message.media.sha256[:64],
                    provider_media_id=message.media.media_id,
                )
            )
        if channel.settings.get("read_receipts"):
            receipts_due.append(result.message.pk)
    do_add_attachments(attachments, organisation_id=channel.organisation_id)
    # the downloads (the media URL expires in minutes) and receipts: one INSERT for all
    enqueue_all(
        [(media.download_media, [a.pk]) for a in attachments]
        + [(receipts.mark_read, [pk]) for pk in receipts_due]
    )


def _with_new_number(sender: SenderIdentity, message: ParsedMessage) -> SenderIdentity:
    """A "changed number" system message adds the citizen's new number to their party."""
    if not message.new_wa_id:
        return sender
    number = AddressClaim(AddressKind.PHONE, f"+{message.new_wa_id}", True)
    if number in (sender.primary, *sender.extra):
        return sender
    return SenderIdentity(primary=sender.primary, name=sender.name, extra=(*sender.extra, number))


def apply_reactions(reactions: list[tuple[Channel, ParsedMessage]]) -> None:
    """Reactions on known messages; those on messages Balie does not know become messages of
    their own, with the target's id, rather than being dropped."""
    unknown_targets: dict[int, list[ParsedMessage]] = defaultdict(list)
    channels: dict[int, Channel] = {}
    for channel, message in reactions:
        if not _apply_reaction(channel, message):
            unknown_targets[channel.pk].append(message)
            channels[channel.pk] = channel
    for channel_id, kept in unknown_targets.items():
        apply_messages(channels[channel_id], kept)


def _apply_reaction(channel: Channel, parsed: ParsedMessage) -> bool:
    """Attach (or with an empty emoji, remove) the sender's reaction on the target message.

    False when Balie does not know the target and the reaction should be kept as a message
    of its own (with the target's id in its metadata); a removal of such a reaction is only
    logged, there is nothing to remove.
    """
    target = (
        Message.objects.select_for_update(no_key=True)
        .filter(channel=channel, provider_id=parsed.reaction_to)
        .first()
    )
    if target is None:
        log.info(
            "whatsapp_reaction_unknown_message", channel_id=channel.pk, kept=bool(parsed.emoji)
        )
        return not parsed.emoji
    reaction = Reaction(
        sender=parsed.sender.user_id or parsed.sender.wa_id,
        emoji=parsed.emoji,
        provider_id=parsed.wamid,
        at=parsed.sent_at.isoformat() if parsed.sent_at else "",
    )
    do_record_reaction(target, reaction, organisation_id=channel.organisation_id)
    return True
