"""The steps taken from a conversation: each sends its message through the reply action and is
recorded with the agent, the messages concerned and the time."""

from __future__ import annotations

import pytest
import time_machine

from balie.conduct.actions import StepInput, check_take_step
from balie.conduct.models import ConductState, ConductStep
from balie.conduct.queries import conduct_of
from balie.conduct.workflow import State, Step
from balie.conversations.models import Direction, Mention, Message
from balie.core import clock
from balie.core.errors import InvalidInput, WorkflowViolation
from tests import factories
from tests.conduct.conftest import CITIZEN, assign
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def test_naming_the_behaviour_sends_the_template_and_records_the_step(conversation, agent):
    """Naming sends the Dutch formal template as a reply and records who, what, which, when."""
    abusive = conversation.messages.get(direction=Direction.INBOUND)
    with time_machine.travel("2026-12-01 10:00 +0000", tick=False):
        step = check_take_step(
            conversation, agent, StepInput(step="name", message_ids=[abusive.pk])
        )
    assert step.agent == agent
    assert step.to_state == State.NAMED
    assert step.created_at.isoformat() == "2026-12-01T10:00:00+00:00"
    assert list(step.concerning.all()) == [abusive]
    assert step.message is not None
    assert step.message.direction == Direction.OUTBOUND
    assert step.message.body.startswith("Wij willen u graag helpen.")
    assert step.not_sent == ""
    assert ConductState.objects.get(party=conversation.party).state == State.NAMED


def test_the_informal_and_english_templates_follow_tone_and_language(conversation, agent):
    """Tone je picks the informal Dutch text; an English conversation gets the English text."""
    step = check_take_step(conversation, agent, StepInput(step="name", tone="je"))
    assert step.body.startswith("We willen je graag helpen.")
    conversation.language = "en"
    step = check_take_step(conversation, agent, StepInput(step="warn"))
    assert step.body.startswith("We asked you to stay respectful.")


def test_without_a_tone_the_conversations_form_of_address_is_used(conversation, agent):
    """No tone given: the form of address chosen for the conversation (here je) is used."""
    from balie.replies.library import check_choose_tone

    check_choose_tone(conversation.pk, "je", actor=agent)
    step = check_take_step(conversation, agent, StepInput(step="warn"))
    assert step.body.startswith("We hebben je gevraagd respectvol te blijven.")


def test_the_agent_may_edit_the_text_before_sending(conversation, agent):
    """An edited text is what goes out and what the step records."""
    step = check_take_step(conversation, agent, StepInput(step="warn", body="Stop hiermee."))
    assert step.message.body == step.body == "Stop hiermee."


def test_a_step_out_of_order_is_refused_and_writes_nothing(conversation, agent, events):
    """Announcing before any warning is refused (409): no message, no step, no state change."""
    with pytest.raises(WorkflowViolation):
        check_take_step(conversation, agent, StepInput(step="announce"))
    assert not ConductStep.objects.exists()
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert not events.named("conduct_step_taken")


def test_a_message_of_another_conversation_is_refused(conversation, agent, channel):
    """The messages concerned are chosen from this conversation; another's id is bad input."""
    other = receive(channel, "Hallo", email="ander@example.nl").message
    with pytest.raises(InvalidInput):
        check_take_step(conversation, agent, StepInput(step="name", message_ids=[other.pk]))
    assert not ConductStep.objects.exists()


def test_an_unknown_step_is_bad_input(conversation, agent):
    """A step that does not exist, or is not taken from a conversation, is refused."""
    for step in ("shout", "confirm_block", "lift"):
        with pytest.raises(InvalidInput):
            check_take_step(conversation, agent, StepInput(step=step))


def test_the_procedure_walks_through_the_reminder(conversation, agent, events):
    """Name, warn, remind, announce: four messages out, four steps, one event each."""
    for step in ("name", "warn", "remind", "announce"):
        check_take_step(conversation, agent, StepInput(step=step))
    assert conduct_of(conversation.party_id, clock.now()).state == State.ANNOUNCED
    assert conversation.messages.filter(direction=Direction.OUTBOUND).count() == 4
    taken = [e.step for e in events.named("conduct_step_taken")]
    assert taken == ["name", "warn", "remind", "announce"]


def test_the_state_is_the_partys_across_channels(conversation, agent, organisation):
    """A warning given on one channel is the party's state in their conversation on another."""
    check_take_step(conversation, agent, StepInput(step="warn"))
    wa = factories.ChannelFactory(organisation=organisation, kind="api", key="tweede")
    other = receive(wa, "Nog steeds boos", email=CITIZEN).message.conversation
    assert other.party_id == conversation.party_id
    assert other.pk != conversation.pk
    assert conduct_of(other.party_id, clock.now()).state == State.WARNED
    assert conduct_of(other.party_id, clock.now()).next_steps == [Step.REMIND, Step.ANNOUNCE]


def test_outside_the_whatsapp_window_the_step_is_recorded_as_not_sent(organisation, agent):
    """25 hours after the citizen wrote, WhatsApp refuses free text: the step is recorded with
    the reason it could not be sent, and no message is queued."""
    wa = factories.ChannelFactory(organisation=organisation, kind="whatsapp", key="wa")
    with time_machine.travel("2026-12-01 09:00 +0000", tick=False) as frozen:
        conversation = assign(receive(wa, "Idioten!").message.conversation, agent)
        frozen.shift(25 * 3600)
        step = check_take_step(conversation, agent, StepInput(step="name"))
    assert step.message is None
    assert step.not_sent.startswith("whatsapp_window_closed")
    assert step.to_state == State.NAMED
    assert not conversation.messages.filter(direction=Direction.OUTBOUND).exists()


def test_consulting_writes_a_note_that_notifies_the_team(conversation, agent, colleague, events):
    """In doubt: a note in the conversation, the team's colleagues are notified, the state
    stays."""
    step = check_take_step(
        conversation, agent, StepInput(step="consult", body="Is dit al een bedreiging?")
    )
    assert step.message.direction == Direction.NOTE
    assert step.to_state == step.from_state == State.CLEAR
    assert [m.agent for m in Mention.objects.filter(message=step.message)] == [colleague]
    assert [e.agent_id for e in events.named("agent_mentioned")] == [colleague.pk]


def test_consulting_needs_a_question(conversation, agent):
    """Consulting without a question is refused."""
    with pytest.raises(WorkflowViolation):
        check_take_step(conversation, agent, StepInput(step="consult"))


def test_without_stored_templates_the_shipped_texts_are_sent(conversation, agent):
    """An emptied template table (a flushed test database, an administrator's clean-up) still
    sends the shipped Dutch and English texts, never an empty message."""
    from balie.conduct.models import ConductTemplate

    ConductTemplate.objects.all().delete()
    step = check_take_step(conversation, agent, StepInput(step="name"))
    assert step.body.startswith("Wij willen u graag helpen.")
    conversation.language = "en"
    step = check_take_step(conversation, agent, StepInput(step="warn", tone="je"))
    assert step.body.startswith("We asked you to stay respectful.")
