"""Every change of a party's conduct goes through these functions (STYLE.md's verbs).

``check_*`` validates, owns its transaction and calls ``do_*``; ``do_*`` writes under the
party's locked state row, records a :class:`ConductStep` and publishes ConductStepTaken.
Who may call which is decided before, in :mod:`balie.conduct.access`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from balie.conduct.events import ConductStepTaken
from balie.conduct.models import Block, BlockState, ConductState, ConductStep
from balie.conduct.templates import language_for, render, until_text
from balie.conduct.workflow import State, Step, StepNotAllowed, check_step
from balie.conversations.access import is_supervisor, visible_conversations
from balie.conversations.actions import check_send_reply
from balie.conversations.actions.notes import do_mention, mentionable, mentioned_usernames
from balie.conversations.actions.reply import check_add_note
from balie.conversations.models import Conversation, Message
from balie.core import clock
from balie.core.errors import Forbidden, InvalidInput, NotFound, WorkflowViolation
from balie.core.events import publish
from balie.organisations.models import Agent, AgentRole

#: the steps an agent takes from a conversation with :func:`check_take_step`
CONVERSATION_STEPS = frozenset(
    {Step.NAME, Step.WARN, Step.REMIND, Step.ANNOUNCE, Step.REQUEST_BLOCK, Step.CONSULT}
)
MAX_MESSAGES = 50


@dataclass(frozen=True)
class StepInput:
    """What the agent chose for a step taken from a conversation."""

    step: str
    message_ids: Sequence[int] = ()
    body: str = ""  # the text to send (or the question to colleagues); empty: the template
    tone: str = ""  # "u" or "je"; empty: the conversation's (the agent's choice or Balie's)
    reason: str = ""
    until: datetime | None = None  # a block's end; None: permanent


def tone_of(conversation: Conversation) -> str:
    """The conversation's form of address: the agent's choice, else Balie's suggestion from
    the citizen's writing, else formal (the replies app decides)."""
    from balie.replies.library import suggestion

    return suggestion(conversation).effective


def lock_state(party_id: int, organisation_id: int) -> ConductState:
    """The party's conduct state, created when absent, with its row locked.

    Precondition: inside a transaction. Every step locks this row first (one order)."""
    ConductState.objects.get_or_create(
        party_id=party_id,
        defaults={"organisation_id": organisation_id, "updated_at": clock.now()},
    )
    return ConductState.objects.select_for_update(no_key=True).get(party_id=party_id)


def _step_error(exc: StepNotAllowed) -> WorkflowViolation:
    code = "reason_required" if "needs a reason" in str(exc) else "conduct_step"
    return WorkflowViolation(str(exc), code=code)


def do_record_step(
    state: ConductState,
    step: Step,
    *,
    agent: Agent | None,
    conversation: Conversation | None = None,
    reason: str = "",
    body: str = "",
    message: Message | None = None,
    not_sent: str = "",
    block: Block | None = None,
    concerning: Sequence[Message] = (),
) -> ConductStep:
    """Move ``state`` by ``step`` per the table; write the history row and publish the event.

    Precondition: inside a transaction, ``state`` locked (:func:`lock_state`)."""
    try:
        transition = check_step(State(state.state), step, reason)
    except StepNotAllowed as exc:
        raise _step_error(exc) from exc
    now = clock.now()
    row = ConductStep.objects.create(
        organisation_id=state.organisation_id,
        party_id=state.party_id,
        conversation=conversation,
        step=step,
        from_state=transition.source,
        to_state=transition.target,
        agent=agent,
        reason=reason[:2000],
        body=body,
        message=message,
        not_sent=not_sent[:300],
        block=block,
        created_at=now,
    )
    if concerning:
        row.concerning.set(concerning)
    state.state, state.updated_at = transition.target, now
    state.save(update_fields=["state", "updated_at"])
    publish(
        ConductStepTaken(
            step_id=row.pk,
            party_id=state.party_id,
            organisation_id=state.organisation_id,
            step=step.value,
            from_state=transition.source.value,
            to_state=transition.target.value,
            conversation_id=conversation.pk if conversation else None,
            by_agent_id=agent.pk if agent else None,
        )
    )
    return row


def _concerning(conversation: Conversation, message_ids: Sequence[int]) -> list[Message]:
    ids = list(dict.fromkeys(message_ids))
    if len(ids) > MAX_MESSAGES:
        raise InvalidInput(f"choose at most {MAX_MESSAGES} messages", code="conduct_messages")
    found = list(Message.objects.filter(conversation=conversation, pk__in=ids))
    if len(found) != len(ids):
        raise InvalidInput("a chosen message is not in this conversation", code="conduct_messages")
    return found


def _send(conversation: Conversation, agent: Agent, body: str) -> tuple[Message | None, str]:
    """Send through the ordinary reply action; a channel's refusal (WhatsApp's window, a
    closed conversation) is kept as the reason it was not sent, in the step's transaction."""
    try:
        with transaction.atomic():  # a savepoint: the refusal leaves the step's work intact
            return check_send_reply(conversation.pk, agent, body), ""
    except WorkflowViolation as exc:
        return None, f"{exc.code}: {exc.message}"


def _block_until(until: datetime | None, now: datetime) -> datetime | None:
    if until is not None and until <= now:
        raise InvalidInput("the end of the block must lie in the future", code="until_past")
    return until


def expire_if_due(state: ConductState, now: datetime) -> None:
    """A block whose end passed ends now (the clock's step). Precondition: ``state`` locked."""
    if state.state != State.BLOCKED:
        return
    block = (
        Block.objects.select_for_update(no_key=True)
        .filter(party_id=state.party_id, state=BlockState.ACTIVE, until__lte=now)
        .first()
    )
    if block is None:
        return
    block.state, block.ended_at = BlockState.EXPIRED, now
    block.save(update_fields=["state", "ended_at"])
    do_record_step(state, Step.EXPIRE, agent=None, block=block, reason="the end date passed")


def check_take_step(conversation: Conversation, agent: Agent, given: StepInput) -> ConductStep:
    """A step from a conversation: name, warn, remind, announce (each sends its message),
    ask to block (waits for a second person) or consult colleagues (a note to the team).

    ``conversation`` was opened through ``access`` for the step (reply or note). Refusals:
    WorkflowViolation (409) for a step the table does not allow from the party's state,
    InvalidInput (400) for bad input; nothing is written then.
    """
    try:
        step = Step(given.step)
    except ValueError as exc:
        raise InvalidInput(f"unknown step {given.step!r}", code="conduct_step") from exc
    if step not in CONVERSATION_STEPS:
        raise InvalidInput(f"{step} is not taken from a conversation", code="conduct_step")
    with transaction.atomic():
        now = clock.now()
        state = lock_state(conversation.party_id, conversation.organisation_id)
        expire_if_due(state, now)
        try:
            check_step(State(state.state), step, given.reason or given.body)
        except StepNotAllowed as exc:
            raise _step_error(exc) from exc
        concerning = _concerning(conversation, given.message_ids)
        if step == Step.CONSULT:
            return _consult(state, conversation, agent, given.body or given.reason, concerning)
        if step == Step.REQUEST_BLOCK:
            return _request_block(state, conversation, agent, given, concerning, now)
        language = language_for(conversation.language)
        tone = given.tone or tone_of(conversation)
        body = given.body.strip() or render(step, language, tone)
        message, not_sent = _send(conversation, agent, body)
        return do_record_step(
            state,
            step,
            agent=agent,
            conversation=conversation,
            reason=given.reason,
            body=body,
            message=message,
            not_sent=not_sent,
            concerning=concerning,
        )


def _consult(
    state: ConductState,
    conversation: Conversation,
    agent: Agent,
    question: str,
    concerning: list[Message],
) -> ConductStep:
    """A note asking colleagues; everyone of the conversation's team who may see it (or the
    organisation's supervisors, when it has no team) and anyone ``@named`` is notified."""
    note = check_add_note(conversation.pk, agent, question)
    named = mentionable(
        conversation.pk, conversation.organisation_id, mentioned_usernames(question)
    )
    do_mention(note, _team_of(conversation, agent, named), by=agent)
    return do_record_step(
        state,
        Step.CONSULT,
        agent=agent,
        conversation=conversation,
        reason=question,
        body=question,
        message=note,
        concerning=concerning,
    )


def _team_of(conversation: Conversation, agent: Agent, named: list[Agent]) -> list[Agent]:
    colleagues = Agent.objects.filter(organisation_id=conversation.organisation_id).exclude(
        role=AgentRole.BACKOFFICE
    )
    if conversation.team_id is not None:
        colleagues = colleagues.filter(teams=conversation.team_id)
    else:
        colleagues = colleagues.filter(is_supervisor=True)
    seen = {a.pk for a in named}
    out = list(named)
    for colleague in colleagues.exclude(pk=agent.pk).order_by("pk"):
        if colleague.pk in seen:
            continue
        if visible_conversations(colleague).filter(pk=conversation.pk).exists():
            out.append(colleague)
    return out


def _request_block(
    state: ConductState,
    conversation: Conversation,
    agent: Agent,
    given: StepInput,
    concerning: list[Message],
    now: datetime,
) -> ConductStep:
    block = Block.objects.create(
        organisation_id=conversation.organisation_id,
        party_id=conversation.party_id,
        conversation=conversation,
        until=_block_until(given.until, now),
        reason=given.reason.strip()[:2000],
        requested_by=agent,
        requested_at=now,
    )
    return do_record_step(
        state,
        Step.REQUEST_BLOCK,
        agent=agent,
        conversation=conversation,
        reason=given.reason,
        block=block,
        concerning=concerning,
    )


def _lock_block(block_id: int, agent: Agent) -> tuple[ConductState, Block]:
    """The block of ``agent``'s organisation with its party's state, both locked (state first,
    the order every step keeps); NotFound for another organisation's or an absent one."""
    found = Block.objects.filter(pk=block_id, organisation_id=agent.organisation_id).first()
    if found is None:
        raise NotFound("not found")
    state = lock_state(found.party_id, found.organisation_id)
    return state, Block.objects.select_for_update(no_key=True).get(pk=block_id)


def check_confirm_block(
    block_id: int, agent: Agent, *, tone: str = "", body: str = ""
) -> ConductStep:
    """The second person confirms a requested block: it is in force at once and the party is
    told through the conversation it was asked in (when it can still be answered there).

    Four eyes: the person who asked cannot confirm (Forbidden, ``four_eyes``); back office
    colleagues cannot either. A block whose end date has passed meanwhile is refused.
    """
    _may_decide(agent)
    with transaction.atomic():
        state, block = _lock_block(block_id, agent)
        if block.state != BlockState.REQUESTED:
            raise WorkflowViolation("this block is not awaiting confirmation", code="conduct_step")
        if block.requested_by_id == agent.pk:
            raise Forbidden("a second person must confirm the block", code="four_eyes")
        now = clock.now()
        _block_until(block.until, now)
        block.state, block.decided_by, block.decided_at = BlockState.ACTIVE, agent, now
        block.save(update_fields=["state", "decided_by", "decided_at"])
        message, not_sent, text = None, "no conversation to tell the party in", ""
        conversation = block.conversation
        if conversation is not None:
            language = language_for(conversation.language)
            zone = conversation.organisation.time_zone
            text = body.strip() or render(
                Step.CONFIRM_BLOCK,
                language,
                tone or tone_of(conversation),
                until=until_text(block.until, language, zone),
            )
            message, not_sent = _send(conversation, agent, text)
        return do_record_step(
            state,
            Step.CONFIRM_BLOCK,
            agent=agent,
            conversation=conversation,
            reason=block.reason,
            body=text,
            message=message,
            not_sent=not_sent,
            block=block,
        )


def check_reject_block(block_id: int, agent: Agent, reason: str) -> ConductStep:
    """The second person (or the one who asked, withdrawing) declines: back to *announced*."""
    _may_decide(agent)
    with transaction.atomic():
        state, block = _lock_block(block_id, agent)
        if block.state != BlockState.REQUESTED:
            raise WorkflowViolation("this block is not awaiting confirmation", code="conduct_step")
        block.decided_by, block.decided_at = agent, clock.now()
        return _end_block(state, block, Step.REJECT_BLOCK, BlockState.REJECTED, agent, reason)


def check_lift_block(block_id: int, agent: Agent, reason: str) -> ConductStep:
    """A supervisor lifts a block in force, with a reason: the party's messages route again."""
    if not is_supervisor(agent):
        raise Forbidden("only a supervisor may lift a block", code="not_a_supervisor")
    with transaction.atomic():
        state, block = _lock_block(block_id, agent)
        expire_if_due(state, clock.now())
        block.refresh_from_db()
        if block.state != BlockState.ACTIVE:
            raise WorkflowViolation("this block is not in force", code="conduct_step")
        block.lifted_by = agent
        return _end_block(state, block, Step.LIFT, BlockState.LIFTED, agent, reason)


def _end_block(
    state: ConductState, block: Block, step: Step, end: BlockState, agent: Agent, reason: str
) -> ConductStep:
    """Record ``step`` (the table checks the reason) and end ``block`` with it.

    Precondition: inside a transaction, ``state`` and ``block`` locked (:func:`_lock_block`)."""
    taken = do_record_step(
        state, step, agent=agent, reason=reason, block=block, conversation=block.conversation
    )
    block.state, block.ended_at, block.end_reason = end, clock.now(), reason.strip()[:2000]
    block.save()
    return taken


def _may_decide(agent: Agent) -> None:
    if agent.role == AgentRole.BACKOFFICE:
        raise Forbidden("the back office reads and notes only", code="back_office")


def expire_blocks() -> int:
    """Periodic: blocks whose end date passed end now (the party is *warned* again); returns
    how many. Each party in its own transaction, so one failure holds up no other."""
    now = clock.now()
    due = list(
        Block.objects.filter(state=BlockState.ACTIVE, until__lte=now).values_list(
            "party_id", "organisation_id"
        )
    )
    for party_id, organisation_id in due:
        with transaction.atomic():
            expire_if_due(lock_state(party_id, organisation_id), now)
    return len(due)
