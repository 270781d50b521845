"""The conversation's header and sidebar actions: transfer, resolve and reopen, topic,
language and labels, and the after-call form of a phone call. Each parses the form, asks
``access`` and calls one action; refusals come back as Dutch alerts beside the form."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from balie.conversations import access
from balie.conversations.actions import check_change_status
from balie.conversations.actions.edit import (
    check_reopen,
    check_set_labels,
    check_set_language,
    check_set_topic,
)
from balie.conversations.actions.wrapup import check_wrap_up_call
from balie.conversations.workflow import Status
from balie.core.errors import BalieError, InvalidInput
from balie.routing.transfer import check_transfer_to_agent, check_transfer_to_team
from balie.web.views.common import ANSWERING, workspace_view
from balie.web.views.composer import done, refused
from balie.web.views.conversation import open_conversation

#: the status buttons of the header: resolve and reopen (the workflow table decides)
MOVES = {"resolve": Status.RESOLVED, "reopen": Status.ASSIGNED}


def _agent(request: HttpRequest):  # type: ignore[no-untyped-def]
    agent = access.agent_of(request.user)
    if agent is None:
        raise InvalidInput("only agents can change conversations", code="not_an_agent")
    return agent


def _id(raw: str, code: str) -> int:
    if not raw.isdigit():
        raise InvalidInput("choose one", code=code)
    return int(raw)


@require_POST
@workspace_view(*ANSWERING)
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """To a colleague (``agent``) or a team's queue (``team``), with a reason."""
    conversation = open_conversation(request, pk)
    try:
        access.require(request.user, conversation, access.Action.STATUS)
        target = request.POST.get("to", "")
        reason = request.POST.get("reason", "")
        kind, _, raw = target.partition("-")
        if kind == "agent":
            check_transfer_to_agent(
                conversation.pk, _id(raw, "unknown_agent"), actor=_agent(request), reason=reason
            )
        elif kind == "team":
            check_transfer_to_team(
                conversation.pk, _id(raw, "unknown_team"), actor=_agent(request), reason=reason
            )
        else:
            raise InvalidInput("choose a colleague or a team", code="unknown_agent")
    except BalieError as exc:
        return refused(request, conversation, exc, "transfer-feedback")
    if not access.visible_conversations(request.user).filter(pk=conversation.pk).exists():
        return _gone(request)  # handed to a team the agent is not in: back to the list
    return done(request, conversation)


def _gone(request: HttpRequest) -> HttpResponse:
    """After a transfer out of sight: the inbox, with a word of what happened."""
    flash.success(request, _("The conversation was transferred."))
    inbox = reverse("web:inbox")
    if request.headers.get("HX-Request") != "true":
        return redirect(inbox)
    response = HttpResponse("")
    response["HX-Redirect"] = inbox
    return response


@require_POST
@workspace_view(*ANSWERING)
def status(request: HttpRequest, pk: int, move: str) -> HttpResponse:
    """Resolve or reopen, as the workflow table allows (with an optional reason)."""
    conversation = open_conversation(request, pk)
    target = MOVES.get(move)
    try:
        if target is None:
            raise InvalidInput("unknown step", code="unknown_status")
        access.require(request.user, conversation, access.Action.STATUS)
        agent, reason = _agent(request), request.POST.get("reason", "")
        if target == Status.ASSIGNED:
            check_reopen(conversation.pk, actor=agent, reason=reason)
        else:
            check_change_status(conversation.pk, target, actor=agent, reason=reason)
    except BalieError as exc:
        return refused(request, conversation, exc, "status-feedback")
    return done(request, conversation)


@require_POST
@workspace_view(*ANSWERING)
def facts(request: HttpRequest, pk: int) -> HttpResponse:
    """Topic, language and labels in one form; each change is its own history row."""
    conversation = open_conversation(request, pk)
    try:
        access.require(request.user, conversation, access.Action.STATUS)
        agent = _agent(request)
        if "topic" in request.POST:
            check_set_topic(conversation.pk, request.POST["topic"], actor=agent)
        if "language" in request.POST:
            check_set_language(conversation.pk, request.POST["language"], actor=agent)
        if "labels" in request.POST or "new_labels" in request.POST:
            names = request.POST.getlist("labels")
            names += request.POST.get("new_labels", "").split(",")
            check_set_labels(conversation.pk, names, actor=agent)
    except BalieError as exc:
        return refused(request, conversation, exc, "facts-feedback")
    return done(request, conversation)


@require_POST
@workspace_view(*ANSWERING)
def wrap_up(request: HttpRequest, pk: int) -> HttpResponse:
    """The after-call form: topic, a short note and the outcome become the klantcontact."""
    conversation = open_conversation(request, pk)
    try:
        access.require(request.user, conversation, access.Action.NOTE)
        check_wrap_up_call(
            conversation.pk,
            _agent(request),
            topic_code=request.POST.get("topic", ""),
            note=request.POST.get("note", ""),
            succeeded=request.POST.get("outcome") == "succeeded",
        )
    except BalieError as exc:
        return refused(request, conversation, exc, "wrapup-feedback")
    return done(request, conversation)
