"""The web chat adapter: an answer reaches the visitor's open widget through the channel
layer; a visitor who is offline gets it on reconnect (the widget resyncs by the last id it
saw). The outbox calls :meth:`WebchatAdapter.send`; the widget's confirmation marks the
message delivered (:func:`balie.channels.webchat.sessions.do_mark_delivered`)."""

from __future__ import annotations

from datetime import datetime

from balie.channels.base import ChannelAdapter, SendError, SendResult
from balie.channels.webchat import push
from balie.channels.webchat.models import VisitorSession
from balie.conversations.models import Conversation, Message
from balie.parties.models import AddressKind


def sessions_of(conversation: Conversation) -> list[VisitorSession]:
    """The sessions of the conversation's visitor (one per browser that chatted)."""
    address = conversation.address
    if address is None or address.kind != AddressKind.WEBCHAT:
        return []
    return list(
        VisitorSession.objects.filter(channel_id=conversation.channel_id, visitor_id=address.value)
    )


class WebchatAdapter(ChannelAdapter):
    """Adapter for a web chat: the visitor socket is the intake, the push is the sending."""

    kind = "webchat"
    #: the widget shows a message once per id, however often it is pushed
    idempotent_sends = True

    def send(self, message: Message) -> SendResult:
        sessions = sessions_of(message.conversation)
        if not sessions:
            raise SendError(
                "no_visitor", "the conversation has no web chat visitor", retryable=False
            )
        for session in sessions:
            push.notify(session.group, {"type": "webchat.outbound", "message_id": message.pk})
        return SendResult(provider_id=f"webchat:{message.uuid}")

    def check_reply_allowed(self, conversation: Conversation, now: datetime) -> None:
        """Always allowed: a visitor who left reads the answer when they come back."""


def push_typing(conversation: Conversation) -> int:
    """Tell the visitor's widget an agent is typing; the number of sessions told."""
    sessions = sessions_of(conversation)
    for session in sessions:
        push.notify(session.group, {"type": "webchat.typing"})
    return len(sessions)
