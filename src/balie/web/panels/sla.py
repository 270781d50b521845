"""The service level on the conversation page: a header badge with the nearest due time and
how it stands (on time, due soon, overdue, paused while waiting on the citizen), in text and
icon, never colour alone. The sweep's ``sla_warning`` and ``sla_breached`` events refresh it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from balie.conversations.models import Conversation
from balie.core import clock
from balie.sla.clocks import state_at
from balie.sla.models import Clock, ClockState, Target
from balie.web.panels import Panel, register


def header_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The nearest due time and its state; nothing without a running or paused clock."""
    found = Clock.objects.filter(conversation_id=conversation.pk).first()
    if found is None:
        return None
    if found.due_at is None:
        if found.state != ClockState.PAUSED:
            return None
        return {"state": ClockState.PAUSED, "due": None, "target": ""}
    return {
        "state": state_at(found.due_at, found.warn_at, clock.now()),
        "due": found.due_at,
        "target": Target(found.due_target).label if found.due_target else "",
    }


register(
    Panel(
        key="sla",
        place="header",
        template="web/panels/sla_header.html",
        context=header_context,
        order=10,
    )
)
