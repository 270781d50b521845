"""Authorisation behaviours: taking a waiting contact goes through the router's eligibility,
team members note but do not reply, restricted topics stay with their team in the API, the
admin and the WebSocket, and ``balie apply`` sets restricted topics."""

from __future__ import annotations

from datetime import date

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.db import transaction
from rest_framework.test import APIClient

from balie.conversations.access import Action, access_conversation, visible_conversations
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.core.errors import Forbidden, NotFound
from balie.organisations.apply import ApplyError, apply_config
from balie.organisations.models import Topic
from balie.web.consumers import AgentConsumer
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def social(organisation):  # type: ignore[no-untyped-def]
    """The sociaal-domein team serving the restricted Wmo topic (training required)."""
    team = factories.TeamFactory(organisation=organisation, slug="sociaal")
    training = factories.TrainingFactory(organisation=organisation, code="wmo-gesprek")
    topic = factories.TopicFactory(
        organisation=organisation, code="wmo", team=team, restricted=True,
        required_training=training, min_skill_level=3,
    )  # fmt: skip
    return team, topic, training


def worker(organisation, team, *, skill=None, training=None, valid_until=None, capacity=3):  # type: ignore[no-untyped-def]
    """A Dutch-speaking agent of ``team`` with a capacity on the API channel."""
    made = factories.AgentFactory(organisation=organisation)
    made.teams.set([team])
    factories.AgentLanguageFactory(agent=made, language="nl", proficiency=5)
    factories.AgentChannelFactory(agent=made, channel_kind="api", capacity=capacity)
    if skill is not None:
        factories.AgentSkillFactory(agent=made, topic=skill, proficiency=4)
    if training is not None:
        factories.AgentTrainingFactory(agent=made, training=training, valid_until=valid_until)
    return made


def client_for(agent) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(agent.user)
    return client


def reply(agent, conversation):  # type: ignore[no-untyped-def]
    return client_for(agent).post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"body": "Goedemiddag"}, format="json"
    )


def assign(conversation, agent) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")


def test_an_agent_without_the_training_cannot_take_a_social_care_contact(social, channel):
    """A Wmo contact waiting in the queue: the team member with the skill but without the
    training is refused (403 not_eligible) and it stays unassigned."""
    team, topic, _ = social
    untrained = worker(channel.organisation, team, skill=topic)
    conversation = receive(channel, topic_code="wmo").message.conversation
    response = reply(untrained, conversation)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_eligible"
    conversation.refresh_from_db()
    assert (conversation.assignee_id, conversation.status) == (None, "new")


def test_an_agent_without_the_skill_cannot_take_it_either(social, channel):
    """Training alone is not enough: the topic's skill at its minimum level is needed too."""
    team, _, training = social
    unskilled = worker(channel.organisation, team, training=training)
    conversation = receive(channel, topic_code="wmo").message.conversation
    assert reply(unskilled, conversation).json()["error"]["code"] == "not_eligible"


def test_an_expired_training_does_not_count(social, channel):
    """A training valid until yesterday is no training: the router would not give it either."""
    team, topic, training = social
    lapsed = worker(
        channel.organisation, team, skill=topic, training=training, valid_until=date(2020, 1, 1)
    )
    conversation = receive(channel, topic_code="wmo").message.conversation
    assert reply(lapsed, conversation).status_code == 403


def test_a_qualified_agent_takes_it_by_answering(social, channel):
    """With skill, valid training, language and room, the answer is sent and the agent has it."""
    team, topic, training = social
    qualified = worker(channel.organisation, team, skill=topic, training=training)
    conversation = receive(channel, topic_code="wmo").message.conversation
    assert reply(qualified, conversation).status_code == 201
    conversation.refresh_from_db()
    assert (conversation.assignee_id, conversation.status) == (qualified.pk, "assigned")


def test_an_agent_at_capacity_cannot_take_another(social, channel):
    """The capacity counts: with one API contact of a capacity of one, a second is refused."""
    team, topic, training = social
    full = worker(channel.organisation, team, skill=topic, training=training, capacity=1)
    first = receive(channel, email="a@example.nl", topic_code="wmo").message.conversation
    second = receive(channel, email="b@example.nl", topic_code="wmo").message.conversation
    assert reply(full, first).status_code == 201
    assert reply(full, second).json()["error"]["code"] == "not_eligible"


def test_a_supervisor_bypasses_eligibility(channel, organisation):
    """A supervisor answers a waiting contact without a profile of their own."""
    boss = factories.AgentFactory(organisation=organisation, is_supervisor=True)
    conversation = receive(channel).message.conversation
    assert reply(boss, conversation).status_code == 201


def test_a_team_member_can_add_a_note_but_not_reply(channel, organisation):
    """A colleague's conversation in one's team: notes yes; reply, file and status 403."""
    team = factories.TeamFactory(organisation=organisation, slug="kcc")
    factories.TopicFactory(organisation=organisation, code="paspoort", team=team)
    owner, member = worker(organisation, team), worker(organisation, team)
    conversation = receive(channel, topic_code="paspoort").message.conversation
    assign(conversation, owner)
    client, base = client_for(member), f"/api/v1/conversations/{conversation.pk}"
    note = client.post(f"{base}/messages/", {"kind": "note", "body": "Let op"}, format="json")
    assert note.status_code == 201
    refused = client.post(f"{base}/messages/", {"body": "Hallo"}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_assigned")
    status = client.post(f"{base}/status/", {"status": "resolved"}, format="json")
    assert status.status_code == 403
    assert conversation.messages.filter(direction="outbound").count() == 0


def test_a_restricted_topic_is_hidden_from_a_supervisor_outside_its_team(social, channel):
    """Special categories: even a supervisor outside the serving team gets 404; a member
    of the team reads it."""
    team, _, _ = social
    boss = factories.AgentFactory(organisation=channel.organisation, is_supervisor=True)
    member = worker(channel.organisation, team)
    conversation = receive(channel, topic_code="wmo").message.conversation
    with pytest.raises(NotFound):
        access_conversation(boss, conversation.pk)
    assert access_conversation(member, conversation.pk).pk == conversation.pk
    with pytest.raises(Forbidden):  # visible, but a supervisor's action is not theirs
        access_conversation(member, conversation.pk, for_action=Action.SUPERVISE)


def test_the_agent_offered_a_restricted_contact_may_read_it(social, channel):
    """The router's pick sees what it is offered, team or not; the offer's end hides it again."""
    from balie.core import clock
    from balie.routing.models import Offer, QueueEntry

    outsider = worker(
        channel.organisation, factories.TeamFactory(organisation=channel.organisation)
    )
    conversation = receive(channel, topic_code="wmo").message.conversation
    assert not visible_conversations(outsider).filter(pk=conversation.pk).exists()
    entry = QueueEntry.objects.create(
        conversation=conversation, organisation_id=conversation.organisation_id,
        channel_kind="api", enqueued_at=clock.now(),
    )  # fmt: skip
    offer = Offer.objects.create(
        entry=entry, agent=outsider, created_at=clock.now(), expires_at=clock.now()
    )
    assert visible_conversations(outsider).filter(pk=conversation.pk).exists()
    Offer.objects.filter(pk=offer.pk).update(outcome="declined")
    assert not visible_conversations(outsider).filter(pk=conversation.pk).exists()


def test_the_admin_shows_a_staff_agent_only_their_organisation(client, channel, organisation):
    """A staff member who is an agent lists their organisation's conversations only, and
    another organisation's conversation does not open."""
    from django.contrib.auth.models import Permission

    mine = receive(channel).message.conversation
    theirs = receive(factories.ChannelFactory(), email="x@example.nl").message.conversation
    staff = factories.AgentFactory(organisation=organisation, user__is_staff=True)
    staff.user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_conversation", "view_party"])
    )
    client.force_login(staff.user)
    listing = client.get("/admin/conversations/conversation/")
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [mine]
    opened = client.get(f"/admin/conversations/conversation/{theirs.pk}/change/")
    assert opened.status_code == 302  # the admin's "does not exist" redirect
    parties = client.get("/admin/parties/party/")
    assert list(parties.context["cl"].result_list) == [mine.party]


def test_apply_sets_restricted_topics_and_requires_their_team(db):
    """``restricted = true`` reaches the topic; without a team it is refused with the line."""
    config = """
[organisation]
slug = "klein"
name = "Gemeente Klein"

[[teams]]
slug = "sociaal"
name = "Sociaal domein"

[[topics]]
code = "wmo"
name = "Wmo"
team = "sociaal"
restricted = true
"""
    apply_config(config)
    assert Topic.objects.get(code="wmo").restricted is True
    with pytest.raises(ApplyError, match=r"topics\[0\].restricted: a restricted topic needs"):
        apply_config(config.replace('team = "sociaal"\n', ""), filename="klein.toml")


@pytest.mark.django_db(transaction=True)
def test_the_socket_forwards_nothing_about_a_hidden_conversation(social, channel):
    """A restricted topic's events reach its team's sockets, not a colleague outside it."""
    team, _, _ = social
    member = worker(channel.organisation, team)
    outsider = worker(
        channel.organisation, factories.TeamFactory(organisation=channel.organisation)
    )

    async def scenario() -> tuple[list[str], bool]:
        sockets = []
        for agent in (member, outsider):
            communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
            communicator.scope["user"] = agent.user
            await communicator.connect(timeout=15)
            await communicator.receive_json_from(timeout=15)  # hello
            sockets.append(communicator)
        await sync_to_async(receive)(channel, topic_code="wmo")
        heard = [(await sockets[0].receive_json_from(timeout=15))["name"] for _ in range(2)]
        silent = await sockets[1].receive_nothing(timeout=0.5)
        for communicator in sockets:
            await communicator.disconnect()
        return heard, silent

    heard, silent = async_to_sync(scenario)()
    assert {"conversation_created", "message_received"} <= set(heard)
    assert silent


#: Admins that need no organisation scope, and why.
_SUPERUSERS = "third-party, for superusers: organisation staff are given no permission on it"
UNSCOPED_ADMINS = {
    "auth.User": _SUPERUSERS,
    "auth.Group": "permission groups, no organisation data",
    "axes.AccessAttempt": _SUPERUSERS,
    "axes.AccessLog": _SUPERUSERS,
    "axes.AccessFailureLog": _SUPERUSERS,
    "otp_totp.TOTPDevice": _SUPERUSERS,
    "django_tasks_database.DBTaskResult": _SUPERUSERS,
    "audit.AuditChain": "the trail's one head row, shown to superusers only",
    "conduct.ConductTemplate": "texts shared by every organisation, edited by superusers only",
}


def test_every_admin_is_scoped_to_the_organisation():
    """Every model in the admin narrows its rows to the staff agent's organisation (or is
    listed here with the reason it need not): a new admin without scoping fails."""
    from django.contrib import admin as django_admin

    from balie.organisations.admin import OrganisationScopedAdmin

    unscoped = {
        model._meta.label
        for model, model_admin in django_admin.site._registry.items()
        if not isinstance(model_admin, OrganisationScopedAdmin)
        and model._meta.label not in UNSCOPED_ADMINS
    }
    assert unscoped == set()
