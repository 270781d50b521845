"""Transfer from the workspace: a conversation to a colleague or back to a team's queue.

An agent transfers their own conversation: to a team (back in that team's queue, where the
router finds it someone) or to a colleague the router would give it to (skill, training,
language, capacity: :func:`balie.routing.eligibility.may_take`). A supervisor transfers any
visible conversation: to a colleague over the router's rules (:func:`check_assign_by_hand`)
or to a team. Always with a reason; each transfer is a history row on the conversation and a
routing record.
"""

from __future__ import annotations

from django.db import transaction

from balie.conversations.access import is_supervisor
from balie.conversations.actions import do_assign, do_change_status
from balie.conversations.actions.edit import do_record_change
from balie.conversations.actions.status import lock_conversation
from balie.conversations.workflow import Status
from balie.core.errors import Forbidden, InvalidInput, WorkflowViolation
from balie.organisations.models import Agent, Team
from balie.routing.actions import lock_entry
from balie.routing.eligibility import may_take
from balie.routing.engine import record
from balie.routing.models import AgentRoutingState
from balie.routing.supervise import check_assign_by_hand


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput("give a reason for the transfer", code="reason_required")
    return reason[:500]


def check_transfer_to_agent(
    conversation_id: int, agent_id: int, *, actor: Agent, reason: str
) -> None:
    """Give the conversation to a colleague (see the module docstring for who may)."""
    reason = _reason(reason)
    if is_supervisor(actor):
        check_assign_by_hand(conversation_id, agent_id, actor=actor, reason=reason)
        _note_assignee(conversation_id, actor=actor, reason=reason)
        return
    with transaction.atomic():
        lock_entry(conversation_id)  # the lock order of routing.actions: entry, then conversation
        conversation = lock_conversation(conversation_id)
        if conversation.assignee_id != actor.pk:
            raise Forbidden("only its agent or a supervisor transfers it", code="not_assigned")
        colleague = (
            Agent.objects.select_related("organisation")
            .filter(pk=agent_id, organisation_id=conversation.organisation_id)
            .first()
        )
        if colleague is None:
            raise InvalidInput("unknown colleague", code="unknown_agent")
        if colleague.pk == actor.pk:
            raise InvalidInput("the conversation is already yours", code="same_agent")
        if not may_take(colleague, conversation):
            raise Forbidden(
                "this colleague lacks a skill, training, language or free capacity for it",
                code="not_eligible",
            )
        AgentRoutingState.objects.select_for_update(no_key=True).get_or_create(agent=colleague)
        old = actor.display_name
        do_assign(conversation, colleague, actor=actor, reason=reason)
        do_record_change(
            conversation, "assignee", old, colleague.display_name, actor=actor, reason=reason
        )
        record(conversation_id, "transferred", agent_id=colleague.pk, actor=actor, reason=reason)


def _note_assignee(conversation_id: int, *, actor: Agent, reason: str) -> None:
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        name = conversation.assignee.display_name if conversation.assignee else ""
        do_record_change(conversation, "assignee", "", name, actor=actor, reason=reason)


def check_transfer_to_team(
    conversation_id: int, team_id: int, *, actor: Agent, reason: str
) -> None:
    """Put the conversation in a team's queue: the team is set, the agent let go, and the
    router (on the status change) finds it someone of that team."""
    reason = _reason(reason)
    supervisor = is_supervisor(actor)
    with transaction.atomic():
        lock_entry(conversation_id)
        conversation = lock_conversation(conversation_id)
        if not supervisor and conversation.assignee_id != actor.pk:
            raise Forbidden("only its agent or a supervisor transfers it", code="not_assigned")
        team = Team.objects.filter(pk=team_id, organisation_id=conversation.organisation_id).first()
        if team is None:
            raise InvalidInput("unknown team", code="unknown_team")
        old = conversation.team.name if conversation.team_id else ""  # type: ignore[union-attr]
        conversation.team = team
        conversation.save(update_fields=["team", "updated_at"])
        do_record_change(conversation, "team", old, team.name, actor=actor, reason=reason)
        status = Status(conversation.status)
        if status not in (Status.NEW, Status.QUEUED):
            if status == Status.CLOSED:
                raise WorkflowViolation("a closed conversation cannot be transferred")
            do_change_status(
                conversation, Status.QUEUED, actor=actor, reason=f"to {team.name}: {reason}"
            )
        record(conversation_id, "transferred", actor=actor, reason=f"{team.name}: {reason}")
