"""Enrichment on receipt: the language, tone and abuse flag of each inbound message.

A batch handler (``balie.handlers``, priority above routing so a conversation's language is
known before routing decides): every message a worker claimed at once is analysed with a fixed
number of queries, plus one locked write per conversation whose language changes. The language
goes to the conversation through the conversations action (history row and event); who set it
is kept in :class:`ConversationSpeech`, so an agent's correction is never overwritten by later
detection, and a language the channel gave (the web chat's language choice) is kept too.
A conversation whose new messages gave tone cues or a language publishes
:class:`SpeechAnalysed`, so the page shows the new suggestion without a reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from django.db import transaction

from balie.conversations.actions.edit import do_set_language
from balie.conversations.actions.status import lock_conversations
from balie.conversations.events import MessageReceived
from balie.conversations.models import ConversationChange, Direction, Message
from balie.core import clock
from balie.core.events import batch, publish
from balie.replies.analysis import abusive, language, tone
from balie.replies.events import MessageFlagged, SpeechAnalysed
from balie.replies.models import ConversationSpeech, LanguageSource, MessageAnalysis

log = structlog.get_logger(__name__)


def organisation_languages(languages: Sequence[str] | None) -> tuple[str, ...]:
    """The languages to detect among: the organisation's, else Dutch and English."""
    default: tuple[str, ...] = ("nl", "en")
    return tuple(languages) if languages else default


def warm_up() -> int:
    """Build the language detector of every organisation's set of languages now (lingua loads
    its models in seconds), so the first message after a worker starts waits for none of it;
    returns how many detectors were built. Called in a thread of its own at worker start."""
    from balie.organisations.models import Organisation
    from balie.replies.analysis.language import detector, supported

    sets = {
        supported(organisation_languages(languages))
        for languages in Organisation.objects.values_list("languages", flat=True)
    }
    built = [detector(codes) for codes in sorted(sets) if len(codes) > 1]
    for built_detector in built:  # lingua reads a language's models on first use
        built_detector.compute_language_confidence_values("Goedemorgen, good morning, buenos días")
    log.info("language_detectors_ready", count=len(built))
    return len(built)


def on_messages_received(evts: list[MessageReceived]) -> None:
    """Analyse the inbound messages of ``evts`` (idempotent: an analysed message is skipped)."""
    ids = sorted({e.message_id for e in evts})
    done = set(MessageAnalysis.objects.filter(message_id__in=ids).values_list("pk", flat=True))
    messages = list(
        Message.objects.filter(
            pk__in=[i for i in ids if i not in done], direction=Direction.INBOUND
        )
        .exclude(body="")
        .select_related("conversation__organisation")
        .order_by("pk")
    )
    if not messages:
        return
    conversation_ids = sorted({m.conversation_id for m in messages})
    speech = {
        s.conversation_id: s
        for s in ConversationSpeech.objects.filter(conversation_id__in=conversation_ids)
    }
    corrected = set(
        ConversationChange.objects.filter(
            conversation_id__in=conversation_ids, field="language", actor__isnull=False
        ).values_list("conversation_id", flat=True)
    )
    now = clock.now()
    analyses: list[MessageAnalysis] = []
    current: dict[int, str] = {}  # the conversation's language as the batch goes on
    original: dict[int, str] = {}
    wanted: dict[int, tuple[str, float]] = {}  # a detected language to set
    sources: dict[int, str] = {}
    for message in messages:
        conversation = message.conversation
        cid = conversation.pk
        current.setdefault(cid, conversation.language)
        original.setdefault(cid, conversation.language)
        source = _source(speech.get(cid), conversation.language, cid in corrected)
        sources[cid] = source
        detection = language(
            message.body,
            organisation_languages(conversation.organisation.languages),
            current[cid] or None,
        )
        suggested, reasons = tone([message.body])
        flagged, triggers = abusive(message.body)
        analyses.append(
            MessageAnalysis(
                message=message,
                conversation_id=cid,
                language=detection.language or "",
                confidence=detection.confidence,
                tone=suggested or "",
                tone_reasons=[_reason(r) for r in reasons],
                abusive=flagged,
                triggers=[{"category": t.category, "match": t.match[:100]} for t in triggers],
                analysed_at=now,
            )
        )
        if detection.language and not detection.kept:
            wanted[cid] = (detection.language, detection.confidence)
            if source in ("", LanguageSource.DETECTED):
                current[cid] = detection.language
    with transaction.atomic(), batch():
        MessageAnalysis.objects.bulk_create(analyses, ignore_conflicts=True)
        for analysis in analyses:
            if analysis.abusive:
                publish(
                    MessageFlagged(
                        message_id=analysis.message.pk,
                        conversation_id=analysis.conversation_id,
                        organisation_id=analysis.message.conversation.organisation_id,
                        categories=sorted({t["category"] for t in analysis.triggers}),
                    )
                )
        detected = [cid for cid in sorted(wanted) if sources[cid] in ("", LanguageSource.DETECTED)]
        for cid in detected:
            sources[cid] = LanguageSource.DETECTED
        locked = lock_conversations(cid for cid in detected if wanted[cid][0] != original[cid])
        for cid, conversation in locked.items():
            do_set_language(conversation, wanted[cid][0], actor=None)
        rows = [
            ConversationSpeech(
                conversation_id=cid,
                language_source=sources[cid],
                detected_language=wanted[cid][0] if cid in wanted else _kept(speech, cid)[0],
                confidence=wanted[cid][1] if cid in wanted else _kept(speech, cid)[1],
                tone=speech[cid].tone if cid in speech else "",
                tone_chosen_by_id=speech[cid].tone_chosen_by_id if cid in speech else None,
                updated_at=now,
            )
            for cid in conversation_ids
            if cid not in speech
            or speech[cid].language_source != sources[cid]
            or (cid in wanted and wanted[cid][0] != speech[cid].detected_language)
        ]
        ConversationSpeech.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["conversation"],
            update_fields=["language_source", "detected_language", "confidence", "updated_at"],
        )
        cued = {a.conversation_id for a in analyses if a.tone_reasons} | wanted.keys()
        organisations = {m.conversation_id: m.conversation.organisation_id for m in messages}
        for cid in sorted(cued):
            publish(SpeechAnalysed(conversation_id=cid, organisation_id=organisations[cid]))
    log.info(
        "messages_analysed",
        messages=len(analyses),
        flagged=sum(a.abusive for a in analyses),
        detected=len(wanted),
    )


def _source(speech: ConversationSpeech | None, language_now: str, corrected: bool) -> str:
    """Who set the conversation's language: an agent's edit wins, then the channel's (a
    language set before Balie detected any), then detection."""
    if corrected:
        return LanguageSource.AGENT
    if speech is not None and speech.language_source:
        return speech.language_source
    return LanguageSource.CHANNEL if language_now else ""


def _kept(speech: dict[int, ConversationSpeech], cid: int) -> tuple[str, float]:
    """The language detected before, when this batch detected none for ``cid``."""
    row = speech.get(cid)
    return (row.detected_language, row.confidence) if row else ("", 0.0)


def _reason(reason: Any) -> dict[str, Any]:
    return {
        "rule": reason.rule,
        "label": reason.label,
        "match": reason.match[:100],
        "tone": reason.tone,
        "weight": reason.weight,
    }
