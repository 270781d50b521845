"""The conduct procedure on the conversation page (ADR 0015).

- ``header``: the party's place in the procedure, the same in every conversation of the party
  on every channel ("Gewaarschuwd", "Geblokkeerd tot …", "Blokkade wacht op bevestiging");
- ``sidebar``: the messages Balie flagged as possibly abusive with the words that triggered
  them (never acted on by itself), to choose the messages a step concerns; the next allowed
  steps with their template text (editable before sending); consult colleagues; a block
  awaiting confirmation (confirm or decline, by someone else) or in force (lift: supervisors).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from balie.conduct.actions import tone_of
from balie.conduct.models import STATE_LABELS, STEP_LABELS
from balie.conduct.queries import conduct_of
from balie.conduct.templates import language_for, render
from balie.conduct.workflow import MESSAGE_STEPS, State, Step
from balie.conversations import access
from balie.conversations.models import Conversation, Message
from balie.core import clock
from balie.core.errors import BalieError
from balie.privacy.display import displayed_bodies
from balie.web.panels import Panel, register
from balie.web.views.errors import TEXTS

#: flagged messages listed at once (the latest)
FLAGGED = 10


def _may(request: HttpRequest, conversation: Conversation, action: access.Action) -> bool:
    try:
        access.require(request.user, conversation, action)
    except BalieError:
        return False
    return True


def header_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The party's state (nothing while no step was taken)."""
    conduct = conduct_of(conversation.party_id, clock.now(), history=0)
    if conduct.state == State.CLEAR:
        return None
    return {"state": conduct.state, "label": STATE_LABELS[conduct.state], "block": conduct.block}


def flagged_messages(conversation: Conversation) -> list[dict[str, Any]]:
    """The conversation's messages the text analysis flagged, with their triggers."""
    from balie.replies.models import MessageAnalysis  # the replies app's analysis

    rows = list(
        MessageAnalysis.objects.filter(conversation=conversation, abusive=True)
        .order_by("-message_id")
        .values_list("message_id", "triggers")[:FLAGGED]
    )
    # masked while the privacy scan is pending (balie.privacy.display)
    bodies = displayed_bodies(Message.objects.filter(pk__in=[r[0] for r in rows]))
    return [
        {
            "id": message_id,
            "body": bodies.get(message_id, ""),
            "triggers": [f"{t['category']}: {t['match']}" for t in triggers],
        }
        for message_id, triggers in reversed(rows)
    ]


def _not_sent(stored: str) -> str:
    """Why a step's message was not sent, in the agent's words (stored as ``code: text``)."""
    if not stored:
        return ""
    code = stored.partition(":")[0]
    return str(TEXTS.get(code, stored))


def sidebar_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """Flagged messages, the steps allowed now with their texts, the open block, history."""
    conduct = conduct_of(conversation.party_id, clock.now())
    flagged = flagged_messages(conversation)
    may_reply = _may(request, conversation, access.Action.REPLY)
    may_note = _may(request, conversation, access.Action.NOTE)
    language, tone = language_for(conversation.language), tone_of(conversation)
    steps = [
        {
            "step": step.value,
            "label": STEP_LABELS[step],
            "text": render(step, language, tone) if step in MESSAGE_STEPS else "",
            "sends": step in MESSAGE_STEPS,
        }
        for step in conduct.next_steps
    ]
    agent = access.agent_of(request.user)
    block = conduct.block
    return {
        "conversation": conversation,
        "state": conduct.state,
        "label": STATE_LABELS[conduct.state],
        "flagged": flagged,
        "steps": steps if may_reply else [],
        "may_consult": may_note,
        "tone": tone,
        "block": block,
        "may_decide": bool(
            block is not None
            and conduct.state == State.BLOCK_REQUESTED
            and agent is not None
            and block.requested_by_id != agent.pk
            and may_note
        ),
        "may_lift": conduct.state == State.BLOCKED and access.is_supervisor(request.user),
        "history": [
            {"step": s, "label": STEP_LABELS[Step(s.step)], "not_sent": _not_sent(s.not_sent)}
            for s in conduct.steps
        ],
        "open": conduct.state != State.CLEAR or bool(flagged),
    }


register(
    Panel("conduct-state", "header", "web/panels/conduct_header.html", header_context, order=40)
)
register(Panel("conduct", "sidebar", "web/panels/conduct.html", sidebar_context, order=40))
