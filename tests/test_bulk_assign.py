"""do_assign_many: the same outcome as do_assign one by one, in a constant number of writes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from balie.conversations.actions import do_assign, do_assign_many, do_change_status
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation, StatusChange
from balie.conversations.workflow import Status
from balie.core.errors import WorkflowViolation
from balie.core.sql import update_rows
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

#: The statuses the conversations start in, and who (if anyone) has them.
STARTS = [
    (Status.NEW, None),
    (Status.QUEUED, None),
    (Status.ASSIGNED, "other"),
    (Status.ASSIGNED, "target"),
    (Status.RESOLVED, "other"),
    (Status.PENDING, "target"),
]


def prepare(channel: Any, agents: dict[str, Any], tag: str) -> list[int]:
    """Conversations in the ``STARTS`` statuses, made through the real actions."""
    ids = []
    for i, (status, holder) in enumerate(STARTS):
        conversation = receive(channel, email=f"{tag}{i}@example.nl").message.conversation
        with transaction.atomic():
            locked = lock_conversation(conversation.pk)
            if status == Status.QUEUED:
                do_change_status(locked, Status.QUEUED, reason="waiting")
            elif holder is not None:
                do_assign(locked, agents[holder], reason="setup")
                if status != Status.ASSIGNED:
                    do_change_status(locked, status, reason="setup")
        ids.append(conversation.pk)
    return ids


def outcome(ids: list[int], since: int, events: list[Any]) -> tuple[Any, ...]:
    """Statuses, assignees, new history rows and events, with ids replaced by positions."""
    position = {pk: i for i, pk in enumerate(ids)}
    rows = Conversation.objects.in_bulk(ids)
    states = [(rows[pk].status, rows[pk].assignee_id) for pk in ids]
    history = [
        (position[h.conversation_id], h.from_status, h.to_status, h.actor_id, h.reason)
        for h in StatusChange.objects.filter(conversation_id__in=ids, pk__gt=since).order_by("pk")
    ]
    published = []
    for evt in events:
        payload = evt.to_payload()
        payload["conversation_id"] = position[payload["conversation_id"]]
        published.append((evt.name, payload))
    return states, history, published


def last_history_id() -> int:
    return StatusChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_bulk_assignment_equals_assigning_one_by_one(channel, events):
    """Statuses, assignees, history rows and events match do_assign called once per pair."""
    org = channel.organisation
    agents = {
        "target": factories.AgentFactory(organisation=org),
        "other": factories.AgentFactory(organisation=org),
        "actor": factories.AgentFactory(organisation=org),
    }
    one_ids = prepare(channel, agents, "one")
    bulk_ids = prepare(channel, agents, "bulk")

    since, mark = last_history_id(), len(events)
    with transaction.atomic():
        for pk in one_ids:
            do_assign(lock_conversation(pk), agents["target"], actor=agents["actor"], reason="r")
    one = outcome(one_ids, since, events[mark:])

    since, mark = last_history_id(), len(events)
    with transaction.atomic():
        locked = [lock_conversation(pk) for pk in bulk_ids]
        changed = do_assign_many(
            [(c, agents["target"]) for c in locked], actor=agents["actor"], reason="r"
        )
    bulk = outcome(bulk_ids, since, events[mark:])

    assert bulk == one
    assert {c.pk for c in changed} == set(bulk_ids) - {bulk_ids[3]}  # the one already theirs
    assert all(status == Status.ASSIGNED for status, _ in bulk[0])


def test_a_refused_transition_writes_and_publishes_nothing(channel, agent, events):
    """One closed conversation in the batch: WorkflowViolation, and the others stay as they were."""
    fine = receive(channel, email="a@example.nl").message.conversation
    closed = receive(channel, email="b@example.nl").message.conversation
    with transaction.atomic():
        do_change_status(lock_conversation(closed.pk), Status.CLOSED, reason="spam")
    mark = len(events)

    def assign_both() -> None:
        with transaction.atomic():
            pairs = [(lock_conversation(fine.pk), agent), (lock_conversation(closed.pk), agent)]
            do_assign_many(pairs, reason="routed")

    with pytest.raises(WorkflowViolation):
        assign_both()
    assert Conversation.objects.get(pk=fine.pk).status == Status.NEW
    assert events[mark:] == []


def test_an_agent_of_another_organisation_is_refused(channel):
    """Assigning to an agent of another organisation raises before anything is written."""
    stranger = factories.AgentFactory(organisation=factories.OrganisationFactory(slug="elders"))
    conversation = receive(channel).message.conversation
    with pytest.raises(WorkflowViolation, match="another organisation"), transaction.atomic():
        do_assign_many([(lock_conversation(conversation.pk), stranger)])


def test_many_conversations_take_three_writes(channel, agent, django_assert_num_queries):
    """Ten conversations: one UPDATE, one history INSERT and one task INSERT, nothing more."""
    ids = [receive(channel, email=f"c{i}@example.nl").message.conversation.pk for i in range(10)]
    with transaction.atomic():
        locked = list(Conversation.objects.select_for_update().filter(pk__in=ids))
        with django_assert_num_queries(3):
            do_assign_many([(c, agent) for c in locked], reason="by a test")
    assert set(Conversation.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.ASSIGNED
    }
    assert StatusChange.objects.filter(conversation_id__in=ids, to_status="assigned").count() == 10


def test_update_rows_writes_each_rows_own_values(channel, agent):
    """update_rows sets per-row values of several types (text, foreign key, time) in one go."""
    conversations = [
        receive(channel, email=f"u{i}@example.nl").message.conversation for i in (1, 2)
    ]
    first, second = conversations
    first.status, first.assignee_id = Status.ASSIGNED, agent.pk
    second.status, second.assignee_id = Status.QUEUED, None
    stamp = timezone.now() - timedelta(days=3)
    for conversation in conversations:
        conversation.updated_at = stamp
    update_rows(Conversation, conversations, ["status", "assignee_id", "updated_at"])
    rows = Conversation.objects.in_bulk([first.pk, second.pk])
    assert (rows[first.pk].status, rows[first.pk].assignee_id) == (Status.ASSIGNED, agent.pk)
    assert (rows[second.pk].status, rows[second.pk].assignee_id) == (Status.QUEUED, None)
    assert rows[first.pk].updated_at == rows[second.pk].updated_at == stamp
