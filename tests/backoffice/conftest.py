"""A municipality with a front office (KCC) and a back office (Vergunningen) on an office
calendar (Mon-Fri 08:30-17:00, Dutch public holidays), a citizen's conversation assigned to a
KCC agent, and the people who work it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation, Message
from balie.organisations.models import AgentRole
from tests import factories
from tests.helpers import receive

OFFICE = {d: [["08:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
OFFICE.update({"sat": [], "sun": []})


@dataclass
class Desk:
    organisation: Any
    kcc: Any
    vergunningen: Any
    topic: Any
    agent: Any
    backoffice: Any
    lead: Any
    channel: Any


def office_calendar(organisation: Any, *, hours: dict[str, Any] | None = None) -> None:
    """Give ``organisation`` an office calendar with Dutch public holidays."""
    from balie.organisations.models import Calendar
    from balie.sla.calendars import forget_calendars

    Calendar.objects.update_or_create(
        organisation=organisation, team=None, channel=None,
        defaults={"hours": hours or OFFICE, "holidays_country": "NL"},
    )  # fmt: skip
    forget_calendars()


@pytest.fixture
def desk(db: None) -> Desk:
    """The organisation, its two teams, a topic with a two-working-day term, and people."""
    from balie.backoffice.models import TopicTerm

    org = factories.OrganisationFactory(slug="dewaard", name="Gemeente De Waard")
    office_calendar(org)
    kcc = factories.TeamFactory(organisation=org, slug="kcc", name="KCC")
    vergunningen = factories.TeamFactory(organisation=org, slug="verg", name="Vergunningen")
    topic = factories.TopicFactory(organisation=org, code="kapvergunning", name="Kapvergunning")
    TopicTerm.objects.create(topic=topic, amount=2)
    agent = factories.AgentFactory(organisation=org, user__username="sanne", display_name="Sanne")
    agent.teams.add(kcc)
    backoffice = factories.AgentFactory(
        organisation=org, user__username="bram", user__email="bram@dewaard.nl",
        display_name="Bram", role=AgentRole.BACKOFFICE,
    )  # fmt: skip
    backoffice.teams.add(vergunningen)
    lead = factories.AgentFactory(
        organisation=org, user__username="lotte", user__email="lotte@dewaard.nl",
        display_name="Lotte", role=AgentRole.SUPERVISOR,
    )  # fmt: skip
    lead.teams.add(vergunningen)
    channel = factories.ChannelFactory(organisation=org, kind="api", key="formulier")
    return Desk(org, kcc, vergunningen, topic, agent, backoffice, lead, channel)


def assigned_conversation(desk: Desk, text: str = "Mag ik de eik in mijn tuin kappen?") -> Message:
    """A citizen's message on a conversation assigned to the KCC agent (topic set)."""
    from django.db import transaction

    result = receive(desk.channel, text, language="nl")
    with transaction.atomic():
        conversation = lock_conversation(result.message.conversation_id)
        Conversation.objects.filter(pk=conversation.pk).update(topic=desk.topic, team=desk.kcc)
        conversation.refresh_from_db()
        do_assign(conversation, desk.agent, actor=desk.agent)
    return result.message
