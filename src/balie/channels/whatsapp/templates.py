"""Template registry and the outbound actions specific to WhatsApp (templates, media).

Outside the 24-hour window only an approved template may be sent; :func:`reply_options`
tells the workspace which, and :func:`check_send_template` queues one through the outbox.
Inside it, :func:`check_send_interactive` queues reply buttons or a list message.

Tone variants (:mod:`balie.replies.variants`): ``<name>_u`` and ``<name>_je`` are the formal
and informal variants of one template; the workspace offers the variant of the
conversation's tone and language (:func:`templates_for`), and Balie's own notices name the
base and get the variant (:func:`variant_named`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from balie.channels.models import Channel
from balie.channels.registry import adapter_for
from balie.channels.whatsapp.interactive import check_interactive
from balie.channels.whatsapp.models import MessageTemplate, TemplateStatus
from balie.channels.whatsapp.window import window_closes_at, window_open
from balie.conversations.actions.attachments import do_add_attachments
from balie.conversations.actions.reply import do_send_reply
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Attachment, Conversation, Message
from balie.conversations.workflow import REPLYABLE, Status
from balie.core import clock
from balie.core.errors import InvalidInput, WorkflowViolation
from balie.organisations.models import Agent
from balie.replies.library import suggestion
from balie.replies.variants import pick, split_tone

PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
MAX_PARAMETER = 1024
MAX_OUTBOUND_MEDIA = 16 << 20


def usable_templates(channel: Channel) -> list[MessageTemplate]:
    """Approved templates of a channel, by name."""
    return list(
        MessageTemplate.objects.filter(
            channel=channel, status__in=[TemplateStatus.APPROVED, TemplateStatus.REINSTATED]
        ).order_by("name", "language")
    )


def register_template(
    channel: Channel,
    name: str,
    language: str,
    *,
    body: str,
    category: str = "UTILITY",
    status: str = TemplateStatus.PENDING,
) -> MessageTemplate:
    """Add or update a template as submitted to Meta; Meta's status webhooks move it on."""
    count = max((int(n) for n in PLACEHOLDER.findall(body)), default=0)
    template, _ = MessageTemplate.objects.update_or_create(
        channel=channel,
        name=name,
        language=language,
        defaults={"body": body, "category": category, "parameter_count": count, "status": status},
    )
    return template


def templates_for(
    conversation: Conversation, templates: list[MessageTemplate]
) -> list[MessageTemplate]:
    """One template per base name: the variant of the conversation's language and tone (the
    agent's choice, else Balie's suggestion, else u)."""
    return pick(
        templates,
        name=lambda t: t.name,
        language=lambda t: t.language,
        wanted_language=conversation.language or "nl",
        wanted_tone=suggestion(conversation).effective,
    )


def variant_named(
    conversation: Conversation, name: str, language: str = ""
) -> MessageTemplate | None:
    """The approved template ``name`` (a base name, or a variant's full name) in the variant of
    the conversation's tone and ``language`` (default the conversation's); None if none."""
    base, _ = split_tone(name)
    found = [
        t
        for t in usable_templates(conversation.channel)
        if t.name == name or split_tone(t.name)[0] == base
    ]
    chosen = pick(
        found,
        name=lambda t: t.name,
        language=lambda t: t.language,
        wanted_language=language or conversation.language or "nl",
        wanted_tone=suggestion(conversation).effective,
    )
    return chosen[0] if chosen else None


@dataclass(frozen=True)
class ReplyOptions:
    """What an agent may send now on a WhatsApp conversation."""

    free_form: bool
    window_closes_at: datetime | None
    templates: list[MessageTemplate]


def reply_options(conversation: Conversation, now: datetime) -> ReplyOptions:
    """Free-form allowed or not (the window), and the approved templates to offer: the
    variant of the conversation's tone and language of each."""
    return ReplyOptions(
        free_form=window_open(conversation.last_inbound_at, now),
        window_closes_at=window_closes_at(conversation.last_inbound_at),
        templates=templates_for(conversation, usable_templates(conversation.channel)),
    )


def render(template: MessageTemplate, parameters: list[str]) -> str:
    """The template body with ``{{n}}`` replaced, as the citizen will read it."""
    return PLACEHOLDER.sub(lambda m: parameters[int(m.group(1)) - 1], template.body)


def _replyable(conversation_id: int) -> Conversation:
    conversation = lock_conversation(conversation_id)
    if Status(conversation.status) not in REPLYABLE:
        raise WorkflowViolation("this conversation is closed", code="conversation_closed")
    if conversation.channel.kind != "whatsapp":
        raise InvalidInput("this is not a WhatsApp conversation", code="wrong_channel")
    return conversation


def check_send_template(
    conversation_id: int, agent: Agent, template_id: int, parameters: list[str]
) -> Message:
    """Queue an approved template message (allowed outside the window); returns it pending."""
    with transaction.atomic():
        conversation = _replyable(conversation_id)
        template = MessageTemplate.objects.filter(
            pk=template_id, channel_id=conversation.channel_id
        ).first()
        if template is None or not template.usable:
            raise InvalidInput("this template is not approved for the channel", code="template")
        cleaned = [str(p).strip() for p in parameters]
        if len(cleaned) != template.parameter_count or not all(cleaned):
            raise InvalidInput(
                f"the template needs {template.parameter_count} non-empty parameters",
                code="template_parameters",
            )
        if any(len(p) > MAX_PARAMETER or "\n" in p for p in cleaned):
            raise InvalidInput("a parameter is too long or has a line break", code="parameter")
        spec = {"name": template.name, "language": template.language, "parameters": cleaned}
        return do_send_reply(
            conversation,
            agent,
            render(template, cleaned) or template.name,
            metadata={"whatsapp": {"type": "template", "template": spec}},
        )


def check_send_interactive(
    conversation_id: int, agent: Agent, spec: Any, *, reply_to_id: int | None = None
) -> Message:
    """Queue reply buttons or a list message (inside the window only); returns it pending.

    The spec is checked against WhatsApp's limits first (InteractiveInvalid, 400, naming the
    field); the message's body is the spec's body text, what the agent sees in the thread.
    """
    checked = check_interactive(spec)
    with transaction.atomic():
        conversation = _replyable(conversation_id)
        adapter_for(conversation.channel).check_reply_allowed(conversation, clock.now())
        reply_to = None
        if reply_to_id is not None:
            reply_to = conversation.messages.filter(pk=reply_to_id).first()
            if reply_to is None:
                raise InvalidInput(
                    "the message replied to is not in this conversation", code="reply_to"
                )
        return do_send_reply(
            conversation,
            agent,
            checked["body"],
            reply_to=reply_to,
            metadata={"whatsapp": {"type": "interactive", "interactive": checked}},
        )


def check_send_media(
    conversation_id: int,
    agent: Agent,
    *,
    data: bytes,
    filename: str,
    content_type: str,
    caption: str = "",
    reply_to_id: int | None = None,
) -> Message:
    """Queue a file for the citizen (inside the window only); returns the pending message."""
    from balie.channels.base import base_type
    from balie.channels.whatsapp.media import ALLOWED_TYPES

    content_type = base_type(content_type)
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(f"WhatsApp does not take {content_type} files", code="media_type")
    if not data or len(data) > MAX_OUTBOUND_MEDIA:
        raise InvalidInput("the file is empty or larger than 16 MB", code="media_size")
    with transaction.atomic():
        conversation = _replyable(conversation_id)
        adapter_for(conversation.channel).check_reply_allowed(conversation, clock.now())
        reply_to = conversation.messages.filter(pk=reply_to_id).first() if reply_to_id else None
        message = do_send_reply(conversation, agent, caption.strip()[:1024], reply_to=reply_to)
        attachment = Attachment(
            message=message,
            filename=filename[:255],
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        attachment.file.save(filename[:100] or "file", ContentFile(data), save=False)
        do_add_attachments([attachment], organisation_id=conversation.organisation_id)
        return message
