"""Supervisors' hands on the queue: move, reprioritise, assign by hand; always with a reason."""

from __future__ import annotations

from django.db import transaction

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.workflow import Status
from balie.core.errors import Forbidden, InvalidInput, WorkflowViolation
from balie.organisations.models import Agent, Topic
from balie.routing.actions import do_move_entry, do_withdraw_offers, lock_entry
from balie.routing.engine import record, route_entry
from balie.routing.models import AgentRoutingState, EntryState, QueueEntry


def _check(actor: Agent, reason: str, organisation_id: int) -> str:
    if not actor.is_supervisor or actor.organisation_id != organisation_id:
        raise Forbidden("only a supervisor of this organisation may do this")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("give a reason", code="reason_required")
    return reason


def _entry(conversation_id: int) -> QueueEntry:
    entry = lock_entry(conversation_id)
    if entry is None:
        raise WorkflowViolation("the conversation is not in the queue", code="not_queued")
    return entry


def check_reprioritise(conversation_id: int, priority: int, *, actor: Agent, reason: str) -> None:
    """Change a queued contact's priority (higher goes first)."""
    with transaction.atomic():
        entry = _entry(conversation_id)
        reason = _check(actor, reason, entry.organisation_id)
        conversation = lock_conversation(conversation_id)
        entry.priority = conversation.priority = priority
        entry.save(update_fields=["priority"])
        conversation.save(update_fields=["priority", "updated_at"])
        record(conversation_id, "reprioritised", actor=actor, reason=f"{priority}: {reason}")


def check_move(conversation_id: int, topic_code: str, *, actor: Agent, reason: str) -> None:
    """Move a queued contact to another topic (so other agents qualify), and route it again."""
    with transaction.atomic():
        entry = _entry(conversation_id)
        reason = _check(actor, reason, entry.organisation_id)
        topic = Topic.objects.filter(organisation_id=entry.organisation_id, code=topic_code).first()
        if topic is None:
            raise InvalidInput(f"unknown topic {topic_code!r}", code="unknown_topic")
        conversation = lock_conversation(conversation_id)
        conversation.topic, conversation.team = topic, topic.team or conversation.team
        conversation.save(update_fields=["topic", "team", "updated_at"])
        record(conversation_id, "moved", actor=actor, reason=f"{topic_code}: {reason}")
    if entry.state == EntryState.WAITING:
        route_entry(entry)


def check_assign_by_hand(conversation_id: int, agent_id: int, *, actor: Agent, reason: str) -> None:
    """Give a contact to a chosen agent, over the router and over capacity, with a reason.

    Locks the queue entry, then the conversation, then the agent's routing state (the lock
    order of :mod:`balie.routing.actions`)."""
    with transaction.atomic():
        entry = lock_entry(conversation_id)
        conversation = lock_conversation(conversation_id)
        reason = _check(actor, reason, conversation.organisation_id)
        agent = Agent.objects.filter(
            pk=agent_id, organisation_id=conversation.organisation_id
        ).first()
        if agent is None:
            raise InvalidInput("unknown agent", code="unknown_agent")
        if entry is not None and conversation.status in (Status.NEW, Status.QUEUED):
            # Taken out of the queue now: no agent may accept it meanwhile.
            do_withdraw_offers([entry])
            do_move_entry(entry, EntryState.ASSIGNED, agent_id=agent.pk)
        AgentRoutingState.objects.select_for_update(no_key=True).get_or_create(agent=agent)
        do_assign(conversation, agent, actor=actor, reason=reason)
        record(conversation_id, "assigned_by_hand", agent_id=agent.pk, actor=actor, reason=reason)
