"""The inbound path end to end inside the database."""

from balie.conversations.models import Conversation, Message
from tests.helpers import receive


def test_a_first_message_creates_party_conversation_and_message(channel, events, run_tasks):
    """A first message from a new sender makes one party, one conversation, one message."""
    result = receive(channel, "Wanneer wordt het grofvuil opgehaald?")
    assert result.created
    assert result.conversation_created
    assert Message.objects.count() == 1
    assert [e.name for e in events] == ["party_created", "conversation_created", "message_received"]
    run_tasks()
    assert Conversation.objects.get().status == "queued"
