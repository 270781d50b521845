"""The after-call form: topic, a short note and the outcome of a phone call become the
klantcontact (VNG Klantinteracties).

A call that ended has usually resolved its conversation already (``channels.phone``), which
recorded a klantcontact without the agent's words; the form then records the agent's own
klantcontact of the call beside it (a klantcontact is a document: never edited). A call
wrapped up while its conversation is still open resolves it with the form's content.
"""

from __future__ import annotations

from django.db import transaction

from balie.conversations.actions.edit import do_set_topic
from balie.conversations.actions.klantcontact import do_record_klantcontact
from balie.conversations.actions.reply import check_add_note
from balie.conversations.actions.status import do_change_status, lock_conversation
from balie.conversations.models import Klantcontact
from balie.conversations.workflow import Status
from balie.core.errors import InvalidInput, WorkflowViolation
from balie.organisations.models import Agent, Topic

MAX_NOTE = 1000


def check_wrap_up_call(
    conversation_id: int, agent: Agent, *, topic_code: str, note: str, succeeded: bool
) -> Klantcontact:
    """Set the topic, keep the note as an internal note and record the klantcontact."""
    note = note.strip()
    if not note:
        raise InvalidInput("write what the call was about", code="empty_body")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"the note is longer than {MAX_NOTE} characters", code="too_long")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if conversation.channel.kind != "phone":
            raise WorkflowViolation("only a phone call has an after-call form", code="not_phone")
        if topic_code:
            topic = Topic.objects.filter(
                organisation_id=conversation.organisation_id, code=topic_code
            ).first()
            if topic is None:
                raise InvalidInput(f"unknown topic {topic_code!r}", code="unknown_topic")
            do_set_topic(conversation, topic, actor=agent, reason="after-call form")
        check_add_note(conversation.pk, agent, note)
        if Status(conversation.status) in (Status.RESOLVED, Status.CLOSED):
            return do_record_klantcontact(conversation, agent=agent, inhoud=note, gelukt=succeeded)
        do_change_status(
            conversation,
            Status.RESOLVED,
            actor=agent,
            reason="after-call form",
            klantcontact={"inhoud": note, "gelukt": succeeded},
        )
        return conversation.klantcontacten.order_by("-pk").first()  # type: ignore[return-value]
