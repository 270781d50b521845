"""The after-call form: topic, a short note and the outcome of a phone call become the call's
one klantcontact (VNG Klantinteracties).

One klantcontact per call. A call that ended has usually resolved its conversation already
(:func:`balie.channels.phone.actions.do_call_event`), which recorded a klantcontact without
the agent's words, so reports count every call even when no form follows; the form completes
that klantcontact instead of recording a second one. A form sent while the conversation is still
open (during the call) resolves it with the form's content, and the call's end then records
none. The call keeps which klantcontact is its own and when the form was sent; a second form
for the same call is refused.
"""

from __future__ import annotations

from django.db import transaction

from balie.channels.phone.models import Call
from balie.conversations.actions.edit import check_set_topic
from balie.conversations.actions.klantcontact import (
    do_complete_klantcontact,
    do_record_klantcontact,
)
from balie.conversations.actions.reply import check_add_note
from balie.conversations.actions.status import do_change_status, lock_conversation
from balie.conversations.models import Conversation, Klantcontact
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.errors import InvalidInput, WorkflowViolation
from balie.organisations.models import Agent

MAX_NOTE = 1000


def _recorded(conversation: Conversation, call: Call | None) -> Klantcontact | None:
    """The klantcontact the call's end (or a resolution during the call) recorded, for the
    form to complete; None when there is none to complete."""
    if call is not None and call.klantcontact_id is not None:
        return call.klantcontact
    if Status(conversation.status) not in (Status.RESOLVED, Status.CLOSED):
        return None
    unclaimed = conversation.klantcontacten.filter(call__isnull=True)
    if call is not None:  # not one of an earlier round of the conversation
        unclaimed = unclaimed.filter(created_at__gte=call.queued_at)
    return unclaimed.order_by("-pk").first()


def check_wrap_up_call(
    conversation_id: int, agent: Agent, *, topic_code: str, note: str, succeeded: bool
) -> Klantcontact:
    """Set the topic, keep the note as an internal note and complete (or record) the call's
    klantcontact. Refused: an empty or too long note, an unknown topic, a conversation that is
    no phone call, a call whose form was sent already."""
    note = note.strip()
    if not note:
        raise InvalidInput("write what the call was about", code="empty_body")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"the note is longer than {MAX_NOTE} characters", code="too_long")
    with transaction.atomic():
        # the call before the conversation: the lock order of the PBX's call events
        call = (
            Call.objects.select_for_update(no_key=True)
            .filter(conversation_id=conversation_id)
            .order_by("-pk")
            .first()
        )
        conversation = lock_conversation(conversation_id)
        if conversation.channel.kind != "phone":
            raise WorkflowViolation("only a phone call has an after-call form", code="not_phone")
        if call is not None and call.wrapped_up_at is not None:
            raise WorkflowViolation(
                "the after-call form of this call was sent already", code="already_wrapped_up"
            )
        if topic_code:  # the conversation again, with its new topic for the klantcontact
            conversation = check_set_topic(
                conversation.pk, topic_code, actor=agent, reason="after-call form"
            )
        check_add_note(conversation.pk, agent, note)
        record = _recorded(conversation, call)
        if record is not None:
            record = do_complete_klantcontact(record, agent=agent, inhoud=note, gelukt=succeeded)
        elif Status(conversation.status) in (Status.RESOLVED, Status.CLOSED):
            record = do_record_klantcontact(
                conversation, agent=agent, inhoud=note, gelukt=succeeded
            )
        else:
            do_change_status(
                conversation,
                Status.RESOLVED,
                actor=agent,
                reason="after-call form",
                klantcontact={"inhoud": note, "gelukt": succeeded},
            )
            record = conversation.klantcontacten.latest("pk")
        if call is not None:
            call.klantcontact, call.wrapped_up_at = record, clock.now()
            call.save(update_fields=["klantcontact", "wrapped_up_at"])
    return record
