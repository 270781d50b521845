"""Events of the web chat channel."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("webchat_typing")
@dataclass(frozen=True)
class VisitorTyping(Event):
    """A web chat visitor is typing (pushed to the workspace; nothing is stored)."""

    conversation_id: int
    organisation_id: int
