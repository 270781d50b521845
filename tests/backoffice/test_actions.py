"""The forwarding flow through the actions: forward, the citizen told the term, the back
office answers or asks for more time, the conversation back with its agent; every step in the
task's and the conversation's history and a reporting fact."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from balie.backoffice.actions import (
    check_answer,
    check_forward,
    check_request_extension,
    check_withdraw,
)
from balie.backoffice.models import FactKind, Task, TaskFact, TaskStep
from balie.backoffice.workflow import TaskState
from balie.conversations.models import Conversation, ConversationChange, Direction, Message
from balie.core.errors import InvalidInput, WorkflowViolation
from tests.backoffice.conftest import assigned_conversation

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def outbound(conversation_id: int) -> list[str]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, direction=Direction.OUTBOUND)
        .order_by("pk")
        .values_list("body", flat=True)
    )


@time_machine.travel(local(2026, 11, 26, 10, 0), tick=False)
def test_forward_puts_the_conversation_on_hold_and_tells_the_citizen_the_term(desk, events):
    """Thursday 10.00 with a two-working-day term: due Monday 17.00 (over the weekend)."""
    message = assigned_conversation(desk)
    task = check_forward(
        message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
        requested_action="Beoordeel of de eik gekapt mag worden", message_ids=[message.pk],
    )  # fmt: skip
    assert task.due_at == local(2026, 11, 30, 17, 0)
    assert task.state == TaskState.OPEN
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == "on_hold"
    told = outbound(conversation.pk)
    assert len(told) == 1
    assert "maandag 30 november vóór 17.00 uur" in told[0]
    assert "Vergunningen" in told[0]
    notice = Message.objects.get(conversation=conversation, direction=Direction.OUTBOUND)
    assert notice.metadata["balie"] == {"automatic": "backoffice_term", "reply_obligation": False}
    change = ConversationChange.objects.get(conversation=conversation, field="backoffice")
    assert (change.old_value, change.new_value) == (
        f"{task.reference} Vergunningen",
        "doorgestuurd",
    )
    assert TaskFact.objects.get(task=task).kind == FactKind.FORWARDED
    assert [e.to_state for e in events.named("backoffice_task_changed")] == ["open"]


@time_machine.travel(local(2026, 12, 23, 10, 0), tick=False)
def test_the_term_skips_christmas(desk):
    """Wednesday 23 December: Thursday 24th counts, Christmas and the weekend do not."""
    message = assigned_conversation(desk)
    task = check_forward(
        message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
        requested_action="Controleer de aanvraag", message_ids=[message.pk],
    )  # fmt: skip
    assert task.due_at == local(2026, 12, 28, 17, 0)


def test_answer_returns_the_conversation_to_its_agent_with_a_note(desk, events):
    """The back office's answer is a note; the conversation is the agent's again."""
    message = assigned_conversation(desk)
    task = check_forward(
        message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
        requested_action="Beoordeel de kap", message_ids=[message.pk],
    )  # fmt: skip
    check_answer(task.pk, desk.backoffice, "Ja, met een herplantplicht.")
    task.refresh_from_db()
    assert task.state == TaskState.ANSWERED
    assert task.closed_at is not None
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == "assigned"
    assert conversation.assignee_id == desk.agent.pk
    note = Message.objects.filter(conversation=conversation, direction=Direction.NOTE).last()
    assert note is not None
    assert "herplantplicht" in note.body
    fact = TaskFact.objects.get(task=task, kind=FactKind.ANSWERED)
    assert fact.met is True


def test_more_time_sets_the_new_term_and_tells_the_citizen_again(desk):
    """An extension asks with a reason, sets the new term, tells the citizen it."""
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):
        message = assigned_conversation(desk)
        task = check_forward(
            message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
            requested_action="Beoordeel de kap", message_ids=[message.pk],
        )  # fmt: skip
        check_request_extension(
            task.pk, desk.backoffice, "Boomdeskundige nodig", local(2026, 12, 4, 12, 0)
        )
    task.refresh_from_db()
    assert task.state == TaskState.EXTENDED
    assert task.extensions == 1
    assert task.due_at == local(2026, 12, 4, 12, 0)
    assert list(task.steps.values_list("to_state", flat=True)) == [
        "open", "extension_requested", "extended",
    ]  # fmt: skip
    told = outbound(message.conversation_id)
    assert len(told) == 2
    assert "vrijdag 4 december vóór 12.00 uur" in told[1]


def test_a_later_term_is_required_and_a_reason(desk):
    """An extension to an earlier date or without a reason is refused; nothing changes."""
    message = assigned_conversation(desk)
    task = check_forward(
        message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
        requested_action="Beoordeel de kap", message_ids=[message.pk],
    )  # fmt: skip
    with pytest.raises(InvalidInput):
        check_request_extension(task.pk, desk.backoffice, "later", task.due_at)
    with pytest.raises(InvalidInput):
        check_request_extension(task.pk, desk.backoffice, " ", local(2027, 1, 4, 12, 0))
    assert TaskStep.objects.filter(task=task).count() == 1


def test_bad_forwards_write_nothing(desk):
    """No action, a foreign message or an unknown team: 400 and no task."""
    message = assigned_conversation(desk)
    other = assigned_conversation(desk, "Andere vraag")
    cases = [
        {"team_id": desk.vergunningen.pk, "requested_action": " ", "message_ids": [message.pk]},
        {"team_id": desk.vergunningen.pk, "requested_action": "x", "message_ids": []},
        {"team_id": 999_999, "requested_action": "x", "message_ids": [message.pk]},
    ]
    if other.conversation_id != message.conversation_id:
        cases.append(
            {"team_id": desk.vergunningen.pk, "requested_action": "x", "message_ids": [other.pk]}
        )
    for case in cases:
        with pytest.raises(InvalidInput):
            check_forward(message.conversation_id, desk.agent, **case)  # type: ignore[arg-type]
    assert not Task.objects.exists()
    assert Conversation.objects.get(pk=message.conversation_id).status == "assigned"


def test_a_conversation_not_being_worked_cannot_be_forwarded(desk):
    """Only an assigned conversation goes on hold (409)."""
    message = assigned_conversation(desk)
    Conversation.objects.filter(pk=message.conversation_id).update(status="queued")
    with pytest.raises(WorkflowViolation):
        check_forward(
            message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
            requested_action="x", message_ids=[message.pk],
        )  # fmt: skip
    assert not Task.objects.exists()


def test_withdraw_and_no_answer_after(desk):
    """A withdrawn task returns the conversation and can no longer be answered."""
    message = assigned_conversation(desk)
    task = check_forward(
        message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
        requested_action="x", message_ids=[message.pk],
    )  # fmt: skip
    check_withdraw(task.pk, desk.agent, "Zelf beantwoord")
    assert Conversation.objects.get(pk=message.conversation_id).status == "assigned"
    with pytest.raises(WorkflowViolation):
        check_answer(task.pk, desk.backoffice, "Te laat")
