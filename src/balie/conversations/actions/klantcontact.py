"""Recording a handled contact as a Klantcontact (a document: created, and edited only once,
when the after-call form completes the one a call's end recorded)."""

from __future__ import annotations

from balie.conversations.events import KlantcontactCompleted, KlantcontactRecorded
from balie.conversations.models import Conversation, Direction, Klantcontact
from balie.core import clock
from balie.core.events import publish
from balie.organisations.models import Agent

#: ISO 639-1 → the three-letter codes the Klantinteracties API uses (Open Klant: "nld").
LANGUAGE_639_2 = {
    "nl": "nld", "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "tr": "tur",
    "ar": "ara", "pl": "pol", "pt": "por", "it": "ita", "ro": "ron", "uk": "ukr",
    "ru": "rus", "zh": "zho", "so": "som", "ti": "tir", "fy": "fry", "pap": "pap",
}  # fmt: skip


def _onderwerp(conversation: Conversation) -> str:
    """The klantcontact's subject: the conversation's topic, else its subject line."""
    topic_name = conversation.topic.name if conversation.topic_id else ""  # type: ignore[union-attr]
    return (topic_name or conversation.subject or "Algemene vraag")[:200]


def do_record_klantcontact(
    conversation: Conversation,
    *,
    agent: Agent | None,
    inhoud: str | None = None,
    gelukt: bool | None = None,
) -> Klantcontact:
    """Record the handled contact of ``conversation``; ``inhoud`` and ``gelukt`` as the agent
    gave them (the after-call form), else the first inbound text and "answered or not".

    Precondition: inside the transaction that resolves the conversation.
    """
    first_inbound = (
        conversation.messages.filter(direction=Direction.INBOUND).order_by("created_at").first()
    )
    record = Klantcontact.objects.create(
        organisation_id=conversation.organisation_id,
        conversation=conversation,
        party_id=conversation.party_id,
        agent=agent,
        kanaal=conversation.channel.kind[:50],
        onderwerp=_onderwerp(conversation),
        inhoud=(inhoud if inhoud is not None else first_inbound.body if first_inbound else "")[
            :1000
        ],
        taal=LANGUAGE_639_2.get(conversation.language or "nl", "und"),
        indicatie_contact_gelukt=(
            gelukt if gelukt is not None else conversation.first_response_at is not None
        ),
        plaatsgevonden_op=first_inbound.created_at if first_inbound else clock.now(),
        referentienummer=f"BAL-{conversation.pk:07d}",
    )
    publish(KlantcontactRecorded(klantcontact_id=record.pk, conversation_id=conversation.pk))
    return record


def do_complete_klantcontact(
    record: Klantcontact, *, agent: Agent, inhoud: str, gelukt: bool
) -> Klantcontact:
    """Complete the klantcontact a call's end recorded without the agent's words with the
    after-call form: ``inhoud``, ``gelukt``, the agent, and the subject from the topic now
    (the form may have set it). One klantcontact per call, not a second one beside it.

    Precondition: inside a transaction, the conversation locked; the caller makes sure the
    record was not completed before (the phone channel keeps that on the call).
    """
    record.inhoud = inhoud[:1000]
    record.indicatie_contact_gelukt = gelukt
    record.agent = agent
    record.onderwerp = _onderwerp(record.conversation)
    record.save(update_fields=["inhoud", "indicatie_contact_gelukt", "agent", "onderwerp"])
    publish(
        KlantcontactCompleted(klantcontact_id=record.pk, conversation_id=record.conversation_id)
    )
    return record
