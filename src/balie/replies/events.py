"""Replies' events: a message that may be abusive (for the conduct procedure and the agent)."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("message_flagged")
@dataclass(frozen=True)
class MessageFlagged(Event):
    """An inbound message looks abusive (word list and rules); nothing happens by itself."""

    message_id: int
    conversation_id: int
    organisation_id: int
    categories: list[str]


@event("speech_analysed")
@dataclass(frozen=True)
class SpeechAnalysed(Event):
    """New messages of a conversation gave tone cues or changed its detected language: the
    conversation page refreshes its tone and language cue (a realtime push, ids only)."""

    conversation_id: int
    organisation_id: int
