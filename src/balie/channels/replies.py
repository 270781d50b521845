"""What an agent may send on a conversation now: free-form, or only templates (WhatsApp).

Shared by the REST API (``GET …/reply-options/``) and the workspace's composer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from balie.channels.registry import adapter_for
from balie.conversations.models import Conversation
from balie.core.errors import WorkflowViolation


def reply_options(conversation: Conversation, now: datetime) -> dict[str, Any]:
    """Free-form allowed or not (with the channel's reason) and the templates on offer."""
    reason = ""
    free_form = True
    try:
        adapter_for(conversation.channel).check_reply_allowed(conversation, now)
    except WorkflowViolation as exc:
        free_form, reason = False, exc.message
    options: dict[str, Any] = {
        "free_form": free_form, "reason": reason, "window_closes_at": None, "templates": [],
    }  # fmt: skip
    if conversation.channel.kind == "whatsapp":
        from balie.channels.whatsapp.templates import reply_options as whatsapp_options

        found = whatsapp_options(conversation, now)
        options["window_closes_at"] = found.window_closes_at
        options["templates"] = found.templates
    return options
