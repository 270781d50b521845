"""Special categories: a conversation with medical or criminal data is visible only to the
organisation's designated team (and superusers), in the API and the workspace; who sees what,
role by role."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from balie.conversations.access import visible_conversations
from balie.privacy.handlers import on_messages_received
from balie.privacy.models import PrivacySettings
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(organisation, events):  # type: ignore[no-untyped-def]
    """The case workers' team designated; a special conversation (of the KCC team, assigned to
    an agent outside the designated team) and an ordinary one."""
    kcc = factories.TeamFactory(organisation=organisation, slug="kcc")
    cases = factories.TeamFactory(organisation=organisation, slug="casemanagers")
    PrivacySettings.objects.create(organisation=organisation, special_team=cases)
    wa = factories.ChannelFactory(organisation=organisation, kind="whatsapp", key="wa")
    people = {
        "kcc_agent": factories.AgentFactory(organisation=organisation),
        "case_worker": factories.AgentFactory(organisation=organisation),
        "kcc_supervisor": factories.AgentFactory(organisation=organisation, is_supervisor=True),
        "case_supervisor": factories.AgentFactory(organisation=organisation, is_supervisor=True),
        "superuser": factories.AgentFactory(organisation=organisation, user__is_superuser=True),
    }
    for name in ("kcc_agent", "kcc_supervisor"):
        people[name].teams.add(kcc)
    for name in ("case_worker", "case_supervisor"):
        people[name].teams.add(cases)
    special = receive(wa, "Mijn zoon is gearresteerd en zit in de cel", email="a@x.nl").message
    plain = receive(wa, "Hoe verleng ik mijn paspoort?", email="b@x.nl").message
    on_messages_received(events.named("message_received"))
    for message in (special, plain):
        conversation = message.conversation
        conversation.team = kcc
        conversation.assignee = people["kcc_agent"]
        conversation.save(update_fields=["team", "assignee"])
    return people, special.conversation, plain.conversation


# who: (sees the special conversation, sees the ordinary one)
MATRIX = {
    "kcc_agent": (False, True),  # even as its assignee
    "case_worker": (True, False),  # the ordinary one belongs to another team
    "kcc_supervisor": (False, True),
    "case_supervisor": (True, True),
    "superuser": (True, True),
}


@pytest.mark.parametrize("who", MATRIX)
def test_visibility_matrix(world, who) -> None:  # type: ignore[no-untyped-def]
    """visible_conversations follows the matrix."""
    people, special, plain = world
    visible = set(visible_conversations(people[who].user).values_list("pk", flat=True))
    assert (special.pk in visible, plain.pk in visible) == MATRIX[who]


@pytest.mark.parametrize("who", MATRIX)
def test_api_and_workspace_answer_404_outside_the_team(world, who) -> None:  # type: ignore[no-untyped-def]
    """Outside the team the special conversation does not exist (404), in API and workspace."""
    people, special, _ = world
    api = APIClient()
    api.force_authenticate(people[who].user)
    web = Client()
    web.force_login(people[who].user)
    expected = 200 if MATRIX[who][0] else 404
    assert api.get(f"/api/v1/conversations/{special.pk}/").status_code == expected
    assert web.get(f"/gesprekken/{special.pk}/").status_code == expected


def test_without_a_designated_team_the_usual_rules_apply(organisation, events) -> None:  # type: ignore[no-untyped-def]
    """No team set: the conversation is marked but stays visible as usual."""
    wa = factories.ChannelFactory(organisation=organisation, kind="whatsapp", key="wa")
    message = receive(wa, "Ik lig in het ziekenhuis").message
    on_messages_received(events.named("message_received"))
    agent = factories.AgentFactory(organisation=organisation)
    assert visible_conversations(agent.user).filter(pk=message.conversation_id).exists()


def test_back_office_outside_the_team_does_not_see_it(world, organisation) -> None:  # type: ignore[no-untyped-def]
    """A special conversation forwarded (on hold) to a back-office team stays hidden from it."""
    from balie.organisations.models import AgentRole

    _, special, _ = world
    back = factories.TeamFactory(organisation=organisation, slug="vergunningen")
    clerk = factories.AgentFactory(organisation=organisation, role=AgentRole.BACKOFFICE)
    clerk.teams.add(back)
    special.team, special.status = back, "on_hold"
    special.save(update_fields=["team", "status"])
    assert not visible_conversations(clerk.user).filter(pk=special.pk).exists()
