"""Status changes and assignment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from balie.conversations import workflow
from balie.conversations.events import ConversationAssigned, ConversationStatusChanged
from balie.conversations.models import Conversation, StatusChange
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.errors import WorkflowViolation
from balie.core.events import publish
from balie.organisations.models import Agent


def lock_conversation(conversation_id: int) -> Conversation:
    """Fetch a conversation with its row locked for the rest of the transaction."""
    return Conversation.objects.select_for_update(no_key=True).get(pk=conversation_id)


def lock_conversations(conversation_ids: Iterable[int]) -> dict[int, Conversation]:
    """Fetch conversations with their rows locked, by id, in one query. Locked in id order,
    as every writer that locks several does, so two of them never wait on each other."""
    return {
        c.pk: c
        for c in Conversation.objects.select_for_update(no_key=True)
        .filter(pk__in=set(conversation_ids))
        .order_by("pk")
    }


def do_change_status(
    conversation: Conversation,
    target: Status,
    *,
    actor: Agent | None = None,
    reason: str = "",
    klantcontact: dict[str, Any] | None = None,
) -> Conversation:
    """Move ``conversation`` to ``target`` per the workflow table; records history and events.

    ``klantcontact``: what the agent gave for the klantcontact a resolution records
    (``inhoud``, ``gelukt``; the after-call form). Precondition: inside a transaction,
    ``conversation`` locked (``lock_conversation``). Raises WorkflowViolation if the table
    does not allow the move.
    """
    do_change_statuses(
        [conversation], target, actor=actor, reason=reason, klantcontact=klantcontact
    )
    return conversation


def do_change_statuses(
    conversations: Sequence[Conversation],
    target: Status,
    *,
    actor: Agent | None = None,
    reason: str = "",
    klantcontact: dict[str, Any] | None = None,
) -> None:
    """:func:`do_change_status` for many conversations: every move is checked before anything
    is written; then one UPDATE, one INSERT of history rows, the events in order.

    Precondition: inside a transaction, every conversation locked, each at most once.
    """
    sources = [Status(conversation.status) for conversation in conversations]
    for source in sources:
        try:
            workflow.check_transition(source, target, reason)
        except workflow.TransitionNotAllowed as exc:
            raise WorkflowViolation(str(exc)) from exc
    if not conversations:
        return
    now = clock.now()
    changes: dict[str, object] = {"status": target, "updated_at": now}
    if target == Status.RESOLVED:
        changes["resolved_at"] = now
    if target == Status.QUEUED:
        changes["assignee"] = None
    history = []
    for conversation, source in zip(conversations, sources, strict=True):
        conversation.status, conversation.updated_at = target, now
        if target == Status.RESOLVED:
            conversation.resolved_at = now
        if target == Status.QUEUED and conversation.assignee_id is not None:
            set_assignee(conversation, None, actor=actor, reason=reason or "unassigned")
        history.append(status_changed(conversation, source, target, actor=actor, reason=reason))
    Conversation.objects.filter(pk__in=[c.pk for c in conversations]).update(**changes)
    StatusChange.objects.bulk_create(history)
    if target == Status.RESOLVED:
        from balie.conversations.actions.klantcontact import do_record_klantcontact

        for conversation in conversations:
            do_record_klantcontact(
                conversation, agent=actor or conversation.assignee, **(klantcontact or {})
            )


def status_changed(
    conversation: Conversation,
    source: Status,
    target: Status,
    *,
    actor: Agent | None,
    reason: str,
) -> StatusChange:
    """The history row of one status move (for the caller to insert, with its batch) and its
    ``ConversationStatusChanged`` event, published now: the one place both are built.

    Precondition: inside a transaction, the move checked against the workflow table.
    """
    publish(
        ConversationStatusChanged(
            conversation_id=conversation.pk,
            from_status=source.value,
            to_status=target.value,
            actor_agent_id=actor.pk if actor else None,
            reason=reason[:500],
            organisation_id=conversation.organisation_id,
        )
    )
    return StatusChange(
        conversation=conversation,
        from_status=source,
        to_status=target,
        actor=actor,
        reason=reason[:500],
    )


def check_change_status(
    conversation_id: int, target: str, *, actor: Agent | None, reason: str = ""
) -> Conversation:
    """Validate a requested status change (from the API or workspace) and apply it, in its
    own transaction (joining the caller's, if any)."""
    try:
        status = Status(target)
    except ValueError as exc:
        raise WorkflowViolation(f"unknown status {target!r}", code="unknown_status") from exc
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        return do_change_status(conversation, status, actor=actor, reason=reason)


def set_assignee(
    conversation: Conversation, agent: Agent | None, *, actor: Agent | None, reason: str
) -> None:
    """Set (or clear) the assignee in memory and publish ConversationAssigned; the caller
    writes the row."""
    previous = conversation.assignee_id
    conversation.assignee = agent
    publish(
        ConversationAssigned(
            conversation_id=conversation.pk,
            agent_id=agent.pk if agent else None,
            previous_agent_id=previous,
            actor_agent_id=actor.pk if actor else None,
            reason=reason[:500],
            organisation_id=conversation.organisation_id,
        )
    )


def do_assign(
    conversation: Conversation, agent: Agent, *, actor: Agent | None = None, reason: str = ""
) -> Conversation:
    """Give ``conversation`` to ``agent`` and move it to ``assigned``.

    Precondition: inside a transaction, ``conversation`` locked. Capacity checks are the
    router's job (it holds the agent's lock when it calls this).
    """
    from balie.conversations.actions.bulk import do_assign_many  # it builds on this module

    do_assign_many([(conversation, agent)], actor=actor, reason=reason)
    return conversation
