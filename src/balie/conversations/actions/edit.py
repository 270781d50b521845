"""Agents editing a conversation's facts: topic, language, labels. Every edit is a history
row (:class:`ConversationChange`, who, when, old and new) and a ``ConversationChanged`` event."""

from __future__ import annotations

import re

from django.db import transaction

from balie.conversations.actions.status import lock_conversation
from balie.conversations.events import ConversationChanged
from balie.conversations.models import Conversation, ConversationChange, Label
from balie.core import clock
from balie.core.errors import InvalidInput
from balie.core.events import publish
from balie.organisations.models import Agent, Topic

LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_LABELS = 20
MAX_LABEL = 50


def do_record_change(
    conversation: Conversation,
    field: str,
    old: str,
    new: str,
    *,
    actor: Agent | None,
    reason: str = "",
) -> ConversationChange:
    """Write the history row of one edit and publish ConversationChanged.

    Precondition: inside a transaction, ``conversation`` locked, the edit written.
    """
    change = ConversationChange.objects.create(
        conversation=conversation,
        field=field,
        old_value=old[:500],
        new_value=new[:500],
        actor=actor,
        reason=reason.strip()[:500],
        at=clock.now(),
    )
    publish(
        ConversationChanged(
            conversation_id=conversation.pk,
            field=field,
            actor_agent_id=actor.pk if actor else None,
            organisation_id=conversation.organisation_id,
        )
    )
    return change


def do_set_topic(
    conversation: Conversation, topic: Topic | None, *, actor: Agent | None, reason: str = ""
) -> bool:
    """Set the topic (and with it the topic's team, as a supervisor's move does); False when
    nothing changed. Precondition: inside a transaction, ``conversation`` locked."""
    if conversation.topic_id == (topic.pk if topic else None):
        return False
    old = conversation.topic.code if conversation.topic_id else ""  # type: ignore[union-attr]
    conversation.topic = topic
    if topic is not None and topic.team_id:
        conversation.team_id = topic.team_id
    conversation.save(update_fields=["topic", "team", "updated_at"])
    do_record_change(
        conversation, "topic", old, topic.code if topic else "", actor=actor, reason=reason
    )
    return True


def check_set_topic(
    conversation_id: int, topic_code: str, *, actor: Agent, reason: str = ""
) -> Conversation:
    """Validate the topic code (one of the organisation's; "" clears it) and set it."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        topic = None
        if topic_code:
            topic = Topic.objects.filter(
                organisation_id=conversation.organisation_id, code=topic_code
            ).first()
            if topic is None:
                raise InvalidInput(f"unknown topic {topic_code!r}", code="unknown_topic")
        do_set_topic(conversation, topic, actor=actor, reason=reason)
        return conversation


def do_set_language(conversation: Conversation, language: str, *, actor: Agent | None) -> bool:
    """Set the language (ISO 639-1/2 code); False when unchanged.

    Precondition: inside a transaction, ``conversation`` locked."""
    if conversation.language == language:
        return False
    old, conversation.language = conversation.language, language
    conversation.save(update_fields=["language", "updated_at"])
    do_record_change(conversation, "language", old, language, actor=actor)
    return True


def check_set_language(conversation_id: int, language: str, *, actor: Agent) -> Conversation:
    """Validate the code (two or three letters; the organisation's languages when it lists
    them) and set it."""
    language = language.strip().lower()
    if language and not LANGUAGE.match(language):
        raise InvalidInput("a language is a two- or three-letter code", code="language")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        offered = conversation.organisation.languages or []
        if language and offered and language not in offered:
            raise InvalidInput(
                f"the organisation does not serve {language!r}", code="language_not_served"
            )
        do_set_language(conversation, language, actor=actor)
        return conversation


def clean_label_names(names: list[str]) -> list[str]:
    """Trimmed, unique (case-insensitively), at most :data:`MAX_LABELS`, each not too long."""
    seen: dict[str, str] = {}
    for raw in names:
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > MAX_LABEL:
            raise InvalidInput(f"a label is at most {MAX_LABEL} characters", code="label")
        seen.setdefault(name.casefold(), name)
    if len(seen) > MAX_LABELS:
        raise InvalidInput(f"at most {MAX_LABELS} labels", code="labels")
    return sorted(seen.values(), key=str.casefold)


def do_set_labels(conversation: Conversation, names: list[str], *, actor: Agent | None) -> bool:
    """Replace the labels by ``names`` (labels new to the organisation are created); False
    when unchanged. Precondition: inside a transaction, ``conversation`` locked, names
    cleaned by :func:`clean_label_names`."""
    current = list(conversation.labels.order_by("name"))
    old = ", ".join(label.name for label in current)
    existing = {
        label.name.casefold(): label
        for label in Label.objects.filter(organisation_id=conversation.organisation_id)
    }
    wanted = []
    for name in names:
        label = existing.get(name.casefold())
        if label is None:
            label = Label.objects.create(organisation_id=conversation.organisation_id, name=name)
        wanted.append(label)
    if {label.pk for label in wanted} == {label.pk for label in current}:
        return False
    conversation.labels.set(wanted)
    new = ", ".join(label.name for label in wanted)
    do_record_change(conversation, "labels", old, new, actor=actor)
    return True


def check_set_labels(conversation_id: int, names: list[str], *, actor: Agent) -> Conversation:
    """Validate the label names and set them."""
    cleaned = clean_label_names(names)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        do_set_labels(conversation, cleaned, actor=actor)
        return conversation


def check_reopen(conversation_id: int, *, actor: Agent, reason: str = "") -> Conversation:
    """Reopen a resolved conversation (``resolved → assigned`` in the workflow table); it
    stays with its agent, or becomes the reopener's when it had none."""
    from balie.conversations.actions.status import do_assign, do_change_status
    from balie.conversations.workflow import Status

    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        do_change_status(conversation, Status.ASSIGNED, actor=actor, reason=reason or "reopened")
        if conversation.assignee_id is None:
            do_assign(conversation, actor, actor=actor, reason="reopened")
        return conversation
