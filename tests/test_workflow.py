"""The conversation workflow table, walked as scenarios and as random walks."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balie.conversations import workflow
from balie.conversations.actions import check_change_status, do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import StatusChange
from balie.conversations.workflow import Status, TransitionNotAllowed, check_transition
from balie.core.errors import WorkflowViolation
from tests.helpers import receive

SCENARIOS = {
    "answered at once": ["queued", "assigned", "resolved", "closed"],
    "waits for the citizen, who replies": ["queued", "assigned", "pending", "assigned", "resolved"],
    "via the back office": ["queued", "assigned", "on_hold", "assigned", "resolved"],
    "declined and re-routed": ["queued", "assigned", "queued", "assigned", "resolved"],
    "citizen writes after resolution": ["queued", "assigned", "resolved", "queued"],
}


def test_closed_is_final():
    """Nothing leaves the closed status."""
    assert workflow.allowed_targets(Status.CLOSED) == []


def test_every_status_but_closed_can_reach_resolved():
    """From every open status there is a path to resolved (no dead ends)."""
    for status in Status:
        if status == Status.CLOSED:
            continue
        seen, frontier = {status}, [status]
        while frontier:
            for nxt in workflow.allowed_targets(frontier.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert Status.RESOLVED in seen or status == Status.RESOLVED


def test_closing_unanswered_needs_a_reason():
    """Closing a queued conversation without an answer requires a reason."""
    with pytest.raises(TransitionNotAllowed):
        check_transition(Status.QUEUED, Status.CLOSED, "")
    assert check_transition(Status.QUEUED, Status.CLOSED, "spam").target == Status.CLOSED


@given(st.sampled_from(list(Status)), st.sampled_from(list(Status)))
def test_check_transition_agrees_with_the_table(source, target):
    """check_transition allows exactly the pairs listed in TRANSITIONS."""
    listed = any(t.source == source and t.target == target for t in workflow.TRANSITIONS)
    try:
        check_transition(source, target, "a reason")
        allowed = True
    except TransitionNotAllowed:
        allowed = False
    assert allowed == listed


@given(st.lists(st.sampled_from(list(Status)), max_size=30))
def test_random_walks_only_follow_the_table(steps):
    """Whatever sequence of moves is attempted, the status only changes along listed edges."""
    status = Status.NEW
    for target in steps:
        try:
            check_transition(status, target, "reason")
        except TransitionNotAllowed:
            assert (status, target) not in {(t.source, t.target) for t in workflow.TRANSITIONS}
            continue
        assert (status, target) in {(t.source, t.target) for t in workflow.TRANSITIONS}
        status = target
    assert status in Status


@pytest.mark.django_db
@pytest.mark.parametrize("name", SCENARIOS)
def test_scenarios_through_the_actions(name, channel, agent):
    """Each scenario walks through the actions and leaves one history row per step."""
    conversation = receive(channel).message.conversation
    for target in SCENARIOS[name]:
        with transaction.atomic():
            if target == "assigned":
                do_assign(lock_conversation(conversation.pk), agent, actor=agent, reason="test")
            else:
                check_change_status(conversation.pk, target, actor=agent, reason="test")
    conversation.refresh_from_db()
    assert conversation.status == SCENARIOS[name][-1]
    history = list(StatusChange.objects.filter(conversation=conversation))
    assert [h.to_status for h in history] == SCENARIOS[name]
    assert [h.from_status for h in history] == ["new", *SCENARIOS[name][:-1]]


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.sampled_from([s.value for s in Status]), max_size=12))
def test_random_walks_through_the_actions_keep_history_consistent(steps, channel, agent):
    """Random status requests either apply and add history, or fail with 409 and change nothing."""
    conversation = receive(channel, email=f"{uuid.uuid4().hex}@example.nl").message.conversation
    status = "new"
    for target in steps:
        before = StatusChange.objects.filter(conversation=conversation).count()
        try:
            with transaction.atomic():
                check_change_status(conversation.pk, target, actor=agent, reason="r")
            status = target
            assert StatusChange.objects.filter(conversation=conversation).count() == before + 1
        except WorkflowViolation:
            assert StatusChange.objects.filter(conversation=conversation).count() == before
        conversation.refresh_from_db()
        assert conversation.status == status
