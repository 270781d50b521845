"""Blocking with four eyes: asked by one, confirmed by another; time-boxed or permanent; a
blocked party's messages are stored and closed unrouted; lifted or ended, they route again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from balie.conduct.actions import (
    StepInput,
    check_confirm_block,
    check_lift_block,
    check_reject_block,
    check_take_step,
    expire_blocks,
)
from balie.conduct.models import Block, BlockState
from balie.conduct.queries import active_blocks, conduct_of, pending_blocks
from balie.conduct.workflow import State
from balie.conversations.actions import check_change_status
from balie.conversations.models import Conversation, Direction, Message
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.errors import Forbidden, InvalidInput, NotFound, WorkflowViolation
from balie.routing.models import QueueEntry
from tests import factories
from tests.conduct.conftest import CITIZEN, block, walk_to_announced
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def _ask(conversation, agent, **kwargs):  # type: ignore[no-untyped-def]
    walk_to_announced(conversation, agent)
    return check_take_step(
        conversation, agent, StepInput(step="request_block", reason="bleef schelden", **kwargs)
    ).block


def test_the_one_who_asked_cannot_confirm(conversation, agent):
    """Four eyes: the agent who asked for the block cannot confirm it themselves."""
    asked = _ask(conversation, agent)
    with pytest.raises(Forbidden) as refused:
        check_confirm_block(asked.pk, agent)
    assert refused.value.code == "four_eyes"
    asked.refresh_from_db()
    assert asked.state == BlockState.REQUESTED
    assert conduct_of(conversation.party_id, clock.now()).state == State.BLOCK_REQUESTED


def test_a_colleague_confirms_and_the_party_is_told(conversation, agent, colleague):
    """A second agent confirms: the block is in force and the block message goes out."""
    asked = _ask(conversation, agent)
    assert list(pending_blocks(conversation.organisation_id)) == [asked]
    step = check_confirm_block(asked.pk, colleague)
    asked.refresh_from_db()
    assert asked.state == BlockState.ACTIVE
    assert asked.decided_by == colleague
    assert step.message.body.startswith("Uw berichten zijn geblokkeerd voor onbepaalde tijd.")
    assert list(active_blocks(conversation.organisation_id, clock.now())) == [asked]
    assert conduct_of(conversation.party_id, clock.now()).blocked


def test_a_colleague_may_decline(conversation, agent, colleague):
    """The second person may decline with a reason: the party is back at announced."""
    asked = _ask(conversation, agent)
    with pytest.raises(WorkflowViolation):
        check_reject_block(asked.pk, colleague, "")
    check_reject_block(asked.pk, colleague, "valt nog mee")
    asked.refresh_from_db()
    assert asked.state == BlockState.REJECTED
    assert conduct_of(conversation.party_id, clock.now()).state == State.ANNOUNCED


def test_back_office_and_other_organisations_cannot_confirm(conversation, agent):
    """A back office colleague may not confirm; another organisation's agent cannot find it."""
    asked = _ask(conversation, agent)
    backoffice = factories.AgentFactory(organisation=conversation.organisation, role="backoffice")
    with pytest.raises(Forbidden):
        check_confirm_block(asked.pk, backoffice)
    stranger = factories.AgentFactory()
    with pytest.raises(NotFound):
        check_confirm_block(asked.pk, stranger)


def test_a_block_is_confirmed_once(conversation, agent, colleague, supervisor):
    """A confirmed block cannot be confirmed again."""
    asked = _ask(conversation, agent)
    check_confirm_block(asked.pk, colleague)
    with pytest.raises(WorkflowViolation):
        check_confirm_block(asked.pk, supervisor)


def test_an_end_date_in_the_past_is_refused(conversation, agent):
    """A time-boxed block must end in the future."""
    walk_to_announced(conversation, agent)
    with pytest.raises(InvalidInput):
        check_take_step(
            conversation,
            agent,
            StepInput(step="request_block", reason="x", until=clock.now() - timedelta(days=1)),
        )
    assert not Block.objects.exists()


def test_a_blocked_partys_message_is_stored_closed_and_not_routed(
    conversation, agent, colleague, channel, run_tasks, events
):
    """Blocked: a new message is stored in a conversation closed without reply; routing never
    queues it; it still counts among the party's messages."""
    block(conversation, agent, colleague)
    run_tasks()
    result = receive(channel, "Ik blijf jullie bestoken", email=CITIZEN)
    run_tasks()
    blocked = Conversation.objects.get(pk=result.message.conversation_id)
    assert blocked.pk != conversation.pk
    assert blocked.status == Status.CLOSED
    assert not QueueEntry.objects.filter(conversation=blocked).exists()
    assert blocked.messages.filter(direction=Direction.INBOUND).count() == 1
    assert not blocked.messages.exclude(direction=Direction.INBOUND).exists()  # no reply
    assert [e.conversation_id for e in events.named("inbound_from_blocked_party")] == [blocked.pk]
    counted = Message.objects.filter(
        conversation__party=conversation.party, direction=Direction.INBOUND
    )
    assert counted.count() == 2


def test_the_block_applies_across_the_partys_addresses(
    conversation, agent, colleague, organisation
):
    """A block holds on every digital address and channel of the party."""
    block(conversation, agent, colleague)
    party = conversation.party
    factories.DigitalAddressFactory(party=party, kind="email", value="tweede@example.nl")
    other_channel = factories.ChannelFactory(organisation=organisation, kind="api", key="ander")
    result = receive(other_channel, "Via een ander adres", email="tweede@example.nl")
    assert result.message.conversation.party_id == party.pk
    assert result.message.conversation.status == Status.CLOSED


def test_other_citizens_are_not_affected(conversation, agent, colleague, channel, run_tasks):
    """Someone else writing at the same time is routed as always."""
    block(conversation, agent, colleague)
    other = receive(channel, "Een gewone vraag", email="vriendelijk@example.nl")
    run_tasks()
    other.message.conversation.refresh_from_db()
    assert other.message.conversation.status != Status.CLOSED
    assert QueueEntry.objects.filter(conversation=other.message.conversation).exists()


def test_lifting_needs_a_supervisor_and_a_reason(conversation, agent, colleague, supervisor):
    """Only a supervisor lifts a block, and only with a reason."""
    asked = block(conversation, agent, colleague)
    with pytest.raises(Forbidden):
        check_lift_block(asked.pk, colleague, "sorry gezegd")
    with pytest.raises(WorkflowViolation):
        check_lift_block(asked.pk, supervisor, " ")
    step = check_lift_block(asked.pk, supervisor, "excuses aangeboden")
    asked.refresh_from_db()
    assert asked.state == BlockState.LIFTED
    assert asked.lifted_by == supervisor
    assert asked.end_reason == "excuses aangeboden"
    assert step.to_state == State.WARNED


def test_after_lifting_the_partys_messages_route_again(
    conversation, agent, colleague, supervisor, channel, run_tasks
):
    """An unblocked party writing again is routed as usual: their resolved conversation comes
    back to the queue (blocked, the same message would have been closed)."""
    asked = block(conversation, agent, colleague)
    check_change_status(conversation.pk, Status.RESOLVED, actor=agent)
    check_lift_block(asked.pk, supervisor, "excuses aangeboden")
    run_tasks()
    result = receive(channel, "Sorry voor eerder, ik heb een vraag", email=CITIZEN)
    run_tasks()
    routed = Conversation.objects.get(pk=result.message.conversation_id)
    assert routed.pk == conversation.pk
    assert routed.status in (Status.QUEUED, Status.ASSIGNED)
    assert QueueEntry.objects.get(conversation=routed).state in ("waiting", "offered")


def test_a_time_boxed_block_ends_by_itself(
    conversation, agent, colleague, channel, run_tasks, events
):
    """A block until a date holds before it and not after; the periodic job records its end."""
    with time_machine.travel("2026-12-01 10:00 +0000", tick=False) as frozen:
        until = clock.now() + timedelta(days=7)
        asked = block(conversation, agent, colleague, until=until)
        assert asked.until == until
        frozen.shift(timedelta(days=6, hours=23))
        assert expire_blocks() == 0
        held = receive(channel, "Nog een dag", email=CITIZEN).message.conversation
        assert held.status == Status.CLOSED
        frozen.shift(timedelta(hours=1))
        assert conduct_of(conversation.party_id, clock.now()).state == State.WARNED  # read
        routed = receive(channel, "Een week later", email=CITIZEN).message.conversation
        assert routed.pk == conversation.pk
        assert routed.status == Status.ASSIGNED
        assert expire_blocks() == 1
        asked.refresh_from_db()
        assert asked.state == BlockState.EXPIRED
        assert expire_blocks() == 0
    assert events.named("conduct_step_taken")[-1].step == "expire"


def test_a_permanent_block_never_ends(conversation, agent, colleague, channel):
    """A block without an end date still holds years later."""
    with time_machine.travel("2026-12-01 10:00 +0000", tick=False) as frozen:
        block(conversation, agent, colleague)
        frozen.shift(timedelta(days=3 * 365))
        assert expire_blocks() == 0
        assert receive(channel, "Later", email=CITIZEN).message.conversation.status == "closed"


def test_the_screen_is_one_query_per_batch(organisation, django_assert_num_queries):
    """Asking whether senders are blocked costs one query for a whole batch, none for none."""
    from balie.conduct.screen import BlockScreen

    parties = [factories.PartyFactory(organisation=organisation).pk for _ in range(20)]
    with django_assert_num_queries(1):
        assert BlockScreen().blocked(organisation.pk, parties, clock.now()) == frozenset()
    with django_assert_num_queries(0):
        assert BlockScreen().blocked(organisation.pk, [], clock.now()) == frozenset()
