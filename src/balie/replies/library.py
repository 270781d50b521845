"""The library of canned replies and greetings: finding the variant for a conversation's
language and tone, search, the agent's tone choice, and the channel's limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from balie.conversations.actions.edit import do_record_change
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation
from balie.core import clock
from balie.core.errors import InvalidInput
from balie.organisations.models import Agent
from balie.replies.analysis.tone import Reason, Tone
from balie.replies.models import CannedReply, ConversationSpeech, Greeting, MessageAnalysis
from balie.replies.variables import fill, values_for

#: Characters a channel allows in one message (WhatsApp's text body); others: none known.
LIMITS = {"whatsapp": 4096, "messenger": 2000, "instagram": 1000, "x": 10000}
#: At most this many replies are offered in the composer at once.
OFFERED = 200


@dataclass(frozen=True)
class Suggestion:
    """The tone Balie suggests for a conversation, the reasons, and what the agent chose."""

    suggested: Tone | None
    reasons: list[Reason]
    chosen: str

    @property
    def effective(self) -> str:
        """The tone in force: the agent's choice, else the suggestion, else formal."""
        return self.chosen or self.suggested or "u"


def suggestion(conversation: Conversation) -> Suggestion:
    """Sum the tone reasons of the conversation's latest analysed messages (two queries)."""
    rows = (
        MessageAnalysis.objects.filter(conversation=conversation)
        .order_by("-pk")
        .values_list("tone_reasons", flat=True)[:50]
    )
    chosen = (
        ConversationSpeech.objects.filter(conversation=conversation)
        .values_list("tone", flat=True)
        .first()
    )
    return suggestion_from(list(rows), chosen or "")


def suggestion_from(rows: list[list[dict[str, Any]]], chosen: str) -> Suggestion:
    """The suggestion from stored tone reasons (one list per message) and the agent's choice."""
    reasons = [Reason(**r) for row in rows for r in row]
    score = {"u": 0, "je": 0}
    for reason in reasons:
        score[reason.tone] += reason.weight
    suggested: Tone | None = None
    if score["u"] != score["je"]:
        suggested = "u" if score["u"] > score["je"] else "je"
    return Suggestion(suggested, reasons, chosen)


def check_choose_tone(conversation_id: int, tone: str, *, actor: Agent) -> Conversation:
    """The agent's tone for the conversation (``u``, ``je``, or '' to follow the
    suggestion again); a history row and ConversationChanged like any fact."""
    if tone not in ("u", "je", ""):
        raise InvalidInput("a tone is 'u' or 'je'", code="tone")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        speech, _ = ConversationSpeech.objects.get_or_create(
            conversation=conversation, defaults={"updated_at": clock.now()}
        )
        if speech.tone == tone:
            return conversation
        old, speech.tone, speech.tone_chosen_by = speech.tone, tone, actor
        speech.updated_at = clock.now()
        speech.save(update_fields=["tone", "tone_chosen_by", "updated_at"])
        do_record_change(conversation, "tone", old, tone, actor=actor)
        return conversation


def search(
    organisation_id: int, query: str = "", *, language: str = "", tone: str = ""
) -> QuerySet[CannedReply]:
    """Active canned replies of the organisation matching ``query`` (shortcut, title or
    text), optionally of one language and tone (a tone-less variant matches either)."""
    replies = CannedReply.objects.filter(organisation_id=organisation_id, active=True)
    query = query.strip().lstrip("/")
    if query:
        replies = replies.filter(
            Q(shortcut__icontains=query) | Q(title__icontains=query) | Q(body__icontains=query)
        )
    if language:
        replies = replies.filter(language=language)
    if tone:
        replies = replies.filter(tone__in=[tone, ""])
    return replies.order_by("shortcut", "language", "tone")


def variants(replies: Iterable[CannedReply], language: str, tone: str) -> list[CannedReply]:
    """One variant per shortcut: the conversation's language (else Dutch, else any) and
    tone (else the tone-less one, else the other)."""
    best: dict[str, tuple[tuple[int, int], CannedReply]] = {}
    for reply in replies:
        lang_rank = 0 if reply.language == language else 1 if reply.language == "nl" else 2
        tone_rank = 0 if reply.tone == tone else 1 if not reply.tone else 2
        rank = (lang_rank, tone_rank)
        if reply.shortcut not in best or rank < best[reply.shortcut][0]:
            best[reply.shortcut] = (rank, reply)
    return [best[k][1] for k in sorted(best)]


def offered(conversation: Conversation, agent: Agent | None, tone: str) -> list[dict[str, str]]:
    """The replies the composer offers for ``conversation``: one variant per shortcut with
    its variables filled."""
    language = conversation.language or "nl"
    values = values_for(conversation, agent)
    replies = variants(search(conversation.organisation_id)[: OFFERED * 4], language, tone)
    return [
        {
            "shortcut": r.shortcut,
            "title": r.title,
            "language": r.language,
            "tone": r.tone,
            "text": fill(r.body, values),
        }
        for r in replies[:OFFERED]
    ]


def greeting_for(conversation: Conversation, tone: str) -> Greeting | None:
    """The most specific greeting: the conversation's channel, then its team, then the
    organisation; each in its language (else Dutch) and tone (else tone-less)."""
    candidates = Greeting.objects.filter(
        Q(channel_id=conversation.channel_id) | Q(channel__isnull=True),
        Q(team_id=conversation.team_id) | Q(team__isnull=True),
        organisation_id=conversation.organisation_id,
        language__in=[conversation.language or "nl", "nl"],
        tone__in=[tone, ""],
    )
    language = conversation.language or "nl"

    def rank(g: Greeting) -> tuple[int, int, int, int]:
        return (
            0 if g.channel_id else 1,
            0 if g.team_id else 1,
            0 if g.language == language else 1,
            0 if g.tone == tone else 1,
        )

    found = sorted(candidates, key=rank)
    return found[0] if found else None


def greeting_text(conversation: Conversation, agent: Agent | None, tone: str) -> dict[str, str]:
    """The opening and signature to fill into the composer, variables filled ('' if none)."""
    greeting = greeting_for(conversation, tone)
    if greeting is None:
        return {"opening": "", "signature": conversation.organisation.signature or ""}
    values = values_for(conversation, agent)
    return {
        "opening": fill(greeting.opening, values),
        "signature": fill(greeting.signature, values),
    }


def limit_for(channel_kind: str) -> int | None:
    """The channel's character limit for one message (None: none known)."""
    return LIMITS.get(channel_kind)
