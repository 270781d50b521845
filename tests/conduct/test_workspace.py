"""The procedure in the workspace: the panels on the conversation page, the step forms, four
eyes between two logins, the supervisors' page of blocks, authorisation and the audit trail."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from balie.audit.models import AuditEntry
from balie.conduct.models import Block, BlockState, ConductStep
from balie.conduct.workflow import State
from balie.conversations.models import Direction
from balie.replies.models import MessageAnalysis
from tests import factories
from tests.conduct.conftest import CITIZEN, block, walk_to_announced
from tests.helpers import receive

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _page(client: Client, conversation) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("web:conversation", args=[conversation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _step(client: Client, conversation, **data):  # type: ignore[no-untyped-def]
    return client.post(reverse("web:conduct_step", args=[conversation.pk]), data, **HTMX)


def test_the_panel_offers_the_first_steps_with_their_texts(client, conversation, agent):
    """Before any step: name or warn, each with its editable Dutch text, and consulting."""
    client.force_login(agent.user)
    page = _page(client, conversation)
    assert 'id="conduct"' in page
    assert 'id="conduct-do-name"' in page
    assert 'id="conduct-do-warn"' in page
    assert 'id="conduct-do-announce"' not in page
    assert "Wij willen u graag helpen." in page
    assert 'id="conduct-do-consult"' in page
    assert 'id="conduct-state"' not in page  # nothing in the header yet


def test_flagged_messages_show_their_triggers_and_are_preselected(client, conversation, agent):
    """A message the analysis flagged is listed with the words that triggered it."""
    message = conversation.messages.get(direction=Direction.INBOUND)
    MessageAnalysis.objects.update_or_create(
        message=message,
        defaults={
            "conversation": conversation,
            "abusive": True,
            "triggers": [{"category": "insults", "match": "idioten"}],
            "analysed_at": message.created_at,
        },
    )
    client.force_login(agent.user)
    page = _page(client, conversation)
    assert f'id="conduct-message-{message.pk}"' in page
    assert "insults: idioten" in page


def test_a_step_through_the_form_sends_records_and_audits(client, conversation, agent):
    """Warning through the panel: the edited text goes out, the step is recorded and audited,
    the header shows the state."""
    message = conversation.messages.get(direction=Direction.INBOUND)
    client.force_login(agent.user)
    response = _step(
        client, conversation, step="warn", messages=[message.pk], **{"body-warn": "Laatste keer."}
    )
    assert response.status_code == 200, response.content
    step = ConductStep.objects.get()
    assert step.body == "Laatste keer."
    assert list(step.concerning.all()) == [message]
    assert AuditEntry.objects.filter(action="conduct_warn", object_id=str(step.pk)).exists()
    page = _page(client, conversation)
    assert 'id="conduct-state"' in page
    assert "Warned" in page or "Gewaarschuwd" in page


def test_a_refused_step_answers_in_dutch(client, conversation, agent):
    """Asking to block before announcing: a Dutch refusal beside the form, nothing written."""
    client.force_login(agent.user)
    response = _step(client, conversation, step="request_block", reason="x")
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#conduct-feedback"
    assert (
        "niet mogelijk" in response.content.decode() or "not possible" in response.content.decode()
    )
    assert not ConductStep.objects.exists()


def test_four_eyes_between_two_logins(client, conversation, agent, colleague):
    """The asker sees no confirm button and cannot confirm by posting; the colleague can."""
    walk_to_announced(conversation, agent)
    client.force_login(agent.user)
    response = _step(
        client, conversation, step="request_block", reason="bleef schelden", until="2099-01-31"
    )
    assert response.status_code == 200, response.content
    asked = Block.objects.get()
    assert asked.until.isoformat() == "2099-01-31T23:00:00+00:00"  # end of the day, Amsterdam
    assert 'id="conduct-confirm"' not in _page(client, conversation)
    url = reverse("web:conduct_block", args=[conversation.pk, asked.pk, "confirm"])
    assert client.post(url, **HTMX).status_code == 403
    other = Client()
    other.force_login(colleague.user)
    assert 'id="conduct-confirm"' in _page(other, conversation)
    assert other.post(url, **HTMX).status_code == 200
    asked.refresh_from_db()
    assert asked.state == BlockState.ACTIVE
    assert AuditEntry.objects.filter(action="conduct_confirm_block").exists()


def test_a_back_office_colleague_cannot_take_steps(client, conversation):
    """Back office colleagues do not take steps of the procedure."""
    backoffice = factories.AgentFactory(organisation=conversation.organisation, role="backoffice")
    client.force_login(backoffice.user)
    response = _step(client, conversation, step="name")
    assert response.status_code in (403, 404)
    assert not ConductStep.objects.exists()


def test_an_agent_of_another_team_cannot_see_or_step(client, conversation, organisation):
    """An agent who cannot see the conversation gets 404 and writes nothing."""
    stranger = factories.AgentFactory(organisation=organisation, user__username="vreemde")
    stranger.teams.add(factories.TeamFactory(organisation=organisation))
    client.force_login(stranger.user)
    assert _step(client, conversation, step="name").status_code == 404
    assert not ConductStep.objects.exists()


def test_the_supervisors_page_lists_pending_and_active_blocks(
    client, conversation, agent, colleague, supervisor, channel
):
    """Pending blocks with confirm, active ones with lift; lifting there needs a reason."""
    active = block(conversation, agent, colleague)
    second = receive(channel, "Ik ook", email="tweede@example.nl").message.conversation
    from tests.conduct.conftest import assign

    assign(second, agent)
    walk_to_announced(second, agent)
    from balie.conduct.actions import StepInput, check_take_step

    pending = check_take_step(second, agent, StepInput(step="request_block", reason="dreigde"))
    client.force_login(supervisor.user)
    page = client.get(reverse("web:conduct_blocks")).content.decode()
    assert f'id="pending-{pending.block_id}"' in page
    assert f'id="active-{active.pk}"' in page
    lift = reverse("web:conduct_block_action", args=[active.pk, "lift"])
    client.post(lift, {"reason": ""})
    active.refresh_from_db()
    assert active.state == BlockState.ACTIVE
    client.post(lift, {"reason": "excuses aangeboden"})
    active.refresh_from_db()
    assert active.state == BlockState.LIFTED


def test_only_supervisors_open_the_blocks_page(client, agent):
    """Agents get 403 on the supervisors' page; a visitor the login."""
    assert client.get(reverse("web:conduct_blocks")).status_code == 302
    client.force_login(agent.user)
    assert client.get(reverse("web:conduct_blocks")).status_code == 403


def test_an_agent_cannot_lift_from_the_conversation(client, conversation, agent, colleague):
    """Lifting from the panel is refused to agents (403) and leaves the block in force."""
    active = block(conversation, agent, colleague)
    client.force_login(colleague.user)
    url = reverse("web:conduct_block", args=[conversation.pk, active.pk, "lift"])
    assert client.post(url, {"reason": "x"}, **HTMX).status_code == 403
    active.refresh_from_db()
    assert active.state == BlockState.ACTIVE


def test_the_state_shows_in_the_partys_other_conversations(
    client, conversation, agent, colleague, organisation
):
    """Blocked on one channel: the header says so in the party's conversation on another."""
    block(conversation, agent, colleague)
    other_channel = factories.ChannelFactory(organisation=organisation, kind="api", key="ander")
    other = receive(other_channel, "Hallo", email=CITIZEN).message.conversation
    client.force_login(colleague.user)
    page = _page(client, other)
    assert 'id="conduct-state"' in page
    assert State.BLOCKED.value in page or "Geblokkeerd" in page or "Blocked" in page


def test_the_panels_cost_a_bounded_number_of_queries(
    client, conversation, agent, django_assert_max_num_queries
):
    """The conversation page with the conduct panels stays within its query budget."""
    from django.test import RequestFactory

    from balie.web.panels.conduct import header_context, sidebar_context

    request = RequestFactory().get("/")
    request.user = agent.user
    with django_assert_max_num_queries(12):
        header_context(request, conversation)
        sidebar_context(request, conversation)
