"""The conversation's header and sidebar actions: transfer, resolve and reopen, topic,
language and labels, and the after-call form of a phone call. Each parses the form, asks
``access`` and calls one action; refusals come back as Dutch alerts beside the form."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from balie.channels.phone.wrapup import check_wrap_up_call
from balie.conversations import access
from balie.conversations.actions import check_change_status
from balie.conversations.actions.edit import (
    check_reopen,
    check_set_labels,
    check_set_language,
    check_set_topic,
)
from balie.conversations.models import Conversation
from balie.conversations.workflow import Status
from balie.core.errors import InvalidInput
from balie.routing.transfer import check_transfer_to_agent, check_transfer_to_team
from balie.web.views.composer import acting_agent, conversation_form

#: the status buttons of the header: resolve and reopen (the workflow table decides)
MOVES = {"resolve": Status.RESOLVED, "reopen": Status.ASSIGNED}


def _id(raw: str, code: str) -> int:
    if not raw.isdigit():
        raise InvalidInput("choose one", code=code)
    return int(raw)


@conversation_form(access.Action.STATUS, "transfer-feedback")
def transfer(request: HttpRequest, conversation: Conversation) -> HttpResponse | None:
    """To a colleague (``agent``) or a team's queue (``team``), with a reason."""
    reason = request.POST.get("reason", "")
    kind, _sep, raw = request.POST.get("to", "").partition("-")
    if kind == "agent":
        check_transfer_to_agent(
            conversation.pk, _id(raw, "unknown_agent"), actor=acting_agent(request), reason=reason
        )
    elif kind == "team":
        check_transfer_to_team(
            conversation.pk, _id(raw, "unknown_team"), actor=acting_agent(request), reason=reason
        )
    else:
        raise InvalidInput("choose a colleague or a team", code="unknown_agent")
    if not access.visible_conversations(request.user).filter(pk=conversation.pk).exists():
        return _gone(request)  # handed to a team the agent is not in: back to the list
    return None


def _gone(request: HttpRequest) -> HttpResponse:
    """After a transfer out of sight: the inbox, with a word of what happened."""
    flash.success(request, _("The conversation was transferred."))
    inbox = reverse("web:inbox")
    if request.headers.get("HX-Request") != "true":
        return redirect(inbox)
    response = HttpResponse("")
    response["HX-Redirect"] = inbox
    return response


@conversation_form(access.Action.STATUS, "status-feedback")
def status(request: HttpRequest, conversation: Conversation, move: str) -> None:
    """Resolve or reopen, as the workflow table allows (with an optional reason)."""
    target = MOVES.get(move)
    if target is None:
        raise InvalidInput("unknown step", code="unknown_status")
    agent, reason = acting_agent(request), request.POST.get("reason", "")
    if target == Status.ASSIGNED:
        check_reopen(conversation.pk, actor=agent, reason=reason)
    else:
        check_change_status(conversation.pk, target, actor=agent, reason=reason)


@conversation_form(access.Action.STATUS, "facts-feedback")
def facts(request: HttpRequest, conversation: Conversation) -> None:
    """Topic, language and labels in one form; each change is its own history row."""
    agent = acting_agent(request)
    if "topic" in request.POST:
        check_set_topic(conversation.pk, request.POST["topic"], actor=agent)
    if "language" in request.POST:
        check_set_language(conversation.pk, request.POST["language"], actor=agent)
    if "labels" in request.POST or "new_labels" in request.POST:
        names = request.POST.getlist("labels")
        names += request.POST.get("new_labels", "").split(",")
        check_set_labels(conversation.pk, names, actor=agent)


@conversation_form(access.Action.NOTE, "wrapup-feedback")
def wrap_up(request: HttpRequest, conversation: Conversation) -> None:
    """The after-call form: topic, a short note and the outcome become the klantcontact."""
    check_wrap_up_call(
        conversation.pk,
        acting_agent(request),
        topic_code=request.POST.get("topic", ""),
        note=request.POST.get("note", ""),
        succeeded=request.POST.get("outcome") == "succeeded",
    )
