"""How Balie speaks, on the conversation page.

- ``header``: the conversation's language (detected, given by the channel or set by an
  agent, with the confidence), the suggested tone with its reasons and a switch to choose
  u or je (the choice sticks to the conversation), and the abuse flag with its triggers;
- ``composer``: the canned replies (the variant of the conversation's language and tone,
  variables filled), picked by typing ``/`` in the reply or with Alt+/, and the greeting and
  signature that ``web/replies.js`` fills into an empty reply (editable before sending).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from balie.conversations import access
from balie.conversations.models import Conversation
from balie.core.errors import BalieError
from balie.replies.library import (
    Suggestion,
    check_choose_tone,
    greeting_text,
    limit_for,
    offered,
    suggestion_from,
)
from balie.replies.models import ConversationSpeech, LanguageSource, MessageAnalysis
from balie.web.panels import Panel, register
from balie.web.views.composer import acting_agent, conversation_form


def _may_reply(request: HttpRequest, conversation: Conversation) -> bool:
    """Whether the person may reply (asked once per request: it reads the routing profile)."""
    cache: dict[int, bool] = request.__dict__.setdefault("_replies_may_reply", {})
    if conversation.pk not in cache:
        try:
            access.require(request.user, conversation, access.Action.REPLY)
            cache[conversation.pk] = True
        except BalieError:
            cache[conversation.pk] = False
    return cache[conversation.pk]


#: The tone rules' and abuse categories' names as the agent reads them (the pure module's
#: labels are English and untranslated).
RULE_LABELS = {
    "verb_u": _("verb form with u"),
    "verb_je": _("verb form with je"),
    "pronoun_u": _("formal pronoun"),
    "pronoun_je": _("informal pronoun"),
    "pronoun_je_weak": _("informal pronoun 'je'"),
    "greeting_formal": _("formal greeting"),
    "greeting_polite": _("polite greeting"),
    "greeting_beste": _("greeting 'Beste'"),
    "title": _("title"),
    "greeting_informal": _("informal greeting"),
    "emoji": _("emoji"),
    "emoticon": _("emoticon or laugh"),
}
CATEGORY_LABELS = {
    "insult": _("insult"),
    "threat": _("threat"),
    "discrimination": _("discrimination"),
    "sexism": _("sexism"),
}


@dataclass(frozen=True)
class _State:
    speech: ConversationSpeech | None
    tone: Suggestion
    flagged: list[list[dict[str, str]]]


def _state(request: HttpRequest, conversation: Conversation) -> _State:
    """What both panels show, read once per request (two queries)."""
    cache: dict[int, _State] = request.__dict__.setdefault("_replies_state", {})
    if conversation.pk not in cache:
        speech = ConversationSpeech.objects.filter(conversation=conversation).first()
        rows = list(
            MessageAnalysis.objects.filter(conversation=conversation)
            .order_by("-pk")
            .values_list("tone_reasons", "abusive", "triggers")[:50]
        )
        tone = suggestion_from([r[0] for r in rows], speech.tone if speech else "")
        cache[conversation.pk] = _State(speech, tone, [r[2] for r in rows if r[1]])
    return cache[conversation.pk]


def header_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """Language, tone and the abuse flag (nothing before the first analysis)."""
    state = _state(request, conversation)
    speech = state.speech
    if speech is None and not state.tone.reasons and not state.flagged:
        return None
    triggers = sorted(
        {
            f"{CATEGORY_LABELS.get(t['category'], t['category'])}: {t['match']}"
            for rows in state.flagged
            for t in rows
        }
    )
    reasons = [
        {
            "match": r.match,
            "label": RULE_LABELS.get(r.rule, r.label),
            "tone": r.tone,
            "weight": r.weight,
        }
        for r in state.tone.reasons
    ]
    return {
        "conversation": conversation,
        "language": conversation.language,
        "source": LanguageSource(speech.language_source).label
        if speech and speech.language_source
        else "",
        "confidence": round(speech.confidence * 100) if speech and speech.confidence else None,
        "tone": state.tone,
        "reasons": reasons,
        "may_choose": _may_reply(request, conversation),
        "flagged": len(state.flagged),
        "triggers": triggers[:10],
    }


def composer_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The offered replies and the greeting, for whoever may reply."""
    if not _may_reply(request, conversation):
        return None
    agent = access.agent_of(request.user)
    tone = _state(request, conversation).tone.effective
    return {
        "replies": offered(conversation, agent, tone),
        "greeting": greeting_text(conversation, agent, tone),
        "limit": limit_for(conversation.channel.kind),
    }


@conversation_form(access.Action.REPLY, "tone-feedback")
def choose_tone(request: HttpRequest, conversation: Conversation) -> None:
    """The agent chooses u or je ('' follows Balie's suggestion again)."""
    check_choose_tone(conversation.pk, request.POST.get("tone", ""), actor=acting_agent(request))


register(Panel("replies_header", "header", "web/panels/replies_header.html", header_context, 40))
register(
    Panel("replies_composer", "composer", "web/panels/replies_composer.html", composer_context, 40)
)
