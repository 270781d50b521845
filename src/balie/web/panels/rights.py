"""The rights panel: from a conversation to everything held about its party (supervisors and
administrators), where access and erasure requests are handled."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from balie.conversations.models import Conversation
from balie.web.panels import Panel, register
from balie.web.views.common import STEERING, role_of


def context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """A link to the party's rights page for those who may handle requests; nothing otherwise."""
    if role_of(request.user) not in STEERING:
        return None
    return {"party_id": conversation.party_id}


register(Panel("rights", "sidebar", "web/panels/rights.html", context, order=200))
