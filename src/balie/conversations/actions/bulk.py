"""Assignment of many conversations at once (the router's batches).

The same outcome as :func:`balie.conversations.actions.status.do_assign` called once per pair,
in the same order: the same statuses and assignees, the same history rows, the same events
(``ConversationAssigned`` then ``ConversationStatusChanged`` per conversation), each transition
checked against the workflow table; but one UPDATE for all conversations, one INSERT for all
history rows and one INSERT for all handler tasks.
"""

from __future__ import annotations

from collections.abc import Sequence

from balie.conversations import workflow
from balie.conversations.actions.status import set_assignee, status_changed
from balie.conversations.models import Conversation, StatusChange
from balie.conversations.workflow import Status
from balie.core import clock, events
from balie.core.errors import WorkflowViolation
from balie.core.sql import Statement, insert_statement, run_statements, update_statement
from balie.organisations.models import Agent


def do_assign_many(
    pairs: Sequence[tuple[Conversation, Agent]],
    *,
    actor: Agent | None = None,
    reason: str = "",
    defer: list[Statement] | None = None,
) -> list[Conversation]:
    """Give each conversation to its agent and move it to ``assigned``; returns those changed.

    Precondition: inside a transaction, every conversation locked by the caller (as for
    ``do_assign``), each conversation at most once. Every pair is checked before anything is
    written: a pair the workflow table or the organisation check refuses raises
    WorkflowViolation and nothing of the batch is written or published. Capacity checks are
    the router's job (it holds the agents' locks). With ``defer``, the two writes are
    appended to it for the caller to run (:func:`run_statements`, before the transaction
    ends) together with its own.
    """
    moves: list[tuple[Conversation, Agent, Status]] = []
    for conversation, agent in pairs:
        if agent.organisation_id != conversation.organisation_id:
            raise WorkflowViolation("the agent works for another organisation", code="wrong_org")
        source = Status(conversation.status)
        if source == Status.ASSIGNED and conversation.assignee_id == agent.pk:
            continue  # already theirs: do_assign changes nothing either
        if source != Status.ASSIGNED:
            try:
                workflow.check_transition(source, Status.ASSIGNED, reason)
            except workflow.TransitionNotAllowed as exc:
                raise WorkflowViolation(str(exc)) from exc
        moves.append((conversation, agent, source))
    if not moves:
        return []
    now = clock.now()  # what auto_now would write; the UPDATE below does not run it
    history: list[StatusChange] = []
    with events.batch():
        for conversation, agent, source in moves:
            set_assignee(conversation, agent, actor=actor, reason=reason)
            conversation.updated_at = now
            if source == Status.ASSIGNED:
                continue  # a reassignment: no status change, as in do_assign
            conversation.status = Status.ASSIGNED
            history.append(
                status_changed(conversation, source, Status.ASSIGNED, actor=actor, reason=reason)
            )
        changed = [conversation for conversation, _, _ in moves]
        writes = [
            update_statement(Conversation, changed, ["assignee_id", "status", "updated_at"]),
            insert_statement(StatusChange, history),
        ]
        if defer is None:
            for write in writes:  # one statement each, as before
                run_statements([write])
        else:
            defer.extend(writes)
    return changed
