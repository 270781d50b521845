"""Routing's reactions to events. The selection engine (skills, languages, capacity) plugs in
here; until then a new conversation is queued for agents to pick up."""

from __future__ import annotations

from django.db import transaction

from balie.conversations.actions import do_change_status
from balie.conversations.actions.status import lock_conversation
from balie.conversations.events import ConversationCreated
from balie.conversations.workflow import Status


def on_conversation_created(evt: ConversationCreated) -> None:
    """Queue a new conversation."""
    with transaction.atomic():
        conversation = lock_conversation(evt.conversation_id)
        if conversation.status == Status.NEW:
            do_change_status(conversation, Status.QUEUED, reason="waiting for an agent")


def sweep_queue() -> None:
    """Periodic: retry routing queued conversations (agents may have come online)."""
