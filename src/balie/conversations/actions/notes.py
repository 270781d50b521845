"""Internal notes that name colleagues: ``@username`` notifies them live.

Only colleagues of the organisation who may see the conversation can be mentioned; naming one
who may not is refused with their name (nothing is written), so a note never points someone
at a conversation they cannot open. Unknown names are plain text (an e-mail address, say).
"""

from __future__ import annotations

import re

from django.db import transaction

from balie.conversations.access import visible_conversations
from balie.conversations.actions.reply import check_add_note
from balie.conversations.events import AgentMentioned
from balie.conversations.models import Mention, Message
from balie.core.errors import InvalidInput
from balie.core.events import publish
from balie.organisations.models import Agent

#: ``@name`` not preceded by a word character, a dot or another @ (so e-mail addresses are
#: not mentions); Django usernames are letters, digits and ``@.+-_``
MENTION = re.compile(r"(?<![\w.@])@([\w.+-]*\w)")


def mentioned_usernames(body: str) -> list[str]:
    """The usernames named in ``body``, in order, once each."""
    return list(dict.fromkeys(MENTION.findall(body)))


def mentionable(conversation_id: int, organisation_id: int, usernames: list[str]) -> list[Agent]:
    """The agents of the organisation with these usernames; InvalidInput naming those who
    exist but may not see the conversation."""
    if not usernames:
        return []
    agents = list(
        Agent.objects.select_related("user").filter(
            organisation_id=organisation_id, user__username__in=usernames
        )
    )
    blind = [
        a.user.get_username()
        for a in agents
        if not visible_conversations(a).filter(pk=conversation_id).exists()
    ]
    if blind:
        raise InvalidInput(
            f"{', '.join('@' + name for name in blind)} cannot see this conversation",
            code="mention_not_visible",
        )
    return agents


def do_mention(message: Message, agents: list[Agent], *, by: Agent | None) -> list[Mention]:
    """Record the mentions of ``message`` and publish AgentMentioned for each colleague (not
    for the author naming themselves). Precondition: inside the note's transaction."""
    mentions = []
    for agent in agents:
        if by is not None and agent.pk == by.pk:
            continue
        mentions.append(Mention.objects.create(message=message, agent=agent))
        publish(
            AgentMentioned(
                agent_id=agent.pk,
                conversation_id=message.conversation_id,
                message_id=message.pk,
                by_agent_id=by.pk if by else None,
            )
        )
    return mentions


def check_add_note_with_mentions(conversation_id: int, agent: Agent, body: str) -> Message:
    """Add an internal note and notify the colleagues it names (see the module docstring)."""
    with transaction.atomic():
        message = check_add_note(conversation_id, agent, body)
        organisation_id = message.conversation.organisation_id
        colleagues = mentionable(conversation_id, organisation_id, mentioned_usernames(body))
        do_mention(message, colleagues, by=agent)
        return message


def do_mark_mentions_seen(agent: Agent, conversation_id: int) -> int:
    """The agent opened the conversation: its mentions of them count as seen; returns how many."""
    from balie.core import clock

    return Mention.objects.filter(
        agent=agent, seen_at__isnull=True, message__conversation_id=conversation_id
    ).update(seen_at=clock.now())
