"""Actions on agents."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from balie.core import clock
from balie.core.errors import InvalidInput
from balie.core.events import publish
from balie.organisations.events import AgentPresenceChanged
from balie.organisations.models import Agent, Presence


def do_set_presence(agent_id: int, presence: str) -> Agent:
    """Set an agent's presence (available, away, busy, offline) and publish the change."""
    if presence not in Presence.values:
        raise InvalidInput(
            f"presence must be one of {', '.join(Presence.values)}", code="invalid_presence"
        )
    with transaction.atomic():
        agent = Agent.objects.select_for_update(no_key=True).get(pk=agent_id)
        previous = agent.presence
        if previous == presence:
            return agent
        agent.presence = presence
        agent.presence_changed_at = clock.now()
        agent.save(update_fields=["presence", "presence_changed_at"])
        publish(
            AgentPresenceChanged(
                agent_id=agent.pk,
                organisation_id=agent.organisation_id,
                presence=presence,
                previous=previous,
            )
        )
    return agent


def do_set_interface_language(agent_id: int, language: str) -> None:
    """Save the workspace language an agent chose ("" for the organisation's language)."""
    codes = [code for code, _name in settings.LANGUAGES]
    if language and language not in codes:
        raise InvalidInput(f"language must be one of {', '.join(codes)}", code="invalid_language")
    Agent.objects.filter(pk=agent_id).update(interface_language=language)
