"""May this one agent take this one waiting contact now? The router's own rules, for one pair.

An agent who answers a waiting contact from the workspace takes it past the router; this asks
the same question the router asks (:func:`balie.routing.selection.qualifies` on the need after
the topic's escalation steps, and :func:`~balie.routing.selection.has_room` on the agent's
current load), so taking by hand never goes around skill, training, language or capacity.
Shift and presence are not asked: an agent at the desk answering is present.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db.models import Q

from balie.conversations.models import Conversation
from balie.core import clock
from balie.core.sql import fetch_statements
from balie.organisations.models import Agent
from balie.routing import selection as sel
from balie.routing.board import agent_load_statement, count_loads, mixing_for, settings_for
from balie.routing.models import (
    AgentChannel,
    AgentLanguage,
    AgentSkill,
    AgentTraining,
    QueueEntry,
)
from balie.routing.needs import need_now, steps_for_organisation


def agent_profile(agent: Agent) -> sel.AgentProfile:
    """The agent's routing profile: languages, topic skills, trainings valid today, capacities."""
    today = clock.now().astimezone(ZoneInfo(agent.organisation.time_zone)).date()
    trainings = AgentTraining.objects.filter(agent=agent).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    return sel.AgentProfile(
        id=agent.pk,
        languages=dict(
            AgentLanguage.objects.filter(agent=agent).values_list("language", "proficiency")
        ),
        skills=dict(
            AgentSkill.objects.filter(agent=agent).values_list("topic__code", "proficiency")
        ),
        trainings=frozenset(trainings.values_list("training__code", flat=True)),
        capacities=dict(
            AgentChannel.objects.filter(agent=agent).values_list("channel_kind", "capacity")
        ),
        is_supervisor=agent.is_supervisor,
    )


def need_of(conversation: Conversation) -> sel.Need:
    """What the waiting ``conversation`` needs of its agent now (escalation steps applied)."""
    now = clock.now()
    entry = QueueEntry.objects.filter(conversation=conversation).first()
    if entry is None:  # not routed yet: needs as if it had been queued just now
        entry = QueueEntry(
            conversation=conversation,
            organisation_id=conversation.organisation_id,
            channel_kind=conversation.channel.kind,
            priority=conversation.priority,
            enqueued_at=now,
        )
    organisation = conversation.organisation
    steps = steps_for_organisation(organisation.pk)
    return need_now(organisation, entry, conversation.topic, conversation.language, steps, now)


def may_take(agent: Agent, conversation: Conversation) -> bool:
    """Whether ``agent`` qualifies for the waiting ``conversation`` and has room for it."""
    need = need_of(conversation)
    profile = agent_profile(agent)
    if not sel.qualifies(profile, need):
        return False
    rows = fetch_statements([agent_load_statement([agent.pk])])[0]
    load = count_loads(rows).get(agent.pk, {})
    state = sel.AgentState(on_shift=True, present=True, load=load, idle_since=0.0)
    mixing = mixing_for(settings_for(conversation.organisation_id))
    return sel.has_room(profile, state, need.channel, mixing)
