"""The privacy guard on the conversation page and the supervisor's call-back list.

- ``composer``: personal data arrived on an unsafe channel: the items (masked), why it matters,
  and a suggested reply in the citizen's language (u-form) offering a call back or e-mail;
  sending it closes the warning and, when chosen, records a call-back request;
- ``sidebar``: the conversation's call-back requests;
- ``/privacy/terugbellen/``: the organisation's open call-back requests, for supervisors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from balie.conversations import access
from balie.conversations.actions.privacy import masked
from balie.conversations.models import Conversation, Message
from balie.core.errors import BalieError, NotFound
from balie.privacy.advice import check_accept_advice, check_complete_callback, suggested_reply
from balie.privacy.models import Advice, CallbackRequest, CallbackState, Finding
from balie.privacy.policy import policy
from balie.web import labels
from balie.web.panels import Panel, register
from balie.web.views.common import STEERING, workspace_view
from balie.web.views.composer import acting_agent, conversation_form, htmx
from balie.web.views.errors import dutch
from balie.web.views.inbox import nav_views

KIND_LABELS = {
    "bsn": _("BSN"),
    "iban": _("Bank account (IBAN)"),
    "document_number": _("Passport or ID card number"),
    "date_of_birth": _("Date of birth"),
    "address": _("Address"),
}
#: open warnings shown at once (the latest)
SHOWN = 5


def _may_reply(request: HttpRequest, conversation: Conversation) -> bool:
    try:
        access.require(request.user, conversation, access.Action.REPLY)
    except BalieError:
        return False
    return True


def warning_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The open warnings with their messages masked, and the suggested reply (none: nothing)."""
    advice = list(
        Advice.objects.filter(conversation=conversation, resolved_at__isnull=True).order_by("-pk")[
            :SHOWN
        ]
    )
    if not advice:
        return None
    messages = {m.pk: m for m in Message.objects.filter(pk__in=[a.message_id for a in advice])}
    spans: dict[int, list[tuple[int, int]]] = {}
    for f in Finding.objects.filter(
        message_id__in=list(messages), kind__in=list(KIND_LABELS)
    ).values_list("message_id", "start", "end"):
        spans.setdefault(f[0], []).append((f[1], f[2]))
    kinds = sorted({k for a in advice for k in a.kinds})
    channel = labels.channel_label(conversation.channel.kind)
    rule = policy(conversation.organisation_id, conversation.channel.kind)
    return {
        "conversation": conversation,
        "channel": channel,
        "items": [
            {
                "advice": a,
                "kinds": [KIND_LABELS[k] for k in a.kinds if k in KIND_LABELS],
                # masked for display whatever the policy kept at rest
                "text": masked(messages[a.message_id].body, spans.get(a.message_id, [])),
            }
            for a in reversed(advice)
            if a.message_id in messages
        ],
        "kinds": [KIND_LABELS[k] for k in kinds if k in KIND_LABELS],
        "reply": suggested_reply(
            kinds, conversation.language or "nl", str(channel), masked=rule.at_rest != "keep"
        ),
        "may_reply": _may_reply(request, conversation),
        "blocked": rule.outbound == "block",
    }


def callbacks_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The conversation's call-back requests (none: nothing)."""
    rows = list(
        CallbackRequest.objects.filter(conversation=conversation)
        .select_related("requested_by")
        .order_by("-pk")[:10]
    )
    return {"callbacks": rows} if rows else None


@conversation_form(access.Action.REPLY, "privacy-feedback")
def accept(request: HttpRequest, conversation: Conversation) -> HttpResponse | None:
    """Send the suggested reply (as edited) and, when ticked, ask for a call back; the warning
    gives way to a confirmation and the timeline refreshes."""
    call_back = request.POST.get("call_back") == "1"
    check_accept_advice(
        conversation.pk, acting_agent(request), request.POST.get("body", ""), call_back=call_back
    )
    if not htmx(request):
        return None
    response = render(request, "web/panels/privacy_sent.html", {"call_back": call_back})
    response["HX-Retarget"] = "#privacy-warning"
    response["HX-Reswap"] = "outerHTML"
    response["HX-Trigger"] = "balie:conversation"
    return response


@workspace_view(*STEERING)
def callbacks(request: HttpRequest) -> HttpResponse:
    """The organisation's call-back requests, open ones first."""
    rows = (
        CallbackRequest.objects.filter(
            conversation__in=access.visible_conversations(request.user).values("pk")
        )
        .select_related("conversation__party", "conversation__channel", "requested_by")
        .order_by("-state", "created_at")[:200]
    )
    workspace = request.workspace  # type: ignore[attr-defined]
    workspace.views = nav_views(request, "callbacks")
    context = {
        "workspace": workspace,
        "rows": rows,
        "open": CallbackState.OPEN,
        "page_key": "callbacks",
    }
    return render(request, "web/panels/privacy_callbacks.html", context)


@require_POST
@workspace_view(*STEERING)
def callback_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a call-back request as called."""
    agent = access.agent_of(request.user)
    try:
        if agent is None:
            raise NotFound("not found")
        check_complete_callback(pk, agent)
    except NotFound as exc:
        raise Http404 from exc
    except BalieError as exc:
        flash.error(request, dutch(exc))
    return redirect("web:privacy_callbacks")


register(
    Panel("privacy_warning", "composer", "web/panels/privacy_warning.html", warning_context, 10)
)
register(
    Panel(
        "privacy_callbacks",
        "sidebar",
        "web/panels/privacy_callbacks_sidebar.html",
        callbacks_context,
        60,
    )
)
