"""Every state change of an internal task goes through these functions.

``check_*`` validates, owns its transaction and calls ``do_*``; ``do_*`` writes (rows locked
by the caller), records the step in the task's and the conversation's history, appends the
reporting fact and publishes the events. The citizen is told what happens and by when.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.backoffice import workflow
from balie.backoffice.events import TaskChanged
from balie.backoffice.models import FactKind, Task, TaskFact, TaskMessage, TaskStep
from balie.backoffice.notify import citizen_language, do_tell_citizen, in_language
from balie.backoffice.terms import calendar_of, default_due, written_due
from balie.backoffice.workflow import TaskState
from balie.conversations.actions.edit import do_record_change
from balie.conversations.actions.reply import check_add_note
from balie.conversations.actions.status import do_change_status, lock_conversation
from balie.conversations.events import NoteAdded
from balie.conversations.models import Conversation, Direction, Message
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.errors import BalieError, InvalidInput, NotFound, WorkflowViolation
from balie.core.events import publish
from balie.organisations.models import Agent, Team

MAX_ACTION = 200
MAX_ANSWER = 4000
MAX_MESSAGES = 50
#: the furthest deadline anyone may set
MAX_TERM = timedelta(days=366)
STATE_WORDS = {
    TaskState.OPEN: gettext_noop("forwarded"),
    TaskState.EXTENSION_REQUESTED: gettext_noop("more time asked"),
    TaskState.EXTENDED: gettext_noop("term extended"),
    TaskState.OVERDUE: gettext_noop("term passed"),
    TaskState.ANSWERED: gettext_noop("answered"),
    TaskState.CANCELLED: gettext_noop("withdrawn"),
}


def lock_task(task_id: int) -> Task:
    """Fetch a task with its row locked for the rest of the transaction (NotFound if absent)."""
    task = Task.objects.select_for_update(no_key=True).filter(pk=task_id).first()
    if task is None:
        raise NotFound("not found")
    return task


def _clean_due(due_at: datetime, *, after: datetime) -> datetime:
    if due_at.tzinfo is None:
        raise InvalidInput("a deadline needs a time zone", code="due_at")
    if due_at <= after:
        raise InvalidInput("the deadline must be later", code="due_at")
    if due_at > clock.now() + MAX_TERM:
        raise InvalidInput("the deadline is more than a year away", code="due_at")
    return due_at


def do_step(
    task: Task,
    target: TaskState,
    *,
    actor: Agent | None,
    reason: str = "",
    fact: FactKind | None = None,
) -> TaskStep:
    """Move ``task`` to ``target`` per the table: its history row, the conversation's history
    row, the reporting fact (when ``fact``) and TaskChanged.

    Precondition: inside a transaction, ``task`` locked and written by the caller except for
    its state; raises WorkflowViolation when the table does not allow the move.
    """
    source = TaskState(task.state)
    try:
        workflow.check_transition(source, target, reason)
    except workflow.TransitionNotAllowed as exc:
        raise WorkflowViolation(str(exc), code="task_transition") from exc
    now = clock.now()
    task.state = target
    if target in {TaskState.ANSWERED, TaskState.CANCELLED}:
        task.closed_at = now
    task.save()
    step = TaskStep.objects.create(
        task=task, from_state=source, to_state=target, actor=actor, reason=reason[:500],
        due_at=task.due_at, at=now,
    )  # fmt: skip
    _history(task, source.value, target, actor=actor, reason=reason)
    if fact is not None:
        _fact(task, fact, now)
    publish(
        TaskChanged(
            task_id=task.pk, conversation_id=task.conversation_id, team_id=task.team_id,
            from_state=source.value, to_state=target.value,
            actor_agent_id=actor.pk if actor else None, organisation_id=task.organisation_id,
        )
    )  # fmt: skip
    return step


def _history(task: Task, old: str, new: str, *, actor: Agent | None, reason: str) -> None:
    """The step in the conversation's history (``ConversationChange``, field ``backoffice``),
    in the organisation's language: "T-12-3f9a1c Vergunningen: doorgestuurd → verlengd"."""
    label = f"{task.reference} {task.team.name}"
    with translation.override((task.organisation.languages or ["nl"])[0]):
        old_word = _(STATE_WORDS[TaskState(old)]) if old else ""
        new_word = _(STATE_WORDS[TaskState(new)])
    do_record_change(
        task.conversation,
        "backoffice",
        f"{label}: {old_word}" if old_word else label,
        new_word,
        actor=actor,
        reason=reason,
    )


def _fact(task: Task, kind: FactKind, now: datetime) -> TaskFact:
    met = None
    if kind in {FactKind.ANSWERED, FactKind.CANCELLED, FactKind.OVERDUE}:
        met = now <= task.due_at
    return TaskFact.objects.create(
        organisation_id=task.organisation_id, task=task, team_id=task.team_id,
        topic_id=task.conversation.topic_id, kind=kind, at=now, due_at=task.due_at, met=met,
        wall_minutes=int((now - task.created_at).total_seconds() // 60),
        extensions=task.extensions,
    )  # fmt: skip


def _tell_term(task: Task, *, extended: bool) -> None:
    """Tell the citizen what happens and by when (or the new term); a channel that refuses
    leaves a note for the contact centre instead of failing the step."""
    conversation = task.conversation
    language = citizen_language(conversation)
    local_due = task.due_at.astimezone(calendar_of(task.organisation, team=task.team).zone)
    due_text = written_due(local_due, language)
    with in_language(conversation):
        if extended:
            text = _(
                "We need more time to answer your question. You will hear from us by %(due)s."
            ) % {"due": due_text}
        else:
            text = _(
                "We have passed your question on to a colleague of %(team)s. "
                "You will hear from us by %(due)s."
            ) % {"team": task.team.name, "due": due_text}
    try:
        do_tell_citizen(
            conversation, text, kind="backoffice_term",
            template=_care(task).term_template, parameters=[due_text],
        )  # fmt: skip
    except BalieError as exc:
        note = Message.objects.create(
            conversation=conversation, channel_id=conversation.channel_id,
            direction=Direction.NOTE,
            body=_("The citizen could not be told the term: %(why)s") % {"why": exc.message},
        )  # fmt: skip
        publish(
            NoteAdded(
                message_id=note.pk, conversation_id=conversation.pk,
                organisation_id=conversation.organisation_id,
            )
        )  # fmt: skip


def _care(task: Task):  # type: ignore[no-untyped-def]
    from balie.backoffice.models import CarePolicy

    return CarePolicy.objects.filter(organisation_id=task.organisation_id).first() or CarePolicy()


def check_forward(
    conversation_id: int,
    actor: Agent,
    *,
    team_id: int,
    requested_action: str,
    message_ids: list[int],
    due_at: datetime | None = None,
) -> Task:
    """Forward a conversation to a team with the requested action, the chosen messages and a
    deadline (default: the topic's term on the team's calendar); the conversation goes on
    hold and the citizen is told the term. InvalidInput (400) names what is wrong; nothing
    is written then. WorkflowViolation (409) when the conversation cannot go on hold."""
    requested_action = " ".join(requested_action.split())
    if not requested_action:
        raise InvalidInput("say what the back office should do", code="requested_action")
    if len(requested_action) > MAX_ACTION:
        raise InvalidInput(
            f"the requested action is over {MAX_ACTION} characters", code="requested_action"
        )
    ids = list(dict.fromkeys(message_ids))
    if not ids or len(ids) > MAX_MESSAGES:
        raise InvalidInput(f"choose 1 to {MAX_MESSAGES} messages to send along", code="messages")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        team = Team.objects.filter(pk=team_id, organisation_id=conversation.organisation_id).first()
        if team is None:
            raise InvalidInput("unknown team", code="team")
        messages = list(
            Message.objects.filter(conversation=conversation, pk__in=ids).exclude(
                direction=Direction.SYSTEM
            )
        )
        if len(messages) != len(ids):
            raise InvalidInput("a chosen message is not in this conversation", code="messages")
        if Status(conversation.status) != Status.ASSIGNED:
            raise WorkflowViolation(
                "only a conversation being worked on can be forwarded", code="not_assigned"
            )
        now = clock.now()
        if due_at is None:
            due_at = default_due(conversation.organisation, team, conversation.topic, now)
        due_at = _clean_due(due_at, after=now)
        return do_forward(conversation, team, actor, requested_action, messages, due_at, now)


def do_forward(
    conversation: Conversation,
    team: Team,
    actor: Agent,
    requested_action: str,
    messages: list[Message],
    due_at: datetime,
    now: datetime,
) -> Task:
    """Write the task, put the conversation on hold, tell the citizen.

    Precondition: inside a transaction, ``conversation`` locked and assigned, input checked.
    """
    task = Task.objects.create(
        organisation_id=conversation.organisation_id, conversation=conversation, team=team,
        requested_action=requested_action, due_at=due_at, first_due_at=due_at,
        created_by=actor, return_to=conversation.assignee, created_at=now,
    )  # fmt: skip
    TaskMessage.objects.bulk_create(TaskMessage(task=task, message=m) for m in messages)
    TaskStep.objects.create(task=task, to_state=TaskState.OPEN, actor=actor, due_at=due_at, at=now)
    _history(task, "", TaskState.OPEN, actor=actor, reason=requested_action)
    _fact(task, FactKind.FORWARDED, now)
    do_change_status(
        conversation, Status.ON_HOLD, actor=actor, reason=f"{task.reference} {team.name}"
    )
    publish(
        TaskChanged(
            task_id=task.pk, conversation_id=conversation.pk, team_id=team.pk, from_state="",
            to_state=TaskState.OPEN.value, actor_agent_id=actor.pk,
            organisation_id=conversation.organisation_id,
        )
    )  # fmt: skip
    _tell_term(task, extended=False)
    return task


def check_answer(task_id: int, actor: Agent, answer: str) -> Task:
    """The back office answers: the answer becomes a note in the conversation, which goes
    back to its agent (or to the queue when it has none) for the contact centre to answer."""
    answer = answer.strip()
    if not answer:
        raise InvalidInput("the answer is empty", code="answer")
    if len(answer) > MAX_ANSWER:
        raise InvalidInput(f"the answer is over {MAX_ANSWER} characters", code="answer")
    with transaction.atomic():
        task = lock_task(task_id)
        conversation = lock_conversation(task.conversation_id)
        task.answer, task.answered_by = answer, actor
        do_step(task, TaskState.ANSWERED, actor=actor, fact=FactKind.ANSWERED)
        check_add_note(
            conversation.pk,
            actor,
            _("Answer from %(team)s (%(ref)s): %(answer)s")
            % {"team": task.team.name, "ref": task.reference, "answer": answer},
        )
        do_return(conversation, task, actor=actor)
        return task


def do_return(conversation: Conversation, task: Task, *, actor: Agent | None) -> None:
    """Back from the back office: to its agent when it has one, else to the queue.

    Precondition: inside a transaction, ``conversation`` locked."""
    if Status(conversation.status) != Status.ON_HOLD:
        return  # resolved or moved meanwhile: the note is enough
    if (
        Task.objects.filter(conversation=conversation, state__in=workflow.ACTIVE)
        .exclude(pk=task.pk)
        .exists()
    ):
        return  # another task is still out
    target = Status.ASSIGNED if conversation.assignee_id else Status.QUEUED
    do_change_status(conversation, target, actor=actor, reason=task.reference)


def check_request_extension(task_id: int, actor: Agent, reason: str, due_at: datetime) -> Task:
    """The back office needs more time: the request with its reason and the new term are
    recorded, and the citizen is told the new term."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("give a reason for the extension", code="reason")
    with transaction.atomic():
        task = lock_task(task_id)
        lock_conversation(task.conversation_id)
        due_at = _clean_due(due_at, after=max(task.due_at, clock.now()))
        do_step(task, TaskState.EXTENSION_REQUESTED, actor=actor, reason=reason)
        task.due_at, task.extensions = due_at, task.extensions + 1
        do_step(task, TaskState.EXTENDED, actor=actor, reason=reason, fact=FactKind.EXTENDED)
        _tell_term(task, extended=True)
        return task


def check_withdraw(task_id: int, actor: Agent, reason: str) -> Task:
    """The contact centre withdraws a task (answered another way); the conversation is back."""
    with transaction.atomic():
        task = lock_task(task_id)
        conversation = lock_conversation(task.conversation_id)
        do_step(task, TaskState.CANCELLED, actor=actor, reason=reason, fact=FactKind.CANCELLED)
        do_return(conversation, task, actor=actor)
        return task
