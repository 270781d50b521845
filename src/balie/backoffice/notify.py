"""Telling the citizen: a notice in the conversation's channel and language.

Inside the channel's reply window (or on a channel without one) the notice is a free-form
message through the outbox; outside it (WhatsApp after 24 hours) an approved message template
named by the organisation's :class:`CarePolicy`. The domain cannot import a channel adapter,
so the template sender is a port the web layer registers at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils import translation

from balie.conversations.actions.reply import do_queue_outbound
from balie.conversations.ports import reply_policy
from balie.core import clock
from balie.core.errors import WorkflowViolation

if TYPE_CHECKING:
    from balie.conversations.models import Conversation, Message

#: the languages Balie writes to citizens in
LANGUAGES = ("nl", "en")

TemplateSender = Callable[["Conversation", str, str, list[str], dict[str, Any]], "Message"]


class _Port:
    template_sender: TemplateSender | None = None


_port = _Port()


def register_template_sender(sender: TemplateSender) -> None:
    """Called once at start-up: ``sender(conversation, name, language, parameters, meta)``
    queues the approved template or raises WorkflowViolation."""
    _port.template_sender = sender


def citizen_language(conversation: Conversation) -> str:
    """The conversation's language when Balie writes it, else the organisation's first."""
    if conversation.language in LANGUAGES:
        return conversation.language
    offered = [code for code in (conversation.organisation.languages or []) if code in LANGUAGES]
    return offered[0] if offered else "nl"


def in_language(conversation: Conversation) -> Any:
    """``with in_language(conversation): _("…")`` writes in the citizen's language."""
    return translation.override(citizen_language(conversation))


def do_tell_citizen(
    conversation: Conversation,
    text: str,
    *,
    kind: str,
    template: str = "",
    parameters: list[str] | None = None,
) -> Message:
    """Queue a notice to the citizen; WorkflowViolation when the channel allows no free text
    now and no template is configured or approved.

    The message is marked automatic (``metadata.balie``): it carries no reply obligation and
    is not an agent's response. Precondition: inside a transaction, ``conversation`` locked.
    """
    meta = {"balie": {"automatic": kind, "reply_obligation": False}}
    try:
        reply_policy(conversation.channel).check_reply_allowed(conversation, clock.now())
    except WorkflowViolation:
        if not template or _port.template_sender is None:
            raise
        return _port.template_sender(
            conversation, template, citizen_language(conversation), list(parameters or []), meta
        )
    return do_queue_outbound(conversation, text, metadata=meta)
