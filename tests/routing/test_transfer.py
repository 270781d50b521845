"""Transferring a conversation from the workspace: to a colleague the router would give it to,
or to a team's queue; who may, what is refused, and what history it leaves."""

from __future__ import annotations

import pytest
from django.test import Client

from balie.conversations.models import Conversation, ConversationChange
from balie.conversations.workflow import Status
from balie.core.errors import Forbidden, InvalidInput, WorkflowViolation
from balie.routing.models import EntryState, QueueEntry, RoutingRecord
from balie.routing.transfer import check_transfer_to_agent, check_transfer_to_team
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(org, web, passport, make_agent, run_tasks):  # type: ignore[no-untyped-def]
    """Sanne holds a Dutch passport chat on the web channel; the router gave it to her."""
    sanne = make_agent("sanne", skills={passport: 3})
    receive(web, "Paspoort?", email="burger@example.nl", language="nl", topic_code="paspoort")
    run_tasks()
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.assignee) == (Status.ASSIGNED, sanne)
    return sanne, conversation


def _post(client: Client, conversation: Conversation, to: str, reason: str = "ziek naar huis"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/gesprekken/{conversation.pk}/overdragen/",
        {"to": to, "reason": reason},
        HTTP_HX_REQUEST="true",
    )


def test_an_agent_transfers_to_a_qualified_colleague(setting, make_agent, passport, client):
    """The colleague with the skill, language and room gets it; history and record say so."""
    sanne, conversation = setting
    joost = make_agent("joost", skills={passport: 2})
    client.force_login(sanne.user)
    response = _post(client, conversation, f"agent-{joost.pk}")
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee) == (Status.ASSIGNED, joost)
    change = ConversationChange.objects.get(conversation=conversation, field="assignee")
    assert (change.old_value, change.new_value, change.actor) == ("sanne", "joost", sanne)
    record = RoutingRecord.objects.get(kind="transferred")
    assert (record.agent, record.actor, record.reason) == (joost, sanne, "ziek naar huis")


def test_a_colleague_without_the_skill_is_refused_and_nothing_changes(setting, make_agent, client):
    """An agent may not hand a contact to someone the router would not give it to (403)."""
    sanne, conversation = setting
    novice = make_agent("novice", skills={})
    client.force_login(sanne.user)
    response = _post(client, conversation, f"agent-{novice.pk}")
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#transfer-feedback"
    conversation.refresh_from_db()
    assert conversation.assignee == sanne
    assert not RoutingRecord.objects.filter(kind="transferred").exists()
    assert not ConversationChange.objects.filter(field="assignee").exists()


def test_a_colleague_at_capacity_is_refused(setting, make_agent, passport, web, run_tasks):
    """A qualified colleague whose chats are full has no room: not eligible."""
    sanne, conversation = setting
    full = make_agent("vol", skills={passport: 3}, channels={"webchat": 1})
    other = factories.ConversationFactory(
        organisation=web.organisation, channel=web, assignee=full, status=Status.ASSIGNED
    )
    assert other.assignee == full
    with pytest.raises(Forbidden) as refused:
        check_transfer_to_agent(conversation.pk, full.pk, actor=sanne, reason="druk")
    assert refused.value.code == "not_eligible"


def test_transferring_to_oneself_or_to_an_unknown_colleague_is_invalid(setting):
    """Oneself is 'same_agent'; an agent of another organisation is 'unknown_agent'."""
    sanne, conversation = setting
    stranger = factories.AgentFactory()  # another organisation
    with pytest.raises(InvalidInput) as same:
        check_transfer_to_agent(conversation.pk, sanne.pk, actor=sanne, reason="r")
    with pytest.raises(InvalidInput) as unknown:
        check_transfer_to_agent(conversation.pk, stranger.pk, actor=sanne, reason="r")
    assert (same.value.code, unknown.value.code) == ("same_agent", "unknown_agent")


def test_only_the_assigned_agent_transfers_their_conversation(setting, make_agent, passport, org):
    """A colleague who does not hold the conversation may transfer it neither to an agent
    nor to a team."""
    sanne, conversation = setting
    joost = make_agent("joost", skills={passport: 3})
    team = factories.TeamFactory(organisation=org)
    with pytest.raises(Forbidden) as to_agent:
        check_transfer_to_agent(conversation.pk, sanne.pk, actor=joost, reason="r")
    with pytest.raises(Forbidden) as to_team:
        check_transfer_to_team(conversation.pk, team.pk, actor=joost, reason="r")
    assert to_agent.value.code == to_team.value.code == "not_assigned"
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team_id) == (sanne, None)


def test_a_transfer_needs_a_reason_and_keeps_at_most_500_characters(setting, org):
    """A blank reason is refused; a long one is cut to the 500 the history holds."""
    sanne, conversation = setting
    team = factories.TeamFactory(organisation=org, name="Burgerzaken")
    with pytest.raises(InvalidInput) as blank:
        check_transfer_to_team(conversation.pk, team.pk, actor=sanne, reason=" \n ")
    assert blank.value.code == "reason_required"
    check_transfer_to_team(conversation.pk, team.pk, actor=sanne, reason="x" * 600)
    change = ConversationChange.objects.get(conversation=conversation, field="team")
    assert len(change.reason) == 500


def test_a_team_of_another_organisation_is_unknown_and_nothing_changes(setting, client):
    """A team id from elsewhere is refused (400 unknown_team); the conversation stays put."""
    sanne, conversation = setting
    elsewhere = factories.TeamFactory()
    client.force_login(sanne.user)
    response = _post(client, conversation, f"team-{elsewhere.pk}")
    assert response.status_code == 400
    conversation.refresh_from_db()
    assert (conversation.team_id, conversation.assignee) == (None, sanne)


@pytest.mark.parametrize("to", ["", "agent-", "team-abc", "bureau-3", "agent-1-2"])
def test_a_malformed_target_is_refused_without_a_change(setting, client, to):
    """The form's ``to`` must be agent-<id> or team-<id>; anything else is a 400."""
    sanne, conversation = setting
    client.force_login(sanne.user)
    assert _post(client, conversation, to).status_code == 400
    conversation.refresh_from_db()
    assert conversation.assignee == sanne


def test_a_closed_conversation_cannot_be_sent_to_a_team(setting, org, make_agent):
    """Even a supervisor cannot queue a closed conversation; its team is not changed either."""
    _sanne, conversation = setting
    boss = make_agent("baas", is_supervisor=True)
    team = factories.TeamFactory(organisation=org)
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.CLOSED)
    with pytest.raises(WorkflowViolation):
        check_transfer_to_team(conversation.pk, team.pk, actor=boss, reason="terug")
    conversation.refresh_from_db()
    assert conversation.team_id is None
    assert not ConversationChange.objects.filter(field="team").exists()


def test_a_supervisor_sends_a_colleagues_conversation_back_to_a_team_queue(
    setting, org, make_agent, run_tasks
):
    """The supervisor's transfer to a team sets the team, queues the conversation, lets the
    agent go and keeps the reason with the team's name."""
    _sanne, conversation = setting
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    team = factories.TeamFactory(organisation=org, name="Reisdocumenten")
    check_transfer_to_team(conversation.pk, team.pk, actor=boss, reason="herverdelen")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.team, conversation.assignee) == (
        Status.QUEUED,
        team,
        None,
    )
    record = RoutingRecord.objects.get(kind="transferred")
    assert (record.actor, record.reason) == (boss, "Reisdocumenten: herverdelen")


@pytest.mark.xfail(
    strict=True,
    reason="bug: routing ignores Conversation.team, so a transfer to a team can come straight "
    "back to the agent who let it go (routing/transfer.py promises someone of that team)",
)
def test_a_conversation_transferred_to_a_team_is_not_routed_back_outside_it(
    setting, org, make_agent, run_tasks
):
    """After a transfer to a team nobody of that team can take yet, the contact waits for the
    team instead of returning to the agent (not in the team) who handed it over."""
    sanne, conversation = setting
    team = factories.TeamFactory(organisation=org, name="Reisdocumenten")
    check_transfer_to_team(conversation.pk, team.pk, actor=sanne, reason="hoort daar")
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.assignee != sanne
    assert QueueEntry.objects.get(conversation=conversation).state == EntryState.WAITING


def test_a_supervisor_transfers_to_anyone_over_the_rules_and_the_history_names_them(
    setting, make_agent
):
    """A supervisor's transfer goes over skill and capacity (assignment by hand)."""
    _sanne, conversation = setting
    boss = make_agent("baas", is_supervisor=True)
    novice = make_agent("novice", skills={}, channels={"email": 1})
    check_transfer_to_agent(conversation.pk, novice.pk, actor=boss, reason="inwerken")
    conversation.refresh_from_db()
    assert conversation.assignee == novice
    change = ConversationChange.objects.get(conversation=conversation, field="assignee")
    assert (change.new_value, change.actor, change.reason) == ("novice", boss, "inwerken")
    assert RoutingRecord.objects.filter(kind="assigned_by_hand", agent=novice).exists()


def test_a_transfer_to_a_team_the_agent_is_not_in_sends_them_to_the_inbox_without_htmx(
    setting, org, client
):
    """Without htmx the answer is a redirect to the inbox (the conversation is out of sight)."""
    sanne, conversation = setting
    team = factories.TeamFactory(organisation=org)
    client.force_login(sanne.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/overdragen/", {"to": f"team-{team.pk}", "reason": "r"}
    )
    assert (response.status_code, response["Location"]) == (302, "/gesprekken/")
