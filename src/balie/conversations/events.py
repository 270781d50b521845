"""Events about conversations and messages."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("conversation_created")
@dataclass(frozen=True)
class ConversationCreated(Event):
    conversation_id: int
    organisation_id: int
    channel_id: int
    party_id: int


@event("message_received")
@dataclass(frozen=True)
class MessageReceived(Event):
    message_id: int
    conversation_id: int
    channel_kind: str
    organisation_id: int | None = None  # lets realtime pushes skip a lookup
    #: the conversation's status right after the message arrived ("" when not known)
    conversation_status: str = ""


@event("conversation_status_changed")
@dataclass(frozen=True)
class ConversationStatusChanged(Event):
    conversation_id: int
    from_status: str
    to_status: str
    actor_agent_id: int | None
    reason: str
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("conversation_assigned")
@dataclass(frozen=True)
class ConversationAssigned(Event):
    conversation_id: int
    agent_id: int | None
    previous_agent_id: int | None
    actor_agent_id: int | None
    reason: str
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("reply_queued")
@dataclass(frozen=True)
class ReplyQueued(Event):
    message_id: int
    conversation_id: int
    channel_id: int
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("note_added")
@dataclass(frozen=True)
class NoteAdded(Event):
    message_id: int
    conversation_id: int
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("delivery_status_changed")
@dataclass(frozen=True)
class DeliveryStatusChanged(Event):
    message_id: int
    conversation_id: int
    status: str
    error_code: str
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("klantcontact_recorded")
@dataclass(frozen=True)
class KlantcontactRecorded(Event):
    klantcontact_id: int
    conversation_id: int


@event("klantcontact_completed")
@dataclass(frozen=True)
class KlantcontactCompleted(Event):
    """The after-call form completed the klantcontact a call's end recorded (content, outcome,
    agent, subject): the one edit a klantcontact gets."""

    klantcontact_id: int
    conversation_id: int


@event("conversation_changed")
@dataclass(frozen=True)
class ConversationChanged(Event):
    """A fact of the conversation was edited: ``field`` is topic, language, labels or team."""

    conversation_id: int
    field: str
    actor_agent_id: int | None
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("agent_mentioned")
@dataclass(frozen=True)
class AgentMentioned(Event):
    """A colleague was named in a note. No organisation on purpose: the push goes to the
    mentioned agent's group only, not to everyone of the organisation."""

    agent_id: int
    conversation_id: int
    message_id: int
    by_agent_id: int | None


@event("call_connected")
@dataclass(frozen=True)
class CallConnected(Event):
    """The PBX connected a call to an agent: their workspace opens the contact. Pushed to
    the agent's group only."""

    agent_id: int
    conversation_id: int


@event("attachments_added")
@dataclass(frozen=True)
class AttachmentsAdded(Event):
    """A channel wrote the files of a message (not yet fetched, for inbound media)."""

    message_id: int
    conversation_id: int
    attachment_ids: list[int]
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("attachment_stored")
@dataclass(frozen=True)
class AttachmentStored(Event):
    """An inbound file was fetched and stored: it can be downloaded now."""

    attachment_id: int
    message_id: int
    conversation_id: int


@event("reaction_recorded")
@dataclass(frozen=True)
class ReactionRecorded(Event):
    """A citizen reacted to a message (``removed``: took the reaction back)."""

    message_id: int
    conversation_id: int
    removed: bool
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("message_provider_id_set")
@dataclass(frozen=True)
class MessageProviderIdSet(Event):
    """An outbound message was linked to the provider's id after the fact (reconciled)."""

    message_id: int
    conversation_id: int


@event("inbound_from_blocked_party")
@dataclass(frozen=True)
class InboundFromBlockedParty(Event):
    """A blocked party wrote: the message is stored, its conversation closed unanswered and
    unrouted (it still counts in reports)."""

    message_id: int
    conversation_id: int
    party_id: int
    organisation_id: int


@event("reply_linked")
@dataclass(frozen=True)
class ReplyLinked(Event):
    """A message was linked to the message it answers after both arrived (an e-mail reply
    that came before the mail it quotes): the timeline shows the link."""

    message_id: int
    reply_to_id: int
    conversation_id: int
    organisation_id: int
